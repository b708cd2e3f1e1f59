import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { DEMO_ACCOUNTS } from "../../db/seed/demo";
import { startIdentityProvider, type TestIdentityProvider } from "../support/oidc-provider";
import { expectNoAccessibilityViolations, launchChromium, openPage } from "./support/browser";
import {
  arrive,
  heading,
  interactive,
  normalise,
  signIn,
  successBanner,
  visit,
  type Session,
} from "./support/journey";
import { startCrosswalk, type CrosswalkServer } from "./support/server";

/**
 * Single sign-on in the browser, against a real OpenID provider (node-oidc-provider) started by
 * this test on a loopback port. The demo administrator sets up Northbridge Police's identity
 * provider on its agency page; a police officer then signs in through it; an identity the provider
 * vouches for but that has no Crosswalk account is refused. The test runs its own Crosswalk (the
 * shared one is left without single sign-on), with its own demo partnership.
 */

const ADMIN = "admin@northbridge.example";
const OFFICER = (() => {
  const found = DEMO_ACCOUNTS.find(
    (account) => account.email === "officer@police.northbridge.example",
  );
  if (!found) throw new Error("The demo has no police officer");
  return found;
})();
const STRANGER = "stranger@police.northbridge.example";

let server: CrosswalkServer;
let idp: TestIdentityProvider;
let browser: Browser;

beforeAll(async () => {
  server = await startCrosswalk({ appDir: inject("appDir") });
  idp = await startIdentityProvider({
    redirectUri: `${server.baseUrl}/sign-in/oidc/callback`,
    accounts: [
      // The provider asks its people for more than a password, and says so.
      { email: OFFICER.email, amr: ["pwd", "mfa"] },
      { email: STRANGER, amr: ["pwd", "mfa"] },
    ],
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await idp?.close();
  await server?.stop();
});

async function withSession<T>(session: Session, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    expect(session.scriptErrors, "the browser reported script errors").toEqual([]);
    return result;
  } finally {
    await session.context.close();
  }
}

/** From Crosswalk's sign-in page, through "Sign in with your organisation", to the provider's page. */
async function goToProvider(session: Session, email: string): Promise<void> {
  const { page } = session;
  await visit(session, "/sign-in");
  await page.getByRole("link", { name: "Sign in with your organisation" }).click();
  await arrive(session, /^\/sign-in\/organisation$/, "Sign in with your organisation");
  await expectNoAccessibilityViolations(page, "The sign-in-with-your-organisation page");
  await page.locator("#email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page
    .getByRole("heading", { level: 1, name: "Continue to your organisation's sign-in" })
    .waitFor();
  await interactive(session);
  await expectNoAccessibilityViolations(page, "The continue-to-your-organisation page");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === idp.issuer);
}

/** At the provider's own sign-in page, sign in as `login`. */
async function signInAtProvider(session: Session, login: string): Promise<void> {
  await session.page.locator("#login").fill(login);
  await session.page.getByRole("button", { name: "Continue" }).click();
  await session.page.waitForURL((url) => url.origin === server.baseUrl);
}

/**
 * The demo administrator sets up Northbridge Police's identity provider on its agency page, once:
 * each test that needs it waits for the same set-up, so none depends on another having run.
 */
let setUp: Promise<void> | undefined;
function setUpThroughAdminPage(): Promise<void> {
  setUp ??= (async () => {
    const session = await signIn(browser, server.baseUrl, ADMIN, true);
    await withSession(session, async () => {
      const { page } = session;
      await visit(session, "/admin/agencies");
      await page.getByRole("link", { name: "Change Northbridge Police", exact: true }).click();
      await arrive(session, /^\/admin\/agencies\/[0-9a-f-]{36}$/, "Northbridge Police");
      await page.getByRole("link", { name: "Set up single sign-on" }).click();
      await arrive(session, /\/sign-in$/, "Single sign-on");
      await expectNoAccessibilityViolations(page, "An agency's single sign-on page");

      await page.locator("#issuer").fill(idp.issuer);
      await page.locator("#clientId").fill(idp.clientId);
      await page.locator("#clientSecret").fill(idp.clientSecret);
      await page.locator("#emailClaim").fill("email");
      await page.getByLabel("Yes, turn single sign-on on").check();
      await page.getByRole("button", { name: "Save single sign-on" }).click();

      expect(await successBanner(page)).toContain("Single sign-on saved");
      // The secret is never shown back, not even in the field.
      expect(await page.locator("#clientSecret").inputValue()).toBe("");
      expect(await page.content()).not.toContain(idp.clientSecret);
      await expectNoAccessibilityViolations(page, "An agency's single sign-on page, saved");
    });
  })();
  return setUp;
}

describe("single sign-on through an agency's identity provider", () => {
  test("the administrator sets up Northbridge Police's identity provider on its agency page", async () => {
    await setUpThroughAdminPage();
  });

  test("a police officer signs in through the provider, without JavaScript", async () => {
    await setUpThroughAdminPage();
    const session = {
      ...(await openPage(browser, { baseUrl: server.baseUrl, javaScript: false })),
      javaScript: false,
    };
    await withSession(session, async () => {
      await goToProvider(session, OFFICER.email);
      await signInAtProvider(session, OFFICER.email);
      // The provider asserted multi-factor (amr "mfa"): no Crosswalk code is asked for.
      await session.page.waitForURL((url) => url.pathname === "/home");
      const identity = normalise(await session.page.getByTestId("identity").textContent());
      expect(identity).toContain(`Signed in as ${OFFICER.name}`);
      await expectNoAccessibilityViolations(session.page, "The officer's home page");
    });
  });

  test("an identity the provider vouches for, with no Crosswalk account, is refused", async () => {
    await setUpThroughAdminPage();
    const session = {
      ...(await openPage(browser, { baseUrl: server.baseUrl, javaScript: true })),
      javaScript: true,
    };
    await withSession(session, async () => {
      await goToProvider(session, OFFICER.email);
      await signInAtProvider(session, STRANGER);
      await session.page.waitForURL((url) => url.pathname === "/sign-in/oidc/callback");
      await interactive(session);
      expect(await heading(session.page)).toBe("You cannot sign in to Crosswalk with this account");
      expect(await session.page.getByTestId("identity").count()).toBe(0);
      await expectNoAccessibilityViolations(session.page, "The single sign-on refusal page");
      // Nobody was signed in: the home page still asks for sign-in.
      await visit(session, "/home");
      expect(new URL(session.page.url()).pathname).toBe("/sign-in");
    });
  });
});
