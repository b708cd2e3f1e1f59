import fs from "node:fs/promises";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from "vitest";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "../../db/seed/demo";
import { ROLE_DESCRIPTIONS } from "../../policies";
import { completeSecondFactor } from "./support/second-factor";
import {
  expectNoAccessibilityViolations,
  launchChromium,
  openPage,
  saveScreenshot,
  waitUntilInteractive,
} from "./support/browser";

const baseUrl = inject("baseUrl");

/** The demo agencies' names as people see them, by the seed's agency key (the seed keeps them private). */
const AGENCY_NAMES: Record<string, string> = {
  council: "Northbridge Council",
  vru: "Northbridge Violence Reduction Unit",
  police: "Northbridge Police",
  school: "Northbridge Academy",
  hospital: "Northbridge General Hospital (A&E youth work)",
  advocacy: "Northbridge Young People's Advocates",
  yjs: "Northbridge Youth Justice Service",
  csc: "Northbridge Children's Social Care",
  mentors: "Northbridge Street Mentors",
};

type DemoAccount = (typeof DEMO_ACCOUNTS)[number];

function account(email: string): DemoAccount {
  const found = DEMO_ACCOUNTS.find((candidate) => candidate.email === email);
  if (!found) throw new Error(`${email} is not a demo account`);
  return found;
}

function expectedIdentity(person: DemoAccount): string {
  const agency = AGENCY_NAMES[person.agency];
  if (!agency) throw new Error(`No agency name for the seed's agency key "${person.agency}"`);
  return `Signed in as ${person.name}, ${ROLE_DESCRIPTIONS[person.role].label}, ${agency}`;
}

const normalise = (text: string | null) => (text ?? "").replace(/\s+/g, " ").trim();

async function visit(page: Page, path: string, javaScript: boolean): Promise<Response> {
  const response = await page.goto(path);
  if (!response) throw new Error(`No response for ${path}`);
  await waitUntilInteractive(page, javaScript);
  return response;
}

