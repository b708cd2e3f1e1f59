import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { DEMO_PASSWORD } from "../../db/seed/demo";
import {
  expectNoAccessibilityViolations,
  launchChromium,
  openPage,
  waitUntilInteractive,
} from "./support/browser";
import { completeSecondFactor } from "./support/second-factor";
import { startCrosswalk, type CrosswalkServer } from "./support/server";

/**
 * Passkeys in a real browser: Chromium with a virtual platform authenticator (through the Chrome
 * DevTools Protocol), which makes and uses passkeys as a laptop's fingerprint reader would, user
 * verification included. Browsers refuse to make passkeys for an IP address, so this file starts
 * its own server whose PUBLIC_URL is http://localhost:<port>, and the browser goes there.
 */

const EMAIL = "officer@police.northbridge.example";

let server: CrosswalkServer;
let siteUrl: string;
let browser: Browser;

beforeAll(async () => {
  server = await startCrosswalk({ appDir: inject("appDir"), publicHost: "localhost" });
  siteUrl = `http://localhost:${new URL(server.baseUrl).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A platform authenticator with a fingerprint reader that always recognises its person. */
async function withVirtualAuthenticator(
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function givePassword(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await waitUntilInteractive(page, true);
  await page.locator("#email").fill(EMAIL);
  await page.locator("#password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/sign-in/second-factor");
  await waitUntilInteractive(page, true);
}

describe("passkeys", () => {
  let context: BrowserContext;
  let page: Page;
  let scriptErrors: string[];

  beforeAll(async () => {
    ({ context, page, scriptErrors } = await openPage(browser, {
      baseUrl: siteUrl,
      javaScript: true,
    }));
  });

  afterAll(async () => {
    await context?.close();
  });

  test("a person adds a passkey, signs out, and signs in again with their password and the passkey", async () => {
    const { cdp, authenticatorId } = await withVirtualAuthenticator(page);

    await givePassword(page);
    await completeSecondFactor(page, siteUrl, EMAIL);
    await page.waitForURL((url) => url.pathname === "/home");
    await waitUntilInteractive(page, true);

    await page.getByRole("link", { name: "Your passkeys" }).click();
    await page.getByRole("heading", { level: 1, name: "Your passkeys" }).waitFor();
    await waitUntilInteractive(page, true);
    await page.getByText("You have not added any passkeys.").waitFor();
    await expectNoAccessibilityViolations(page, "Your passkeys, before adding one");

    await page.getByLabel("Name this passkey").fill("Work laptop");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.locator(".govuk-notification-banner--success").waitFor();
    expect(await page.locator(".govuk-notification-banner--success").textContent()).toContain(
      "Your passkey has been added",
    );
    const row = page.getByRole("row", { name: /Work laptop/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("Not used yet");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials.map((credential) => credential.rpId)).toEqual(["localhost"]);
    await expectNoAccessibilityViolations(page, "Your passkeys, with one added");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signed-out");

    await givePassword(page);
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.waitForURL((url) => url.pathname === "/home");
    await page.getByRole("heading", { level: 1 }).waitFor();

    await page.goto("/account/passkeys");
    await waitUntilInteractive(page, true);
    expect(await page.getByRole("row", { name: /Work laptop/ }).textContent()).not.toContain(
      "Not used yet",
    );
    expect(scriptErrors).toEqual([]);
  });

  test("without JavaScript the passkeys page says adding one needs it, and offers no button", async () => {
    const plain = await openPage(browser, { baseUrl: siteUrl, javaScript: false });
    try {
      await plain.page.goto("/sign-in");
      await plain.page.locator("#email").fill(EMAIL);
      await plain.page.locator("#password").fill(DEMO_PASSWORD);
      await plain.page.getByRole("button", { name: "Sign in" }).click();
      await completeSecondFactor(plain.page, siteUrl, EMAIL);
      await plain.page.waitForURL((url) => url.pathname === "/home");
      // The passkey added above is offered only with JavaScript: the code form is what works here.
      await plain.page.goto("/account/passkeys");
      await plain.page.getByRole("heading", { level: 1, name: "Your passkeys" }).waitFor();
      expect(await plain.page.locator("main").textContent()).toContain(
        "Adding a passkey needs JavaScript",
      );
      expect(await plain.page.getByRole("button", { name: "Add a passkey" }).count()).toBe(0);
      await expectNoAccessibilityViolations(plain.page, "Your passkeys, without JavaScript");
    } finally {
      await plain.context.close();
    }
  });
});
