import { randomInt } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium, saveScreenshot } from "./support/browser";
import {
  arrive,
  chooseDecision,
  errorSummary,
  fillDecision,
  heading,
  importantBanner,
  interactive,
  normalise,
  shownDate,
  signIn,
  stateTag,
  successBanner,
  ukDatePlus,
  UUID,
  visit,
  type Session,
} from "./support/journey";

/**
 * Decisions to share and emergency access (DOMAIN.md sections 4 and 5), end to end: a referral
 * resting on the young person's consent reaches only the agency they agreed to; once they withdraw
 * it, that agency sees the case only as it was; and an agency that is not involved can open a case
 * in an emergency, which the partnership lead then reviews.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const YOUTH_WORKER = "youthworker@hospital.northbridge.example";
const PARTNERSHIP_LEAD = "lead@northbridge.example";
const ADVOCACY_LEAD = "advocacy.lead@advocacy.northbridge.example";
const ADVOCATE = "advocate@advocacy.northbridge.example";
const POLICE_OFFICER = "officer@police.northbridge.example";

const ADVOCATES = "Northbridge Young People's Advocates";
const POLICE = "Northbridge Police";
const HOSPITAL = "Northbridge General Hospital (A&E youth work)";
const SAFEGUARDING = "Safeguarding a child";

/**
 * A family name made up for this run, so that the duplicate check finds nobody and the emergency
 * search finds only this young person, however many runs a database has seen.
 */