async function submitSignInForm(page: Page, email: string, password: string): Promise<void> {
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signIn(page: Page, person: DemoAccount, javaScript: boolean): Promise<void> {
  await visit(page, "/sign-in", javaScript);
  await submitSignInForm(page, person.email, DEMO_PASSWORD);
  await completeSecondFactor(page, baseUrl, person.email);
  await page.waitForURL((url) => url.pathname === "/home");
  await page.getByTestId("identity").waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/signed-out");
  await page.getByRole("heading", { level: 1, name: "You have signed out" }).waitFor();
}

async function headingText(page: Page): Promise<string> {
  return normalise(await page.getByRole("heading", { level: 1 }).textContent());
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const MODES = [
  {
    label: "with JavaScript",
    javaScript: true,
    wrongPasswordEmail: "officer@police.northbridge.example",
  },
  {
    label: "without JavaScript",
    javaScript: false,
    wrongPasswordEmail: "dsl@school.northbridge.example",
  },
];

describe.each(MODES)("$label", ({ javaScript, wrongPasswordEmail }) => {
  let context: BrowserContext;
  let page: Page;
  let scriptErrors: string[];

  beforeEach(async () => {
    ({ context, page, scriptErrors } = await openPage(browser, { baseUrl, javaScript }));
  });

  afterEach(async () => {
    await context.close();
    expect(scriptErrors, "the browser reported script errors").toEqual([]);
  });

  test("the start page sends an anonymous visitor to sign in", async () => {
    await visit(page, "/", javaScript);

    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(await headingText(page)).toBe("Sign in to Crosswalk");
    await expectNoAccessibilityViolations(page, "The sign-in page");
  });

  test.each(DEMO_ACCOUNTS)(
    "$email signs in, sees their name, role and agency in the header, and signs out",
    async (person) => {
      await visit(page, "/sign-in", javaScript);
      await submitSignInForm(page, person.email, DEMO_PASSWORD);
      // The password alone opens nothing: the code from the published demo key comes next.
      await page.getByRole("heading", { level: 1, name: "Enter your code" }).waitFor();
      await waitUntilInteractive(page, javaScript);
      expect(new URL(page.url()).pathname).toBe("/sign-in/second-factor");
      expect(await page.getByTestId("identity").count()).toBe(0);
      await completeSecondFactor(page, baseUrl, person.email);
      await page.waitForURL((url) => url.pathname === "/home");

      const identity = page.getByTestId("identity");
      expect(normalise(await identity.textContent())).toBe(expectedIdentity(person));
      // Each person's home page says different things about them, so each is checked.
      await expectNoAccessibilityViolations(page, `${person.email}'s home page`);

      await signOut(page);
      expect(await identity.count()).toBe(0);
    },
  );

  test("after signing out, the home page sends the visitor back to sign in", async () => {
    await signIn(page, account("lead@northbridge.example"), javaScript);
    await signOut(page);
    await expectNoAccessibilityViolations(page, "The signed-out page");

    await visit(page, "/home", javaScript);

    const url = new URL(page.url());
    expect(url.pathname).toBe("/sign-in");
    expect(url.searchParams.get("returnTo")).toBe("/home");
    expect(await headingText(page)).toBe("Sign in to Crosswalk");
    await expectNoAccessibilityViolations(page, "The sign-in page after being sent back");
  });

  test("a session cookie kept from before signing out no longer signs anyone in", async () => {
    await signIn(page, account("auditor@northbridge.example"), javaScript);
    const sessionCookies = await context.cookies();
    expect(sessionCookies.map((cookie) => cookie.name)).toContain("crosswalk_session");
    await signOut(page);

    await context.addCookies(sessionCookies);
    await visit(page, "/home", javaScript);

    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(await page.getByTestId("identity").count()).toBe(0);
  });

  test("a wrong password shows the error summary and keeps the email address", async () => {
    await visit(page, "/sign-in", javaScript);
    const wrongPassword = "not-the-password-1";
    const documentResponse = javaScript
      ? null
      : page.waitForResponse(
          (response) =>
            response.request().isNavigationRequest() && response.request().method() === "POST",
        );

    await submitSignInForm(page, wrongPasswordEmail, wrongPassword);

    if (documentResponse) {
      const response = await documentResponse;
      expect(response.status()).toBe(401);
      expect(await response.text()).not.toContain(wrongPassword);
    }
    const summary = page.locator(".govuk-error-summary");
    await summary.waitFor();
    expect(normalise(await summary.getByRole("heading").textContent())).toBe("There is a problem");
    expect(normalise(await summary.getByRole("link").textContent())).toBe(
      "Enter a correct email address and password",
    );
    expect(await page.locator("#email").inputValue()).toBe(wrongPasswordEmail);
    expect(await page.title()).toBe("Error: Sign in – Crosswalk");
    if (javaScript) {
      // GOV.UK pattern: the summary takes focus so a screen reader announces it.
      expect(await summary.evaluate((element) => element === document.activeElement)).toBe(true);
    }
    await expectNoAccessibilityViolations(page, "The sign-in page showing an error");
  });

  test("an unknown page shows the GOV.UK page not found with status 404", async () => {
    const response = await visit(page, "/no-such-page", javaScript);

    expect(response.status()).toBe(404);
    expect(await headingText(page)).toBe("Page not found");
    expect(await page.title()).toBe("Page not found – Crosswalk");
    await expectNoAccessibilityViolations(page, "The page-not-found page");
  });

  test.each([
    { path: "/sign-in", signedIn: false },
    { path: "/signed-out", signedIn: false },
    { path: "/no-such-page", signedIn: false },
    { path: "/home", signedIn: true },
  ])("the first Tab on $path focuses the Skip to main content link", async ({ path, signedIn }) => {
    if (signedIn) await signIn(page, account("inspector@police.northbridge.example"), javaScript);
    await visit(page, path, javaScript);
    expect(new URL(page.url()).pathname).toBe(path);

    await page.keyboard.press("Tab");

    const skipLink = page.getByRole("link", { name: "Skip to main content" });
    expect(await skipLink.evaluate((link) => link === document.activeElement)).toBe(true);
    expect(await skipLink.isVisible()).toBe(true);
  });
});

test("screenshots of the sign-in page, its error state and the home page are saved for review", async () => {
  const { context, page, scriptErrors } = await openPage(browser, { baseUrl, javaScript: true });
  try {
    const person = account("youthworker@hospital.northbridge.example");
    await visit(page, "/sign-in", true);
    await expectNoAccessibilityViolations(page, "The sign-in page");
    const files = [await saveScreenshot(page, "sign-in")];

    await submitSignInForm(page, person.email, "not-the-password-2");
    await page.locator(".govuk-error-summary").waitFor();
    await expectNoAccessibilityViolations(page, "The sign-in page showing an error");
    files.push(await saveScreenshot(page, "sign-in-error"));

    await submitSignInForm(page, person.email, DEMO_PASSWORD);
    await page.getByRole("heading", { level: 1, name: "Enter your code" }).waitFor();
    await expectNoAccessibilityViolations(page, "The second-factor page");
    files.push(await saveScreenshot(page, "second-factor"));
    await completeSecondFactor(page, baseUrl, person.email);
    await page.waitForURL((url) => url.pathname === "/home");
    await page.getByTestId("identity").waitFor();
    await expectNoAccessibilityViolations(page, "The home page");
    files.push(await saveScreenshot(page, "home"));

    for (const file of files) expect((await fs.stat(file)).size, file).toBeGreaterThan(1_000);
    expect(scriptErrors, "the browser reported script errors").toEqual([]);
  } finally {
    await context.close();
  }
});
