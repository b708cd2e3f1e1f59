import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { DEMO_PASSWORD } from "../../db/seed/demo";
import {
  expectNoAccessibilityViolations,
  launchChromium,
  openPage,
  saveScreenshot,
  waitUntilInteractive,
} from "./support/browser";
import { completeSecondFactor, unusedCode } from "./support/second-factor";

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function visit(page: Page, path: string, javaScript: boolean) {
  const response = await page.goto(path);
  await waitUntilInteractive(page, javaScript);
  return response;
}

async function signIn(page: Page, email: string, password: string, javaScript: boolean) {
  await visit(page, "/sign-in", javaScript);
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await completeSecondFactor(page, baseUrl, email);
  await page.waitForURL((url) => url.pathname === "/home");
}

async function heading(page: Page): Promise<string> {
  return ((await page.getByRole("heading", { level: 1 }).textContent()) ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

describe.each([
  { label: "with JavaScript", javaScript: true, suffix: "js" },
  { label: "without JavaScript", javaScript: false, suffix: "nojs" },
])("partnership administration $label", ({ javaScript, suffix }) => {
  test("an administrator adds an agency and a user; the one-time link works once; deactivation ends the session", async () => {
    const admin = await openPage(browser, { baseUrl, javaScript });
    const newcomer = await openPage(browser, { baseUrl, javaScript });
    const agencyName = `Eastgate Youth Club (${suffix})`;
    const personName = `Jamie Rivers ${suffix}`;
    const email = `jamie.rivers.${suffix}@eastgate.example`;
    const password = "river stones and lanterns";
    try {
      // The administrator adds an agency.
      await signIn(admin.page, "admin@northbridge.example", DEMO_PASSWORD, javaScript);
      await visit(admin.page, "/admin", javaScript);
      expect(await heading(admin.page)).toBe("Partnership administration");
      await expectNoAccessibilityViolations(admin.page, "administration overview");
      await visit(admin.page, "/admin/response-targets", javaScript);
      expect(await heading(admin.page)).toBe("Response targets");
      await expectNoAccessibilityViolations(admin.page, "response targets");
      await visit(admin.page, "/admin/emergency-access", javaScript);
      expect(await heading(admin.page)).toBe("Emergency access");
      await expectNoAccessibilityViolations(admin.page, "emergency access time");
      await visit(admin.page, "/admin/agencies", javaScript);
      await expectNoAccessibilityViolations(admin.page, "agencies");
      await admin.page.getByRole("button", { name: "Add an agency" }).click();
      await admin.page.waitForURL((url) => url.pathname === "/admin/agencies/new");
      await waitUntilInteractive(admin.page, javaScript);
      await expectNoAccessibilityViolations(admin.page, "add an agency");
      await admin.page.getByLabel("Name", { exact: true }).fill(agencyName);
      await admin.page.getByLabel("Voluntary and community sector").check();
      await admin.page.getByRole("button", { name: "Add agency" }).click();
      await admin.page.waitForURL((url) => url.pathname === "/admin/agencies");
      await admin.page.getByRole("link", { name: `Change ${agencyName}` }).waitFor();
      await expectNoAccessibilityViolations(admin.page, "agencies after adding one");

      // The administrator adds a user in it and is shown the one-time link, once.
      await visit(admin.page, "/admin/users/new", javaScript);
      await expectNoAccessibilityViolations(admin.page, "add a user");
      await admin.page.getByLabel("Full name").fill(personName);
      await admin.page.getByLabel("Email address").fill(email);
      await admin.page.getByLabel("Agency", { exact: true }).selectOption({ label: agencyName });
      await admin.page.getByLabel("Practitioner", { exact: true }).check();
      await admin.page.getByRole("button", { name: "Add user" }).click();
      const linkBox = admin.page.locator("#set-password-link");
      await linkBox.waitFor();
      const link = (await linkBox.inputValue()).trim();
      expect(link).toMatch(new RegExp(`^${baseUrl}/set-password/[A-Za-z0-9_-]{43}$`));
      expect(admin.page.url()).not.toContain(link.split("/").at(-1));
      await expectNoAccessibilityViolations(admin.page, "user created, link shown");
      if (javaScript) await saveScreenshot(admin.page, "admin-user-created");

      // The newcomer sets a password through the link and signs in.
      await visit(newcomer.page, link, javaScript);
      expect(await heading(newcomer.page)).toBe("Set your password");
      await expectNoAccessibilityViolations(newcomer.page, "set your password");
      await newcomer.page.getByLabel("New password").fill(password);
      await newcomer.page.getByLabel("Enter the password again").fill(password);
      await newcomer.page.getByRole("button", { name: "Set password" }).click();
      await newcomer.page.waitForURL((url) => url.pathname === "/sign-in");
      await newcomer.page.getByText("Your password has been set").waitFor();
      await expectNoAccessibilityViolations(newcomer.page, "sign-in after setting a password");
      await newcomer.page.locator("#email").fill(email);
      await newcomer.page.locator("#password").fill(password);
      await newcomer.page.getByRole("button", { name: "Sign in" }).click();
      // A new account sets up its authenticator app at its first sign-in, then keeps its
      // recovery codes.
      await newcomer.page
        .getByRole("heading", { level: 1, name: "Set up your authenticator app" })
        .waitFor();
      expect(new URL(newcomer.page.url()).pathname).toBe("/sign-in/enrol");
      await waitUntilInteractive(newcomer.page, javaScript);
      await expectNoAccessibilityViolations(newcomer.page, "set up your authenticator app");
      await newcomer.page.getByText("I cannot scan the QR code").click();
      const key = (await newcomer.page.locator(".crosswalk-totp-key").textContent()) ?? "";
      await newcomer.page.locator("#code").fill(await unusedCode(baseUrl, email, key));
      await newcomer.page.getByRole("button", { name: "Continue" }).click();
      await newcomer.page
        .getByRole("heading", { level: 1, name: "Save your recovery codes" })
        .waitFor();
      await waitUntilInteractive(newcomer.page, javaScript);
      expect(await newcomer.page.locator(".crosswalk-recovery-codes li").count()).toBe(10);
      await expectNoAccessibilityViolations(newcomer.page, "save your recovery codes");
      await newcomer.page
        .getByRole("link", { name: "I have saved my recovery codes – continue" })
        .click();
      await newcomer.page.waitForURL((url) => url.pathname === "/home");
      expect(await newcomer.page.getByTestId("identity").textContent()).toContain(personName);

      // The link works once only.
      const again = await newcomer.page.context().newPage();
      const reuse = await again.goto(link);
      expect(reuse?.status()).toBe(410);
      expect(await heading(again)).toBe("This link no longer works");
      await again.close();

      // The administrator deactivates the newcomer; their open session is refused on its next request.
      await visit(admin.page, "/admin/users", javaScript);
      await expectNoAccessibilityViolations(admin.page, "user accounts");
      await admin.page.getByRole("link", { name: `Change ${personName}` }).click();
      await admin.page.waitForURL((url) => /^\/admin\/users\/[0-9a-f-]{36}$/.test(url.pathname));
      await waitUntilInteractive(admin.page, javaScript);
      await expectNoAccessibilityViolations(admin.page, "one user account");
      await admin.page.getByRole("button", { name: "Deactivate account" }).click();
      await admin.page.getByText("Account deactivated").first().waitFor();

      const refused = await newcomer.page.goto("/home");
      expect(new URL(refused?.url() ?? "").pathname).toBe("/sign-in");
      expect(admin.scriptErrors).toEqual([]);
      expect(newcomer.scriptErrors).toEqual([]);
    } finally {
      await admin.context.close();
      await newcomer.context.close();
    }
  }, 180_000);
});

describe("the access matrix", () => {
  test("is open to every role, lists every action and passes axe", async () => {
    const { context, page } = await openPage(browser, { baseUrl, javaScript: true });
    try {
      await signIn(page, "auditor@northbridge.example", DEMO_PASSWORD, true);
      await visit(page, "/access-matrix", true);
      expect(await heading(page)).toBe("Who can do what");
      const rows = await page.locator("[data-testid=access-summary] tbody tr").count();
      expect(rows).toBeGreaterThan(20);
      await expectNoAccessibilityViolations(page, "access matrix");
      await saveScreenshot(page, "access-matrix");
    } finally {
      await context.close();
    }
  });

  test("is not offered, and administration is refused, to a practitioner", async () => {
    const { context, page } = await openPage(browser, { baseUrl, javaScript: true });
    try {
      await signIn(page, "officer@police.northbridge.example", DEMO_PASSWORD, true);
      await expect(page.getByRole("link", { name: "Administration" }).count()).resolves.toBe(0);
      const response = await page.goto("/admin/users");
      expect(response?.status()).toBe(403);
      await expectNoAccessibilityViolations(page, "403 page");
    } finally {
      await context.close();
    }
  });
});
