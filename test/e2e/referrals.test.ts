import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium, saveScreenshot } from "./support/browser";
import {
  arrive,
  fillDecision,
  heading,
  interactive,
  signIn,
  stateTag,
  successBanner,
  ukDatePlus,
  UUID,
  visit,
  type Session,
} from "./support/journey";

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const SCHOOL_DSL = "dsl@school.northbridge.example";
const PARTNERSHIP_LEAD = "lead@northbridge.example";
const ADVOCACY_LEAD = "advocacy.lead@advocacy.northbridge.example";
const ADVOCATE = "advocate@advocacy.northbridge.example";
const POLICE_OFFICER = "officer@police.northbridge.example";

const ADVOCATES = "Northbridge Young People's Advocates";
const OUTCOME = "Support completed: risk reduced";

/** A fresh browser context (no cookies), with or without JavaScript, signed in as `email`. */
function signedIn(email: string, javaScript: boolean): Promise<Session> {
  return signIn(browser, baseUrl, email, javaScript);
}

interface YoungPersonSeed {
  givenName: string;
  familyName: string;
  /** The family name with one letter changed, as someone else might mistype it. */
  misspeltFamilyName: string;
  dateOfBirth: { day: string; month: string; year: string };
  /** How the referral page shows the date of birth. */
  dateOfBirthShown: string;
  postcodeDistrict: string;
  school: string;
}

const RUNS: {
  label: string;
  javaScript: boolean;
  suffix: string;
  person: YoungPersonSeed;
}[] = [
  {
    label: "with JavaScript",
    javaScript: true,
    suffix: "js",
    person: {
      givenName: "Rowan",
      familyName: "Whitfield",
      misspeltFamilyName: "Whitfeeld",
      dateOfBirth: { day: "13", month: "10", year: "2011" },
      dateOfBirthShown: "13 October 2011",
      postcodeDistrict: "NB4",
      school: "Harbour Lane School",
    },
  },
  {
    label: "without JavaScript",
    javaScript: false,
    suffix: "nojs",
    person: {
      givenName: "Ellis",
      familyName: "Brennan",
      misspeltFamilyName: "Brennen",
      dateOfBirth: { day: "23", month: "2", year: "2012" },
      dateOfBirthShown: "23 February 2012",
      postcodeDistrict: "NB2",
      school: "Eastgate Community College",
    },
  },
];

