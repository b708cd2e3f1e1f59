import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium } from "./support/browser";
import { heading, signIn, UUID, visit } from "./support/journey";

/**
 * The case pages the journeys pass by: a demo referral's sharing history, the pages of the steps
 * the journeys do not take, and the young person's record and its correction page. Each must open
 * and pass axe, with and without JavaScript.
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
])("case pages $label", ({ javaScript }) => {
  test("a partnership lead opens an active demo referral's other pages", async () => {
    const session = await signIn(browser, baseUrl, "lead@northbridge.example", javaScript);
    const { page } = session;
    try {
      await visit(session, "/cases?caseload=all&state=active&sort=newest");
      const first = page.getByRole("table").getByRole("link").first();
      const href = await first.getAttribute("href");
      expect(href).toMatch(new RegExp(`^/referrals/${UUID}$`));
      const referral = href as string;

      for (const [path, title] of [
        [`${referral}/sharing`, "Sharing history"],
        [`${referral}/steps/escalate`, "Escalate the case"],
        [`${referral}/steps/refer_to_panel`, "Refer to the multi-agency panel"],
        [`${referral}/steps/withdraw`, "Withdraw the referral"],
      ] as const) {
        const response = await visit(session, path);
        expect(response?.status(), path).toBe(200);
        expect(await heading(page)).toBe(title);
        await expectNoAccessibilityViolations(page, path.replace(referral, "referral"));
      }

      await visit(session, referral);
      const person = await page
        .locator('main a[href^="/young-people/"]')
        .first()
        .getAttribute("href");
      expect(person).toMatch(new RegExp(`^/young-people/${UUID}$`));
      await visit(session, person as string);
      await expectNoAccessibilityViolations(page, "young person's record");
      const response = await visit(session, `${person as string}/edit`);
      expect(response?.status()).toBe(200);
      expect(await heading(page)).toBe("Correct their details");
      await expectNoAccessibilityViolations(page, "correct a young person's details");
    } finally {
      await session.context.close();
    }
  });
});
