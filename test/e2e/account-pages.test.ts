import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium } from "./support/browser";
import { heading, signIn, visit } from "./support/journey";

/**
 * A person's own account pages — their sign-ins, changing their password, their recovery codes,
 * confirming it is them before a sensitive step, and a form kept while they were signed out —
 * open, pass axe, and show their errors, with and without JavaScript.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const PAGES: { path: string; title: RegExp }[] = [
  { path: "/account/sessions", title: /^Your sign-ins$/ },
  { path: "/account/password", title: /^Change your password$/ },
  { path: "/account/recovery-codes", title: /^(Save your recovery codes|Your recovery codes)$/ },
  { path: "/step-up", title: /^Confirm it is you$/ },
  { path: "/continue", title: /^Nothing is waiting to be sent$/ },
];

describe.each([
  { label: "with JavaScript", javaScript: true, email: "inspector@police.northbridge.example" },
  { label: "without JavaScript", javaScript: false, email: "auditor@northbridge.example" },
])("a person's account pages $label", ({ javaScript, email }) => {
  test("open, pass axe, and a code left empty is asked for again", async () => {
    const session = await signIn(browser, baseUrl, email, javaScript);
    const { page } = session;
    try {
      for (const { path, title } of PAGES) {
        const response = await visit(session, path);
        expect(response?.status(), path).toBe(200);
        expect(await heading(page), path).toMatch(title);
        await expectNoAccessibilityViolations(page, path);
      }
      // On the step-up page, a code left empty shows the error summary, which passes axe too.
      await visit(session, "/step-up");
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.locator(".govuk-error-summary").waitFor();
      expect(await page.locator(".govuk-error-summary").innerText()).toContain(
        "Enter the 6-digit code from your authenticator app",
      );
      await expectNoAccessibilityViolations(page, "step-up with an error");
      expect(session.scriptErrors).toEqual([]);
    } finally {
      await session.context.close();
    }
  });
});
