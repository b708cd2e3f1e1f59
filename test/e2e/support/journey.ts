import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { DEMO_PASSWORD } from "../../../db/seed/demo";
import { openPage, waitUntilInteractive } from "./browser";
import { completeSecondFactor } from "./second-factor";

/**
 * Helpers for end-to-end journeys through Crosswalk as several people in turn: each person signs
 * in to a fresh browser context, with or without JavaScript, and every wait is for something the
 * page shows.
 */

export const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

export interface Session {
  context: BrowserContext;
  page: Page;
  scriptErrors: string[];
  javaScript: boolean;
}

/** A fresh browser context (no cookies), with or without JavaScript, signed in as `email`. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  javaScript: boolean,
): Promise<Session> {
  const session = { ...(await openPage(browser, { baseUrl, javaScript })), javaScript };
  try {
    await visit(session, "/sign-in");
    await session.page.locator("#email").fill(email);
    await session.page.locator("#password").fill(DEMO_PASSWORD);
    await session.page.getByRole("button", { name: "Sign in" }).click();
    await completeSecondFactor(session.page, baseUrl, email);
    await session.page.waitForURL((url) => url.pathname === "/home");
    await interactive(session);
    return session;
  } catch (error) {
    await session.context.close();
    throw error;
  }
}

/** Wait until the page has hydrated (with JavaScript); if it never does, say what broke it. */
export async function interactive(session: Session): Promise<void> {
  try {
    await waitUntilInteractive(session.page, session.javaScript);
  } catch (error) {
    throw new Error(
      `${session.page.url()} never became interactive. Script errors: ${JSON.stringify(session.scriptErrors)}`,
      { cause: error },
    );
  }
}

export async function visit(session: Session, path: string) {
  const response = await session.page.goto(path);
  await interactive(session);
  return response;
}

export async function heading(page: Page): Promise<string> {
  return normalise(await page.getByRole("heading", { level: 1 }).textContent());
}

export const normalise = (text: string | null): string => (text ?? "").replace(/\s+/g, " ").trim();

/**
 * Wait for a navigation (a full page load without JavaScript, the router's with it) to land on the
 * page whose path matches and whose main heading is `title`, then until it is interactive.
 */
export async function arrive(session: Session, path: RegExp, title: string): Promise<URL> {
  const { page } = session;
  await page.waitForURL((url) => path.test(url.pathname));
  await page.getByRole("heading", { level: 1, name: title, exact: true }).waitFor();
  await interactive(session);
  return new URL(page.url());
}

/** The text of the success banner shown after a change. */
export async function successBanner(page: Page): Promise<string> {
  const banner = page.locator(".govuk-notification-banner--success");
  await banner.waitFor();
  return normalise(await banner.textContent());
}

/** The text of the page's error summary, once it shows. */
export async function errorSummary(page: Page): Promise<string[]> {
  const summary = page.locator(".govuk-error-summary");
  await summary.waitFor();
  return (await summary.getByRole("link").allInnerTexts()).map(normalise);
}

/** The referral's state tag (the first tag under its heading). */
export function stateTag(page: Page): Locator {
  return page.locator("main h1 + p .govuk-tag").first();
}

/** An "important" notification banner, found by its title ("Important", "Emergency access"). */
export function importantBanner(page: Page, title: string): Locator {
  return page.getByRole("region", { name: title, exact: true });
}

const LONDON_DATE = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });

/** Today in the UK plus `days`, as the three parts of a GOV.UK date input. */
export function ukDatePlus(days: number): { day: string; month: string; year: string } {
  const when = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  const [year, month, day] = LONDON_DATE.format(when).split("-");
  return { day: String(Number(day)), month: String(Number(month)), year: year! };
}

/** A date as Crosswalk shows it, e.g. "13 October 2011". */
export function shownDate(date: { day: string; month: string; year: string }): string {
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(Date.UTC(Number(date.year), Number(date.month) - 1, Number(date.day)));
}

/** A decision to share, in the words of the form's labels. */
export interface DecisionAnswers {
  /** "Share", "Share some of it" or "Do not share". */
  decision: string;
  recipients: string[];
  /** Purpose labels, e.g. "Safeguarding a child". */
  purposes: string[];
  wouldStillShare: boolean;
  consent:
    | { reliedOn: true; givenBy: string; agencies: string[]; purposes: string[]; form: string }
    | { reliedOn: false; notSoughtBecause: string };
  article6: string;
  article9: string;
  gateway: string;
  views?: string;
  rationale: string;
}

/** Tick `label` in the group of radios or checkboxes whose legend is `legend`. */
async function choose(page: Page, legend: string, label: string): Promise<void> {
  await page
    .getByRole("group", { name: legend, exact: true })
    .getByLabel(label, { exact: true })
    .check();
}

/**
 * Answer the first question of "Record a decision to share", which has a page of its own, and go
 * on to the questions that decision asks. Nothing happens if it was answered already.
 */
export async function chooseDecision(page: Page, decision: string): Promise<void> {
  const question = page.getByRole("group", {
    name: "Will you share the young person's information?",
    exact: true,
  });
  if ((await question.count()) === 0) return;
  await question.getByLabel(decision, { exact: true }).check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#rationale").waitFor();
}

/** Answer the "Record a decision to share" form (without sending it). */
export async function fillDecision(page: Page, answers: DecisionAnswers): Promise<void> {
  await chooseDecision(page, answers.decision);
  for (const agency of answers.recipients) {
    await choose(page, "Which agencies is this decision about?", agency);
  }
  for (const purpose of answers.purposes) await choose(page, "Why do they need it?", purpose);
  await choose(
    page,
    "If they said no, would you still share?",
    answers.wouldStillShare ? "Yes, I would still share" : "No, I would share only if they agree",
  );
  const { consent } = answers;
  await choose(page, "Are you relying on consent?", consent.reliedOn ? "Yes" : "No");
  if (consent.reliedOn) {
    await choose(page, "Who gave consent?", consent.givenBy);
    for (const agency of consent.agencies) {
      await choose(page, "Which agencies did they agree to share with?", agency);
    }
    for (const purpose of consent.purposes) {
      await choose(page, "What did they agree it could be used for?", purpose);
    }
    await choose(page, "How did they give consent?", consent.form);
  } else {
    await choose(page, "Why was consent not sought?", consent.notSoughtBecause);
  }
  await choose(page, "What is your lawful basis? (UK GDPR Article 6)", answers.article6);
  await choose(
    page,
    "Are you sharing special-category information? (UK GDPR Article 9)",
    answers.article9,
  );
  await choose(
    page,
    "Is a particular law giving you the power to share? (statutory gateway)",
    answers.gateway,
  );
  if (answers.views) await page.locator("#youngPersonViews").fill(answers.views);
  await page.locator("#rationale").fill(answers.rationale);
}