describe.each(RUNS)("a referral $label", ({ javaScript, suffix, person }) => {
  const fullName = `${person.givenName} ${person.familyName}`;
  /** Set by the journey: the referral the later tests look at. */
  let referralId: string | undefined;
  let referralPath: string | undefined;

  test("a school refers a young person; the hub screens and routes it; advocates accept, work and close it; the school sees the outcome", async () => {
    const summary = `${person.givenName} has engaged well with weekly sessions and is back in school full time. The family are supported by the early help team.`;
    const noteBody = `Met ${person.givenName} at school with the designated safeguarding lead. Agreed weekly sessions.`;
    const actionText = `Arrange a mentoring introduction for ${person.givenName}`;

    // 1. The school's designated safeguarding lead refers the young person to the hub.
    {
      const session = await signedIn(SCHOOL_DSL, javaScript);
      const { context, page, scriptErrors } = session;
      try {
        await visit(session, "/referrals/new");
        expect(await heading(page)).toBe("Make a referral");
        await expectNoAccessibilityViolations(page, "make a referral");
        await page.getByRole("button", { name: "Start a referral" }).click();
        const start = await arrive(
          session,
          new RegExp(`^/referrals/${UUID}/draft/young-person$`),
          "Who is the referral about?",
        );
        referralId = start.pathname.split("/")[2];
        referralPath = `/referrals/${referralId}`;
        await expectNoAccessibilityViolations(page, "who is the referral about (search)");

        // The duplicate check: nobody like them is known, so they are recorded as someone new.
        await page.locator("#givenName").fill(person.givenName);
        await page.locator("#familyName").fill(person.familyName);
        await page.locator("#dateOfBirth-day").fill(person.dateOfBirth.day);
        await page.locator("#dateOfBirth-month").fill(person.dateOfBirth.month);
        await page.locator("#dateOfBirth-year").fill(person.dateOfBirth.year);
        await page.locator("#postcodeDistrict").fill(person.postcodeDistrict);
        await page.getByRole("button", { name: "Check for a match" }).click();
        await page.getByRole("heading", { level: 2, name: "No possible matches" }).waitFor();
        await page.getByRole("heading", { level: 2, name: "Record a new young person" }).waitFor();
        await expect(page.locator("#confirmNotAMatch").count()).resolves.toBe(0);
        // The search answers are kept for the details form.
        await expect(page.locator("#familyName").inputValue()).resolves.toBe(person.familyName);
        await expectNoAccessibilityViolations(page, "who is the referral about (no matches)");
        await page.locator("#school").fill(person.school);
        await page.getByRole("button", { name: "Record and continue" }).click();

        // Every question page, in order.
        await arrive(session, /\/draft\/concern$/, "Your concern");
        await expectNoAccessibilityViolations(page, "your concern");
        await page.getByLabel("At risk of harm or exploitation").check();
        await page.getByLabel("Tackling county lines and drug misuse").check();
        await page.getByLabel("Early intervention and prevention").check();
        await page
          .locator("#concern")
          .fill(
            `${person.givenName} has missed school on Mondays since half term and was seen getting into cars outside the gates.\nA friend told a teacher that ${person.givenName} "runs parcels" for older boys.`,
          );
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/risks$/, "Risk indicators");
        await expectNoAccessibilityViolations(page, "risk indicators");
        await page.locator("#risk-missing_episode").selectOption({ label: "Significant" });
        await page.locator("#risk-school_absence_or_decline").selectOption({ label: "Emerging" });
        await page.getByRole("button", { name: "Save and continue" }).click();

        await arrive(session, /\/draft\/knowledge$/, "What the young person and their family know");
        await expectNoAccessibilityViolations(page, "what the young person and family know");
        await page
          .locator("#youngPersonKnows")
          .fill("They know I am asking the partnership for help and agreed to meet an advocate.");
        await page
          .locator("#familyKnows")
          .fill("Their mother knows and asked the school for support.");
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

        // Check the answers, then send.
        await arrive(session, /\/draft\/check$/, "Check your answers before sending the referral");
        const answers = page.locator("main");
        await expect(answers.innerText()).resolves.toContain(fullName);
        await expect(answers.innerText()).resolves.toContain(`Born ${person.dateOfBirthShown}`);
        await expect(answers.innerText()).resolves.toContain("Missing episodes");
        await expect(answers.innerText()).resolves.toContain("The partnership hub");
        await expect(page.getByText("Not answered yet").count()).resolves.toBe(0);
        // Nothing is sent without a recorded decision to share.
        await page.getByText("Not recorded yet", { exact: true }).waitFor();
        await expectNoAccessibilityViolations(page, "check your answers, no decision to share");

        await page.getByRole("link", { name: "Record the decision to share" }).click();
        const decisionPage = await arrive(
          session,
          new RegExp(`^${referralPath}/sharing/new$`),
          "Record a decision to share",
        );
        expect(decisionPage.searchParams.get("returnTo")).toBe("check");
        await expectNoAccessibilityViolations(page, "record a decision to share");
        await fillDecision(page, {
          decision: "Share",
          recipients: [ADVOCATES],
          purposes: ["Safeguarding a child"],
          wouldStillShare: true,
          consent: {
            reliedOn: false,
            notSoughtBecause: "Asking would increase the risk to the young person or someone else",
          },
          article6: "6(1)(e) public task (the usual basis for public bodies)",
          article9: "DPA 2018 Schedule 1 paragraph 18: safeguarding of children",
          gateway: "None",
          rationale: `${person.givenName} may be being criminally exploited. The advocates need the whole referral to offer support; asking first could tip off the people exploiting them.`,
        });
        await page.getByRole("button", { name: "Record the decision" }).click();

        await arrive(session, /\/draft\/check$/, "Check your answers before sending the referral");
        await expect(page.getByText("Not recorded yet", { exact: true }).count()).resolves.toBe(0);
        await expect(page.locator("main").innerText()).resolves.toContain(
          `Share with ${ADVOCATES}`,
        );
        await expectNoAccessibilityViolations(page, "check your answers");
        await saveScreenshot(page, `referral-check-answers-${suffix}`);
        await page.getByRole("button", { name: "Send referral" }).click();

        const sent = await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(sent.searchParams.get("done")).toBe("submitted");
        expect(await successBanner(page)).toContain("Referral sent to the partnership");
        await expect(stateTag(page).textContent()).resolves.toBe("Waiting for screening");
        await expectNoAccessibilityViolations(page, "referral, waiting for screening");
        expect(scriptErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }
    if (!referralPath) throw new Error("The referral was not started");

    // 2. The partnership lead screens it amber and routes it to the advocates.
    {
      const session = await signedIn(PARTNERSHIP_LEAD, javaScript);
      const { context, page, scriptErrors } = session;
      try {
        const response = await visit(session, referralPath);
        expect(response?.status()).toBe(200);
        expect(await heading(page)).toBe(fullName);
        await expect(stateTag(page).textContent()).resolves.toBe("Waiting for screening");
        await expectNoAccessibilityViolations(page, "referral as the partnership lead sees it");

        await page.getByRole("link", { name: "Screen (RAG rating)" }).click();
        await arrive(session, new RegExp(`^${referralPath}/steps/screen$`), "Screen the referral");
        await expectNoAccessibilityViolations(page, "screen the referral");
        await page.getByLabel("Amber", { exact: true }).check();
        await page
          .locator("#rationale")
          .fill(
            "Repeated missing episodes and reported running of parcels: significant risk of criminal exploitation needing a coordinated response.",
          );
        await page.getByRole("button", { name: "Save the rating" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Screening recorded");
        await expect(stateTag(page).textContent()).resolves.toBe("Screened");
        await expect(page.locator("main h1 + p").innerText()).resolves.toContain("Amber");
        await expectNoAccessibilityViolations(page, "referral, screened");

        await page.getByRole("link", { name: "Route to agencies" }).click();
        await arrive(session, new RegExp(`^${referralPath}/steps/route$`), "Route the referral");
        await expectNoAccessibilityViolations(page, "route the referral");
        await page.getByLabel(ADVOCATES, { exact: true }).check();
        await page.getByRole("button", { name: "Route the referral" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral routed");
        await expect(stateTag(page).textContent()).resolves.toBe("Waiting for an agency to accept");
        const advocatesRow = page.getByRole("row", { name: new RegExp(`^${ADVOCATES}`) });
        await expect(advocatesRow.innerText()).resolves.toContain("Waiting for an answer");
        await expectNoAccessibilityViolations(page, "referral, routed");
        expect(scriptErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }

    // 3. The advocates' lead accepts it and allocates Tomasz Nowak.
    {
      const session = await signedIn(ADVOCACY_LEAD, javaScript);
      const { context, page, scriptErrors } = session;
      try {
        await visit(session, referralPath);
        expect(await heading(page)).toBe(fullName);
        await expectNoAccessibilityViolations(
          page,
          "referral as the receiving agency lead sees it",
        );
        await page.getByRole("link", { name: "Accept and allocate" }).click();
        await arrive(session, new RegExp(`^${referralPath}/steps/accept$`), "Accept the referral");
        await expectNoAccessibilityViolations(page, "accept the referral");
        await page.locator("#allocatedUserId").selectOption({ label: "Tomasz Nowak" });
        await page.getByRole("button", { name: "Accept and allocate" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral accepted and allocated");
        await expect(stateTag(page).textContent()).resolves.toBe("Active");
        const advocatesRow = page.getByRole("row", { name: new RegExp(`^${ADVOCATES}`) });
        await expect(advocatesRow.innerText()).resolves.toContain(
          "Accepted: allocated to Tomasz Nowak",
        );
        await expectNoAccessibilityViolations(page, "referral, accepted");
        expect(scriptErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }

    // 4. The advocate adds a shared note and an action, then closes the referral with an outcome.
    {
      const session = await signedIn(ADVOCATE, javaScript);
      const { context, page, scriptErrors } = session;
      try {
        await visit(session, referralPath);
        expect(await heading(page)).toBe(fullName);
        await expectNoAccessibilityViolations(page, "referral as the allocated advocate sees it");

        await page.getByRole("link", { name: "Add a contact or note" }).click();
        await arrive(session, new RegExp(`^${referralPath}/notes/new$`), "Add a contact or note");
        await expectNoAccessibilityViolations(page, "add a contact or note");
        // The date it happened starts as today.
        const today = ukDatePlus(0);
        await expect(page.locator("#occurredOn-day").inputValue()).resolves.toBe(today.day);
        await page.getByLabel("Contact: in person", { exact: true }).check();
        await page.locator("#body").fill(noteBody);
        await page.getByLabel("Shared with every agency involved", { exact: true }).check();
        await page.getByRole("button", { name: "Add note" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Note added");
        await expect(page.locator("#case-work").innerText()).resolves.toContain(noteBody);
        await expectNoAccessibilityViolations(page, "referral, note added");

        await page.getByRole("link", { name: "Add an action" }).click();
        await arrive(session, new RegExp(`^${referralPath}/actions/new$`), "Add an action");
        await expectNoAccessibilityViolations(page, "add an action");
        const due = ukDatePlus(14);
        await page.locator("#description").fill(actionText);
        await page.locator("#assignedAgencyId").selectOption({ label: ADVOCATES });
        await page.locator("#dueOn-day").fill(due.day);
        await page.locator("#dueOn-month").fill(due.month);
        await page.locator("#dueOn-year").fill(due.year);
        await page.getByRole("button", { name: "Add action" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Action added");
        await expect(page.locator("#case-work").innerText()).resolves.toContain(actionText);
        await expectNoAccessibilityViolations(page, "referral, action added");

        await page.getByRole("link", { name: "Close with an outcome" }).click();
        await arrive(session, new RegExp(`^${referralPath}/steps/close$`), "Close the referral");
        await expectNoAccessibilityViolations(page, "close the referral");
        // The action is still open: closing says what happens to it.
        await page
          .getByRole("group", { name: `What happens to this action? “${actionText}”` })
          .getByLabel("Done", { exact: true })
          .check();
        await page.getByLabel(OUTCOME, { exact: true }).check();
        await page.locator("#summary").fill(summary);
        await page.getByRole("button", { name: "Close the referral" }).click();
        await arrive(session, new RegExp(`^${referralPath}$`), fullName);
        expect(await successBanner(page)).toContain("Referral closed");
        await expect(stateTag(page).textContent()).resolves.toBe("Closed");
        await expectNoAccessibilityViolations(page, "referral, closed (advocate)");
        expect(scriptErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }

    // 5. The referrer sees the outcome: on the referral and in "Referrals I made".
    {
      const session = await signedIn(SCHOOL_DSL, javaScript);
      const { context, page, scriptErrors } = session;
      try {
        // The school is told the outcome arrived (the closed loop): a notification, linking to it.
        await visit(session, "/notifications?kind=referral_closed");
        const told = page.locator(".app-notification", {
          has: page.locator(`a[href="${referralPath}"]`),
        });
        await expect(told.innerText()).resolves.toMatch(/closed referral CW-/);
        await visit(session, referralPath);
        expect(await heading(page)).toBe(fullName);
        await expect(stateTag(page).textContent()).resolves.toBe("Closed");
        const outcome = page.getByRole("heading", { level: 2, name: `Outcome: ${OUTCOME}` });
        await outcome.waitFor();
        await expect(
          page.locator(".govuk-inset-text", { has: outcome }).innerText(),
        ).resolves.toContain(summary);
        // The advocate's shared note reaches the referrer's agency too.
        await expect(page.locator("#case-work").innerText()).resolves.toContain(noteBody);
        const reference = (
          (await page.locator("main .govuk-caption-l").first().textContent()) ?? ""
        )
          .replace(/^Referral\s+/, "")
          .trim();
        expect(reference).not.toBe("");
        await expectNoAccessibilityViolations(page, "referral, closed (referrer)");
        await saveScreenshot(page, `referral-closed-${suffix}`);

        await visit(session, "/cases?caseload=referred");
        expect(await heading(page)).toBe("Cases");
        await page.getByRole("heading", { level: 2, name: "Referrals I made" }).waitFor();
        await expectNoAccessibilityViolations(page, "cases: referrals I made");
        // Closed referrals have nothing due, so they sort last: filter to find this one.
        await page.locator("#state").selectOption({ label: "Closed" });
        await page.locator("#sort").selectOption({ label: "Newest first" });
        await page.getByRole("button", { name: "Apply filters" }).click();
        await page.waitForURL(
          (url) =>
            url.pathname === "/cases" &&
            url.searchParams.get("caseload") === "referred" &&
            url.searchParams.get("state") === "closed" &&
            url.searchParams.get("sort") === "newest",
        );
        await interactive(session);
        const row = page.getByRole("row").filter({
          has: page.getByRole("link", { name: reference, exact: true }),
        });
        await row.waitFor();
        // The first cell is the row's header.
        const cells = (await row.locator("th, td").allInnerTexts()).map((text) =>
          text.replace(/\s+/g, " ").trim(),
        );
        expect(cells[1]).toBe(fullName);
        expect(cells[2]).toBe("Closed");
        expect(cells[3]).toBe("Amber");
        expect(cells.at(-1)).toBe(OUTCOME);
        await expectNoAccessibilityViolations(page, "cases: referrals I made, closed");
        expect(scriptErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }
    // Without JavaScript each accessibility check runs on a copy of the page: about 3 to 4 seconds
    // each on two cores, over 100 seconds for the journey's 30 pages.
  }, 300_000);

  test("an agency that is not involved gets a 404 for the referral, and its duplicate check shows only who knows the young person", async () => {
    expect(referralPath, "the journey test creates the referral").toBeDefined();
    const session = await signedIn(POLICE_OFFICER, javaScript);
    const { context, page, scriptErrors } = session;
    try {
      // The refusal looks exactly like a referral that does not exist. The access log records it
      // (action referral.view, outcome refused, against this record); the end-to-end tests have no
      // database address to look there, so test/integration/referrals.test.ts checks that.
      const refused = await page.goto(referralPath!);
      expect(refused?.status()).toBe(404);
      expect(await heading(page)).toBe("Page not found");
      await expect(page.locator("main").innerText()).resolves.not.toContain(person.familyName);
      await expectNoAccessibilityViolations(page, "404 for a referral of another agency");
      const missing = await page.goto(`/referrals/00000000-0000-4000-8000-000000000000`);
      expect(missing?.status()).toBe(404);
      expect(await heading(page)).toBe("Page not found");

      await visit(session, "/referrals/new");
      await page.getByRole("button", { name: "Start a referral" }).click();
      await arrive(
        session,
        new RegExp(`^/referrals/${UUID}/draft/young-person$`),
        "Who is the referral about?",
      );
      await page.locator("#givenName").fill(person.givenName);
      await page.locator("#familyName").fill(person.misspeltFamilyName);
      await page.locator("#dateOfBirth-day").fill(person.dateOfBirth.day);
      await page.locator("#dateOfBirth-month").fill(person.dateOfBirth.month);
      await page.locator("#dateOfBirth-year").fill(person.dateOfBirth.year);
      await page.getByRole("button", { name: "Check for a match" }).click();
      await page.getByRole("heading", { level: 2, name: "1 possible match" }).waitFor();
      const matches = page.locator("#matches + ul");
      const shown = (await matches.innerText()).replace(/\s+/g, " ");
      expect(shown).toContain("Known to the partnership");
      expect(shown).toContain(
        `A young person matching these details is known to: Northbridge Academy, ${ADVOCATES}. You cannot see their record.`,
      );
      // Nothing about the young person themselves.
      const main = await page.locator("main").innerText();
      for (const secret of [
        person.familyName,
        person.dateOfBirthShown,
        person.school,
        person.postcodeDistrict,
      ]) {
        expect(main).not.toContain(secret);
      }
      await expect(
        page.getByRole("button", { name: /Refer this young person/ }).count(),
      ).resolves.toBe(0);
      await expect(page.locator(".govuk-summary-card").count()).resolves.toBe(0);
      // Because a match was found, recording someone new needs a confirmation.
      await page.locator("#confirmNotAMatch").waitFor();
      await expectNoAccessibilityViolations(page, "duplicate check: known to the partnership");
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  test("a question page with every answer wrong shows every error and keeps what was typed; a malformed step is a 400", async () => {
    const session = await signedIn(SCHOOL_DSL, javaScript);
    const { context, page, scriptErrors } = session;
    try {
      await visit(session, "/referrals/new");
      await page.getByRole("button", { name: "Start a referral" }).click();
      const start = await arrive(
        session,
        new RegExp(`^/referrals/${UUID}/draft/young-person$`),
        "Who is the referral about?",
      );
      const draftPath = start.pathname.replace(/\/young-person$/, "");
      await visit(session, `${draftPath}/concern`);
      expect(await heading(page)).toBe("Your concern");
      // Ends in a full stop: the service trims spaces before it measures.
      const tooLong = `${"A long account of what happened. ".repeat(304).slice(0, 10_000)}.`;
      expect(tooLong).toHaveLength(10_001);
      await page.locator("#concern").fill(tooLong);
      await page.getByRole("button", { name: "Save and continue" }).click();

      const summary = page.locator(".govuk-error-summary");
      await summary.waitFor();
      expect(new URL(page.url()).pathname).toBe(`${draftPath}/concern`);
      // One error per field, in the order the fields are on the page (as the GOV.UK Design System
      // asks), each linking to its field.
      const links = summary.getByRole("link");
      await expect(links.allInnerTexts()).resolves.toEqual([
        "Select the young person's role in the concern",
        "Select at least one Strategy theme",
        "Your concern must be 10,000 characters or fewer",
      ]);
      await expect(
        links.evaluateAll((all) => all.map((link) => link.getAttribute("href"))),
      ).resolves.toEqual(["#concernRoles", "#themes", "#concern"]);
      await expect(page.title()).resolves.toMatch(/^Error: Your concern/);
      // Without JavaScript the page comes back from the server, which shows the answer again up to
      // its limit (an oversized answer is never sent back in full); with it, the field the person
      // typed in stays as it was, so nothing they typed is lost either way.
      await expect(page.locator("#concern").inputValue()).resolves.toBe(
        javaScript ? tooLong : tooLong.slice(0, 10_000),
      );
      // Each field shows its own message.
      await expect(page.locator("#concern-error").innerText()).resolves.toContain(
        "Your concern must be 10,000 characters or fewer",
      );
      if (javaScript) {
        // The summary takes focus so that a screen reader announces it.
        await expect(
          summary.evaluate((element) => element === document.activeElement),
        ).resolves.toBe(true);
      }
      await expectNoAccessibilityViolations(page, "your concern, with errors");
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }

    // A screening form no page of ours would send: an unknown RAG rating.
    const lead = await signedIn(PARTNERSHIP_LEAD, javaScript);
    try {
      await visit(lead, "/cases?caseload=screening&sort=oldest");
      const first = lead.page.locator("main table tbody tr a.govuk-link").first();
      const href = await first.getAttribute("href");
      expect(href).toMatch(new RegExp(`^/referrals/${UUID}$`));
      await visit(lead, `${href}/steps/screen`);
      expect(await heading(lead.page)).toBe("Screen the referral");
      const version = await lead.page.locator("input[name=version]").inputValue();
      const response = await lead.page.request.post(`${href}/steps/screen`, {
        form: { version, rag: "purple", rationale: "Not a rating this service knows." },
        headers: { "Sec-Fetch-Site": "same-origin" },
        maxRedirects: 0,
      });
      expect(response.status()).toBe(400);
      // Still waiting for screening: nothing was recorded.
      await visit(lead, href!);
      await expect(stateTag(lead.page).textContent()).resolves.toBe("Waiting for screening");
      expect(lead.scriptErrors).toEqual([]);
    } finally {
      await lead.context.close();
    }
  }, 90_000);
});
