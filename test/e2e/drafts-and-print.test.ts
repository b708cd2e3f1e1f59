import fs from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  expectNoAccessibilityViolations,
  launchChromium,
  saveScreenshot,
  SCREENSHOT_DIR,
} from "./support/browser";
import { arrive, heading, normalise, signIn, successBanner, UUID, visit } from "./support/journey";

/**
 * Two rough edges, walked as people meet them (issue 18, items 4 and 7), with and without
 * JavaScript, every page through axe: "Make a referral" offers the person's unfinished drafts and
 * takes up an untouched one rather than starting another, and a brand-new draft's first question
 * leads back only where there is something; a case summary prints without the navigation, with
 * the reference and print time heading every page.
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
])("drafts and printing $label", ({ javaScript }) => {
  test("a practitioner's second start takes up the untouched draft, which they can discard", async () => {
    const session = await signIn(
      browser,
      baseUrl,
      "youthworker@hospital.northbridge.example",
      javaScript,
    );
    const { page } = session;
    try {
      await visit(session, "/referrals/new");
      await page.getByRole("button", { name: "Start a referral" }).click();
      const first = await arrive(
        session,
        new RegExp(`^/referrals/${UUID}/draft/young-person$`),
        "Who is the referral about?",
      );
      const reference = normalise(await page.locator(".govuk-caption-l").textContent()).replace(
        "Referral ",
        "",
      );
      // A new draft has no answers to go back to: the way back is to "Make a referral".
      expect(await page.getByRole("link", { name: "Back to your answers" }).count()).toBe(0);
      const back = page.locator(".govuk-back-link");
      expect(normalise(await back.textContent())).toBe("Back");
      await expectNoAccessibilityViolations(page, "a new draft's first question");
      await back.click();
      await arrive(session, /^\/referrals\/new$/, "Make a referral");

      // The unfinished drafts come first, each to continue or discard.
      const drafts = page.getByRole("table", { name: "Your unfinished referrals" });
      const row = drafts.getByRole("row", { name: new RegExp(reference) });
      expect(await row.count()).toBe(1);
      expect(await page.locator("main h2").first().textContent()).toMatch(
        /^You have (an|\d+) unfinished referrals?$/,
      );
      await expectNoAccessibilityViolations(page, "make a referral, with unfinished drafts");
      if (javaScript) await saveScreenshot(page, "make-a-referral-with-drafts");

      // Starting again takes up the untouched draft rather than making another.
      await page.getByRole("button", { name: "Start a referral" }).click();
      const again = await arrive(
        session,
        new RegExp(`^/referrals/${UUID}/draft/young-person$`),
        "Who is the referral about?",
      );
      expect(again.pathname).toBe(first.pathname);

      await visit(session, "/referrals/new");
      await row.getByRole("link", { name: `Continue referral ${reference}` }).waitFor();
      await row.getByRole("button", { name: `Discard referral ${reference}` }).click();
      await arrive(session, /^\/referrals\/new$/, "Make a referral");
      expect(await successBanner(page)).toContain("Draft discarded");
      expect(await drafts.getByRole("row", { name: new RegExp(reference) }).count()).toBe(0);
    } finally {
      await session.context.close();
    }
  });

  test("a partnership lead prints a case summary without the menu, each page headed by the reference", async () => {
    const session = await signIn(browser, baseUrl, "lead@northbridge.example", javaScript);
    const { page } = session;
    try {
      await visit(session, "/cases?caseload=all&state=active&sort=newest");
      const referral = await page.getByRole("table").getByRole("link").first().getAttribute("href");
      expect(referral).toMatch(new RegExp(`^/referrals/${UUID}$`));
      await visit(session, referral as string);
      const name = await heading(page);
      await page.getByRole("link", { name: "Print a case summary" }).click();
      await arrive(session, new RegExp(`^${referral as string}/print$`), name);
      for (const part of ["Summary", "Decisions to share", "Actions", "Contacts and notes"])
        expect(await page.getByRole("heading", { level: 2, name: part }).count(), part).toBe(1);
      await expectNoAccessibilityViolations(page, "a case summary to print");

      // Printed: no header, menu or "Signed in as", and a running head with the reference and the
      // print time, laid out as a table header group so that it is repeated on every page.
      const runningHead = page.locator(".app-print__running-head");
      expect(await runningHead.isVisible()).toBe(false);
      await page.emulateMedia({ media: "print" });
      expect(await page.getByTestId("identity").isVisible()).toBe(false);
      expect(await page.getByRole("navigation", { name: "Menu" }).isVisible()).toBe(false);
      expect(await page.locator(".govuk-back-link").isVisible()).toBe(false);
      expect(await runningHead.isVisible()).toBe(true);
      const reference = /CW-[0-9A-Z-]+/.exec(
        normalise(await page.locator(".govuk-caption-l").textContent()),
      )?.[0];
      expect(normalise(await runningHead.textContent())).toMatch(
        new RegExp(`Referral ${reference ?? "missing"} · Printed \\w+day \\d+ \\w+ \\d{4} at `),
      );
      expect(await runningHead.evaluate((element) => getComputedStyle(element).display)).toBe(
        "table-header-group",
      );
      if (javaScript) await saveScreenshot(page, "case-summary-printed");
      // A real print, to paper's size: the case takes more than one page.
      const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true });
      if (javaScript)
        await fs.writeFile(path.join(SCREENSHOT_DIR, "case-summary-printed.pdf"), pdf);
      expect(pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g)?.length ?? 0).toBeGreaterThan(1);
    } finally {
      await session.context.close();
    }
  });
});