function inventedFamilyName(): string {
  const onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr"];
  const vowels = ["a", "e", "i", "o", "u"];
  const codas = ["n", "r", "ll", "th", "ck"];
  const pick = (list: string[]) => list[randomInt(list.length)]!;
  const name = `${pick(onsets)}${pick(vowels)}${pick(onsets)}${pick(vowels)}${pick(onsets)}${pick(vowels)}${pick(codas)}`;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The date of birth of someone who turned `years` old `daysSince` days ago (in the UK). */
function bornAged(years: number, daysSince: number): { day: string; month: string; year: string } {
  const today = ukDatePlus(0);
  const birthday = new Date(
    Date.UTC(Number(today.year) - years, Number(today.month) - 1, Number(today.day) - daysSince),
  );
  return {
    day: String(birthday.getUTCDate()),
    month: String(birthday.getUTCMonth() + 1),
    year: String(birthday.getUTCFullYear()),
  };
}

const RUNS = [
  {
    label: "with JavaScript",
    javaScript: true,
    suffix: "js",
    givenName: "Tamsin",
    age: 16,
    dateOfBirth: bornAged(16, 100),
    postcodeDistrict: "NB7",
  },
  {
    label: "without JavaScript",
    javaScript: false,
    suffix: "nojs",
    givenName: "Idris",
    age: 17,
    dateOfBirth: bornAged(17, 40),
    postcodeDistrict: "NB5",
  },
];

/** The card on the emergency access page, or the review queue, whose title is `title`. */
function summaryCard(page: Page, title: string) {
  return page
    .locator(".govuk-summary-card")
    .filter({ has: page.getByRole("heading", { level: 3, name: title, exact: true }) });
}

describe.each(RUNS)(
  "decisions to share $label",
  ({ javaScript, suffix, givenName, age, dateOfBirth, postcodeDistrict }) => {
    const familyName = inventedFamilyName();
    const fullName = `${givenName} ${familyName}`;
    /** Set by the journey: the referral the emergency access test opens. */
    let referralPath: string | undefined;
    let reference: string | undefined;

    /** Sign in as `email`, do `steps`, check no script failed, and close the browser context. */
    async function as(email: string, steps: (session: Session) => Promise<void>): Promise<void> {
      const session = await signIn(browser, baseUrl, email, javaScript);
      try {
        await steps(session);
        expect(session.scriptErrors).toEqual([]);
      } finally {
        await session.context.close();
      }
    }

    test("consent to share with the advocates only: the hub cannot route to the police; after consent is withdrawn the advocates see nothing newer", async () => {
      const noteBeforeWithdrawal = `Saw ${givenName} in the emergency department follow-up clinic. Wound healing; agreed to meet the advocate on Friday.`;
      const noteAfterWithdrawal = `${givenName} rang to say they no longer want the advocates involved and will stay with their aunt in NB9 for now.`;

      // 1. The hospital youth worker refers a young person they met in A&E to the hub, sharing
      //    with the advocates on the young person's own consent.
      await as(YOUTH_WORKER, async (session) => {
        const { page } = session;
        await visit(session, "/referrals/new");
        expect(await heading(page)).toBe("Make a referral");
        await expectNoAccessibilityViolations(page, "make a referral");
        await page.getByRole("button", { name: "Start a referral" }).click();
        const start = await arrive(
          session,
          new RegExp(`^/referrals/${UUID}/draft/young-person$`),
          "Who is the referral about?",
        );
        const referralId = start.pathname.split("/")[2];
        referralPath = `/referrals/${referralId}`;
        await expectNoAccessibilityViolations(page, "who is the referral about (search)");

        await page.locator("#givenName").fill(givenName);
        await page.locator("#familyName").fill(familyName);
        await page.locator("#dateOfBirth-day").fill(dateOfBirth.day);
        await page.locator("#dateOfBirth-month").fill(dateOfBirth.month);
        await page.locator("#dateOfBirth-year").fill(dateOfBirth.year);
        await page.locator("#postcodeDistrict").fill(postcodeDistrict);
        await page.getByRole("button", { name: "Check for a match" }).click();
        await page.getByRole("heading", { level: 2, name: "No possible matches" }).waitFor();
        await page.getByRole("heading", { level: 2, name: "Record a new young person" }).waitFor();
        await expectNoAccessibilityViolations(page, "who is the referral about (no matches)");
        await page.locator("#school").fill("Northbridge Sixth Form College");
        await page.getByRole("button", { name: "Record and continue" }).click();

        await arrive(session, /\/draft\/concern$/, "Your concern");
        await expectNoAccessibilityViolations(page, "your concern");
        await page.getByLabel("A victim of harm").check();
        await page.getByLabel("Early intervention and prevention").check();
        await page
          .locator("#concern")
          .fill(
            `${givenName} came to A&E with a stab wound to the leg and would not say how it happened.\nThey told me they owe money to older boys and are scared to go home.`,
          );
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/risks$/, "Risk indicators");
        await expectNoAccessibilityViolations(page, "risk indicators");
        await page
          .locator("#risk-violence_related_ed_attendance")
          .selectOption({ label: "Significant" });
        await page.locator("#risk-drug_debt").selectOption({ label: "Emerging" });
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/knowledge$/, "What the young person and their family know");
        await expectNoAccessibilityViolations(page, "what the young person and family know");
        await page
          .locator("#youngPersonKnows")
          .fill("They asked me to find them someone to talk to, and agreed to an advocate.");
        await page.locator("#familyKnows").fill("Their aunt knows they were in hospital.");
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/safety$/, "Immediate safety and urgency");
        await expectNoAccessibilityViolations(page, "immediate safety and urgency");
        await page.locator("input[name=immediateDanger][value=no]").check();
        await page.getByLabel("Routine", { exact: true }).check();
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/destination$/, "Where to send the referral");
        await expectNoAccessibilityViolations(page, "where to send the referral");
        await page.getByLabel("The partnership hub (recommended)").check();
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/check$/, "Check your answers before sending the referral");
        await page.getByText("Not recorded yet", { exact: true }).waitFor();
        await expectNoAccessibilityViolations(page, "check your answers, no decision to share");
        await page.getByRole("link", { name: "Record the decision to share" }).click();
        await arrive(
          session,
          new RegExp(`^${referralPath}/sharing/new$`),
          "Record a decision to share",
        );
        await expectNoAccessibilityViolations(page, "record a decision to share: the decision");
        await chooseDecision(page, "Share");
        // Aged 16 or over, the young person is presumed able to consent.
        await expect(page.locator("#competenceAssessment-hint").innerText()).resolves.toContain(
          `(they are ${age})`,
        );
        await expectNoAccessibilityViolations(page, "record a decision to share (consent)");
        await fillDecision(page, {
          decision: "Share",
          recipients: [ADVOCATES],
          purposes: [SAFEGUARDING],
          wouldStillShare: false,
          consent: {
            reliedOn: true,
            givenBy: "The young person",
            agencies: [ADVOCATES],
            purposes: [SAFEGUARDING],
            form: "In writing",
          },
          article6: "6(1)(a) consent",
          article9: "Article 9(2)(a): explicit consent",
          gateway: "None",
          views: `${givenName} wants help from an advocate but does not want the police told.`,
          rationale: `${givenName} is 16 or over and able to decide. There is no immediate danger, so sharing rests on their consent, which covers the advocates only.`,
        });
        await page.getByRole("button", { name: "Record the decision" }).click();

        await arrive(session, /\/draft\/check$/, "Check your answers before sending the referral");
        await expect(page.locator("main").innerText()).resolves.toContain(
          `Share with ${ADVOCATES} (consent)`,
        );
        await expectNoAccessibilityViolations(page, "check your answers");
        await page.getByRole("button", { name: "Send referral" }).click();

        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral sent to the partnership");
        await expect(stateTag(page).textContent()).resolves.toBe("Waiting for screening");
        await expect(page.locator("#sharing").innerText()).resolves.toContain("Relies on consent");
        reference = normalise(
          await page.locator("main .govuk-caption-l").first().textContent(),
        ).replace(/^Referral\s+/, "");
        expect(reference).not.toBe("");
        await expectNoAccessibilityViolations(page, "referral, waiting for screening");
      });
      if (!referralPath) throw new Error("The referral was not started");
      const casePath = referralPath;

      // 2. The partnership lead screens it and tries to route it to the advocates and the police:
      //    no decision covers the police. Routed to the advocates alone, it goes.
      await as(PARTNERSHIP_LEAD, async (session) => {
        const { page } = session;
        await visit(session, casePath);
        expect(await heading(page)).toBe(fullName);
        await expectNoAccessibilityViolations(page, "referral as the partnership lead sees it");

        await page.getByRole("link", { name: "Screen (RAG rating)" }).click();
        await arrive(session, new RegExp(`^${casePath}/steps/screen$`), "Screen the referral");
        await expectNoAccessibilityViolations(page, "screen the referral");
        await page.getByLabel("Amber", { exact: true }).check();
        await page
          .locator("#rationale")
          .fill("Violence-related A&E attendance and a drug debt: needs an advocate this week.");
        await page.getByRole("button", { name: "Save the rating" }).click();
        await arrive(session, new RegExp(`^${casePath}$`), fullName);
        expect(await successBanner(page)).toContain("Screening recorded");
        await expectNoAccessibilityViolations(page, "referral, screened");

        await page.getByRole("link", { name: "Route to agencies" }).click();
        await arrive(session, new RegExp(`^${casePath}/steps/route$`), "Route the referral");
        await expectNoAccessibilityViolations(page, "route the referral");
        const advocates = page.getByLabel(ADVOCATES, { exact: true });
        const police = page.getByLabel(POLICE, { exact: true });
        await advocates.check();
        await police.check();
        await page.getByRole("button", { name: "Route the referral" }).click();
        await expect(errorSummary(page)).resolves.toEqual([
          `No current decision to share covers ${POLICE}: record a decision to share with them first`,
        ]);
        expect(new URL(page.url()).pathname).toBe(`${casePath}/steps/route`);
        expect(await heading(page)).toBe("Route the referral");
        // What was ticked is kept.
        await expect(advocates.isChecked()).resolves.toBe(true);
        await expect(police.isChecked()).resolves.toBe(true);
        await expectNoAccessibilityViolations(page, "route the referral, refused for the police");

        await police.uncheck();
        await page.getByRole("button", { name: "Route the referral" }).click();
        await arrive(session, new RegExp(`^${casePath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral routed");
        await expect(stateTag(page).textContent()).resolves.toBe("Waiting for an agency to accept");
        const advocatesRow = page.getByRole("row", { name: new RegExp(`^${ADVOCATES}`) });
        await expect(advocatesRow.innerText()).resolves.toContain("Waiting for an answer");
        await expect(
          page.getByRole("row", { name: new RegExp(`^${POLICE}`) }).count(),
        ).resolves.toBe(0);
        await expectNoAccessibilityViolations(page, "referral, routed to the advocates");
      });

      // 3. The advocates' lead accepts it and allocates Tomasz Nowak.
      await as(ADVOCACY_LEAD, async (session) => {
        const { page } = session;
        await visit(session, casePath);
        expect(await heading(page)).toBe(fullName);
        await expectNoAccessibilityViolations(page, "referral as the advocates' lead sees it");
        await page.getByRole("link", { name: "Accept and allocate" }).click();
        await arrive(session, new RegExp(`^${casePath}/steps/accept$`), "Accept the referral");
        await expectNoAccessibilityViolations(page, "accept the referral");
        await page.locator("#allocatedUserId").selectOption({ label: "Tomasz Nowak" });
        await page.getByRole("button", { name: "Accept and allocate" }).click();
        await arrive(session, new RegExp(`^${casePath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral accepted and allocated");
        await expect(stateTag(page).textContent()).resolves.toBe("Active");
        await expectNoAccessibilityViolations(page, "referral, accepted");
      });

      // 4. The youth worker adds a shared note, records that the young person withdrew their
      //    consent today, and adds another shared note.
      await as(YOUTH_WORKER, async (session) => {
        const { page } = session;
        const addSharedNote = async (body: string, what: string) => {
          await page.getByRole("link", { name: "Add a contact or note" }).click();
          await arrive(session, new RegExp(`^${casePath}/notes/new$`), "Add a contact or note");
          await expectNoAccessibilityViolations(page, `add a contact or note (${what})`);
          await page.getByLabel("Contact: in person", { exact: true }).check();
          await page.locator("#body").fill(body);
          await page.getByLabel("Shared with every agency involved", { exact: true }).check();
          await page.getByRole("button", { name: "Add note" }).click();
          await arrive(session, new RegExp(`^${casePath}$`), fullName);
          expect(await successBanner(page)).toContain("Note added");
          await expect(page.locator("#case-work").innerText()).resolves.toContain(body);
          await expectNoAccessibilityViolations(page, `referral, note added (${what})`);
        };

        await visit(session, casePath);
        expect(await heading(page)).toBe(fullName);
        await expectNoAccessibilityViolations(page, "referral as the referrer sees it");
        await addSharedNote(noteBeforeWithdrawal, "before the withdrawal");

        await page
          .getByRole("link", {
            name: `Record that consent was withdrawn for the decision to share with ${ADVOCATES}`,
            exact: true,
          })
          .click();
        await arrive(
          session,
          new RegExp(`^${casePath}/sharing/${UUID}/withdraw$`),
          "Record that consent was withdrawn",
        );
        await expectNoAccessibilityViolations(page, "record that consent was withdrawn");
        // The date starts as today.
        const today = ukDatePlus(0);
        await expect(page.locator("#withdrawnOn-day").inputValue()).resolves.toBe(today.day);
        await expect(page.locator("#withdrawnOn-month").inputValue()).resolves.toBe(today.month);
        await expect(page.locator("#withdrawnOn-year").inputValue()).resolves.toBe(today.year);
        await page
          .getByRole("group", { name: "Who withdrew consent?" })
          .getByLabel("The young person", { exact: true })
          .check();
        await page
          .locator("#note")
          .fill("They phoned the A&E youth work line and asked us to stop sharing with anyone.");
        await page.getByRole("button", { name: "Record the withdrawal" }).click();

        const withdrawn = await arrive(session, new RegExp(`^${casePath}$`), fullName);
        expect(withdrawn.searchParams.get("done")).toBe("consent-withdrawn");
        expect(await successBanner(page)).toContain("Withdrawal of consent recorded");
        // The referrer is prompted to record a new decision, which may rest on another basis.
        await expect(importantBanner(page, "Important").innerText()).resolves.toContain(
          "Consent was withdrawn: record a new decision to share",
        );
        await expect(page.locator("#sharing").innerText()).resolves.toContain(
          `Consent withdrawn ${shownDate(today)}`,
        );
        await expectNoAccessibilityViolations(page, "referral, consent withdrawn");

        await addSharedNote(noteAfterWithdrawal, "after the withdrawal");
      });

      // 5. The advocate sees the case only as it was when consent was withdrawn.
      await as(ADVOCATE, async (session) => {
        const { page } = session;
        await visit(session, casePath);
        expect(await heading(page)).toBe(fullName);
        expect(normalise(await importantBanner(page, "Important").textContent())).toContain(
          `Consent was withdrawn on ${shownDate(ukDatePlus(0))}. You can see this case only as it was then; nothing newer is shared with your agency.`,
        );
        const caseWork = await page.locator("#case-work").innerText();
        // Withdrawal is not retrospective: what they saw before stays.
        expect(caseWork).toContain(noteBeforeWithdrawal);
        expect(caseWork).not.toContain(noteAfterWithdrawal);
        await expect(page.locator("main").innerText()).resolves.not.toContain("aunt in NB9");
        await expectNoAccessibilityViolations(
          page,
          "referral as the advocate sees it after the withdrawal",
        );
        await saveScreenshot(page, `sharing-advocate-after-withdrawal-${suffix}`);
      });
      // Without JavaScript each accessibility check runs on a copy of the page: 3 to 4 seconds each.
    }, 300_000);

    test("a police officer opens emergency access to a young person the police are not involved with; the partnership lead reviews it", async () => {
      expect(
        referralPath,
        "the sharing journey creates the young person and referral",
      ).toBeDefined();
      const casePath = referralPath!;
      const explanation = `${givenName} was reported missing tonight and was last seen near the station with older males. I need to know who is working with them.`;
      const reviewNote =
        "A missing child with exploitation risk: access was proportionate and ended with the shift.";
      const opener = "Dan Hughes, Northbridge Police";

      await as(POLICE_OFFICER, async (session) => {
        const { page } = session;
        // The police are not involved: the referral is hidden, exactly as if it did not exist.
        const refused = await page.goto(casePath);
        expect(refused?.status()).toBe(404);
        expect(await heading(page)).toBe("Page not found");

        await visit(session, "/emergency-access");
        expect(await heading(page)).toBe("Emergency access");
        await expectNoAccessibilityViolations(page, "emergency access");
        await page.locator("#givenName").fill(givenName);
        await page.locator("#familyName").fill(familyName);
        await page.locator("#dateOfBirth-day").fill(dateOfBirth.day);
        await page.locator("#dateOfBirth-month").fill(dateOfBirth.month);
        await page.locator("#dateOfBirth-year").fill(dateOfBirth.year);
        await page.getByRole("button", { name: "Search", exact: true }).click();
        await page.getByRole("heading", { level: 2, name: "1 possible match" }).waitFor();
        const card = summaryCard(page, "Possible match 1");
        const known = normalise(await card.textContent());
        expect(known).toContain("You cannot see their record unless you open emergency access.");
        expect(known).toContain(HOSPITAL);
        expect(known).toContain(ADVOCATES);
        // Nothing about the young person themselves until access is opened.
        await expect(page.locator("main").innerText()).resolves.not.toContain(
          "Northbridge Sixth Form College",
        );
        await expectNoAccessibilityViolations(page, "emergency access, one possible match");

        await card
          .getByRole("group", { name: "Why do you need emergency access?" })
          .getByLabel("Missing child", { exact: true })
          .check();
        await card.locator("#reasonDetail-1").fill(explanation);
        await card
          .getByRole("button", { name: "Open emergency access to possible match 1", exact: true })
          .click();

        await arrive(session, new RegExp(`^/young-people/${UUID}$`), fullName);
        await expect(importantBanner(page, "Emergency access").innerText()).resolves.toContain(
          "You are viewing this record under emergency access until",
        );
        await expectNoAccessibilityViolations(page, "young person under emergency access");

        await page.getByRole("link", { name: reference!, exact: true }).click();
        await arrive(session, new RegExp(`^${casePath}$`), fullName);
        await expect(importantBanner(page, "Emergency access").innerText()).resolves.toContain(
          "Every page you open is recorded and will be reviewed by the partnership lead.",
        );
        await expect(page.locator("main").innerText()).resolves.toContain(
          "came to A&E with a stab wound",
        );
        await expectNoAccessibilityViolations(page, "referral under emergency access");
      });

      await as(PARTNERSHIP_LEAD, async (session) => {
        const { page } = session;
        await visit(session, "/emergency-access/reviews");
        expect(await heading(page)).toBe("Emergency access reviews");
        const title = `${fullName}, opened by ${opener}`;
        const card = summaryCard(page, title);
        const awaiting = normalise(await card.textContent());
        expect(awaiting).toContain("Missing child");
        expect(awaiting).toContain(explanation);
        expect(awaiting).toContain("Open now");
        await expectNoAccessibilityViolations(page, "emergency access reviews, awaiting review");

        await card
          .getByRole("group", { name: "Was this emergency access appropriate?" })
          .getByLabel("Appropriate", { exact: true })
          .check();
        await card.getByLabel("Your note", { exact: true }).fill(reviewNote);
        // Its visually hidden words name the access it reviews.
        const record = card.getByRole("button", { name: /^Record review\b/ });
        await expect(record.textContent()).resolves.toBe(`Record review: ${title}`);
        await record.click();

        // The same page again, told what was done.
        await page.waitForURL(
          (url) =>
            url.pathname === "/emergency-access/reviews" &&
            url.searchParams.get("done") === "reviewed",
        );
        await interactive(session);
        expect(await successBanner(page)).toContain("Review recorded");
        await expect(summaryCard(page, title).count()).resolves.toBe(0);
        const row = page.getByRole("row").filter({ hasText: fullName });
        await row.waitFor();
        const cells = (await row.locator("th, td").allInnerTexts()).map(normalise);
        expect(cells).toEqual([
          fullName,
          opener,
          "Missing child",
          expect.any(String),
          "Appropriate",
          expect.stringMatching(/^Priya Shah, /),
          reviewNote,
        ]);
        await expectNoAccessibilityViolations(page, "emergency access reviews, reviewed");
      });
    }, 120_000);
  },
);
