import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium } from "./support/browser";
import {
  arrive,
  errorSummary,
  heading,
  signIn,
  stateTag,
  successBanner,
  ukDatePlus,
  UUID,
  visit,
  type Session,
} from "./support/journey";

/**
 * The pages issue 18 changed, walked by a partnership lead on the demo partnership, with and
 * without JavaScript, each passing axe: a decision not to share (its own short questions),
 * closing a case whose actions are still open, the sharing history, and recording that consent
 * was withdrawn on a closed case.
 */

const baseUrl = inject("baseUrl");
const LEAD = "lead@northbridge.example";
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** The newest demo referral in `state`, for which `usable` holds, as the lead's case list shows. */
async function findReferral(
  session: Session,
  state: "active" | "closed",
  usable: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<string> {
  const { page } = session;
  await visit(session, `/cases?caseload=all&state=${state}&sort=newest`);
  const hrefs = await page
    .getByRole("table")
    .getByRole("link")
    .evaluateAll((links) => links.map((link) => link.getAttribute("href") ?? ""));
  for (const href of hrefs.filter((candidate) =>
    new RegExp(`^/referrals/${UUID}$`).test(candidate),
  )) {
    await visit(session, href);
    if (await usable()) return href;
  }
  throw new Error(`No ${state} demo referral fits`);
}

describe.each([
  { label: "with JavaScript", javaScript: true },
  { label: "without JavaScript", javaScript: false },
])("issue 18's pages $label", ({ javaScript }) => {
  test("a lead records a decision not to share, then closes the case, saying what happens to each open action", async () => {
    const session = await signIn(browser, baseUrl, LEAD, javaScript);
    const { page } = session;
    try {
      const referral = await findReferral(session, "active");
      const name = await heading(page);

      // A decision not to share: first whether to share, then only what not sharing needs.
      await page.getByRole("link", { name: "Record a new decision to share", exact: true }).click();
      await arrive(session, new RegExp(`^${referral}/sharing/new$`), "Record a decision to share");
      await expectNoAccessibilityViolations(page, "record a decision: will you share?");
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(errorSummary(page)).resolves.toEqual([
        "Select whether you will share the information",
      ]);
      await expectNoAccessibilityViolations(page, "record a decision: no answer");
      await page.getByLabel("Do not share", { exact: true }).check();
      await page.getByRole("button", { name: "Continue" }).click();
      await arrive(
        session,
        new RegExp(`^${referral}/sharing/new$`),
        "Record a decision not to share",
      );
      await expect(page.locator("main").innerText()).resolves.not.toContain("Article 6");
      await expectNoAccessibilityViolations(page, "record a decision not to share");
      await page.getByRole("button", { name: "Record the decision" }).click();
      await expect(errorSummary(page)).resolves.toEqual([
        "Select the agencies you decided not to share with",
        "Select the information you decided not to share",
        "Say why you decided not to share",
        "Enter the date the decision should be reviewed",
      ]);
      await expectNoAccessibilityViolations(page, "record a decision not to share: errors");
      await page
        .getByRole("group", { name: "Which agencies did you decide not to share with?" })
        .getByRole("checkbox")
        .first()
        .check();
      await page.getByLabel("Contacts and case notes marked as shared", { exact: true }).check();
      await page
        .locator("#rationale")
        .fill("Not yet: telling them now would put his sister at risk.");
      const review = ukDatePlus(90);
      await page.locator("#reviewOn-day").fill(review.day);
      await page.locator("#reviewOn-month").fill(review.month);
      await page.locator("#reviewOn-year").fill(review.year);
      await page.getByRole("button", { name: "Record the decision" }).click();
      await arrive(session, new RegExp(`^${referral}$`), name);
      expect(await successBanner(page)).toContain("Decision to share recorded");

      // The sharing history shows it with its review date.
      await visit(session, `${referral}/sharing`);
      expect(await heading(page)).toBe("Sharing history");
      await expect(page.locator("main").innerText()).resolves.toContain("Review by");
      await expectNoAccessibilityViolations(page, "sharing history with a decision not to share");

      // An action still open: closing asks what happens to it.
      await visit(session, referral);
      await page.getByRole("link", { name: "Add an action" }).click();
      await arrive(session, new RegExp(`^${referral}/actions/new$`), "Add an action");
      const due = ukDatePlus(14);
      await page.locator("#description").fill("Introduce him to the boxing club's mentor");
      await page.locator("#assignedAgencyId").selectOption({ index: 1 });
      await page.locator("#dueOn-day").fill(due.day);
      await page.locator("#dueOn-month").fill(due.month);
      await page.locator("#dueOn-year").fill(due.year);
      await page.getByRole("button", { name: "Add action" }).click();
      await arrive(session, new RegExp(`^${referral}$`), name);

      await page.getByRole("link", { name: "Close with an outcome" }).click();
      await arrive(session, new RegExp(`^${referral}/steps/close$`), "Close the referral");
      const questions = page.getByRole("group", { name: /^What happens to this action\?/ });
      const open = await questions.count();
      expect(open).toBeGreaterThan(0);
      await expectNoAccessibilityViolations(page, "close the referral, with open actions");
      await page.getByRole("button", { name: "Close the referral" }).click();
      const problems = await errorSummary(page);
      expect(problems.filter((problem) => problem.startsWith("Say what happens to"))).toHaveLength(
        open,
      );
      await expectNoAccessibilityViolations(page, "close the referral: errors");
      for (let index = 0; index < open; index += 1) {
        await questions.nth(index).getByLabel("Done", { exact: true }).check();
      }
      await page.getByLabel("Support completed: risk reduced", { exact: true }).check();
      await page.locator("#summary").fill("He is back in school and sees the mentor weekly.");
      await page.getByRole("button", { name: "Close the referral" }).click();
      await arrive(session, new RegExp(`^${referral}$`), name);
      expect(await successBanner(page)).toContain("Referral closed");
      await expect(stateTag(page).textContent()).resolves.toBe("Closed");
      // The first list in the case work is its actions: none is open.
      const actions = page.locator("#case-work ul.govuk-list").first();
      await expect(actions.innerText()).resolves.toContain("Introduce him to the boxing club");
      await expect(actions.innerText()).resolves.not.toMatch(/\bOpen\b/);
      await expectNoAccessibilityViolations(page, "referral closed, no action open");
      expect(session.scriptErrors).toEqual([]);
    } finally {
      await session.context.close();
    }
  });

  test("a lead records that consent was withdrawn on a closed case, told what it does", async () => {
    const session = await signIn(browser, baseUrl, LEAD, javaScript);
    const { page } = session;
    const withdrawLink = page.getByRole("link", { name: /^Record that consent was withdrawn/ });
    try {
      const referral = await findReferral(
        session,
        "closed",
        async () => (await withdrawLink.count()) > 0,
      );
      const name = await heading(page);
      await withdrawLink.first().click();
      await arrive(
        session,
        new RegExp(`^${referral}/sharing/${UUID}/withdraw$`),
        "Record that consent was withdrawn",
      );
      const main = await page.locator("main").innerText();
      expect(main).toContain("From the date consent was withdrawn, nothing more is shared");
      expect(main).toContain("The case is closed");
      await expectNoAccessibilityViolations(page, "record that consent was withdrawn, closed case");
      await page.getByLabel("The young person", { exact: true }).check();
      await page.getByRole("button", { name: "Record the withdrawal" }).click();
      await arrive(session, new RegExp(`^${referral}$`), name);
      expect(await successBanner(page)).toContain("Withdrawal of consent recorded");
      await expect(page.locator("#sharing").innerText()).resolves.toContain(
        "nothing more is shared",
      );
      await expectNoAccessibilityViolations(page, "closed referral, consent withdrawn");
      expect(session.scriptErrors).toEqual([]);
    } finally {
      await session.context.close();
    }
  });
});
