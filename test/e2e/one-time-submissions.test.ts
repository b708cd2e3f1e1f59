import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium } from "./support/browser";
import { arrive, heading, signIn, UUID, visit } from "./support/journey";

/**
 * A form sent twice is saved once (docs/decisions/018-one-time-submission-ids.md): the note form
 * carries the id the server rendered, hydration keeps it, and the browser's request sent a second
 * time saves nothing more and lands on the case saying so.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each([
  { label: "with JavaScript", javaScript: true },
  { label: "without JavaScript", javaScript: false },
])("a note sent twice $label", ({ javaScript }) => {
  test("carries the id the server rendered, and sent again lands on the case saved once", async () => {
    const session = await signIn(browser, baseUrl, "lead@northbridge.example", javaScript);
    const { context, page, scriptErrors } = session;
    try {
      await visit(session, "/cases?caseload=all&state=active&sort=newest");
      const href = await page.getByRole("table").getByRole("link").first().getAttribute("href");
      expect(href).toMatch(new RegExp(`^/referrals/${UUID}$`));
      const casePath = href as string;
      await visit(session, casePath);
      const caseTitle = await heading(page);

      const response = await visit(session, `${casePath}/notes/new`);
      const rendered = new RegExp(`name="submissionId" value="(${UUID})"`).exec(
        (await response?.text()) ?? "",
      )?.[1];
      const form = page.locator(`form[action="${casePath}/notes/new"]`);
      // The id the server rendered is the one in the page, after hydration too.
      expect(rendered).toBeDefined();
      await expect(form.locator('input[name="submissionId"]').inputValue()).resolves.toBe(rendered);

      // The first answer is lost on its way back, and the same request is sent again: what a
      // browser's retry, or the "Nothing was saved" page, sends.
      let sentTwice = false;
      await page.route(`**${casePath}/notes/new*`, async (route) => {
        if (route.request().method() !== "POST") return route.fallback();
        // Sec-Fetch-Site is added beneath the page, where Playwright does not see it.
        const first = await route.fetch({
          maxRedirects: 0,
          headers: { ...route.request().headers(), "sec-fetch-site": "same-origin" },
        });
        expect([202, 302]).toContain(first.status());
        sentTwice = true;
        await route.continue();
      });
      const body = `Sent twice ${javaScript ? "with" : "without"} JavaScript, at ${Date.now()}, and saved once`;
      await page.getByLabel("Contact: in person", { exact: true }).check();
      await page.locator("#body").fill(body);
      await page.getByLabel("Shared with every agency involved", { exact: true }).check();
      await page.getByRole("button", { name: "Add note" }).click();
      await arrive(session, new RegExp(`^${casePath}$`), caseTitle);

      expect(sentTwice).toBe(true);
      expect(new URL(page.url()).searchParams.get("notice")).toBe("already-saved");
      await expect(
        page.locator(".govuk-notification-banner--success").innerText(),
      ).resolves.toContain("This was already saved");
      const caseWork = await page.locator("#case-work").innerText();
      expect(caseWork.split(body).length - 1).toBe(1);
      await expectNoAccessibilityViolations(page, "case, already saved");
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
