import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { DEMO_TOTP_KEY } from "../../../db/seed/demo";
import { freshTotpCode } from "../../support/totp";

/**
 * The second half of signing in, as a person with an authenticator app does it: on the code page,
 * the code their app shows now; on the set-up page, the key shown there, then past the recovery
 * codes. Crosswalk accepts each step's code once per account, so the steps used are remembered
 * (per server and account, in a file, because test files run in turn in separate workers).
 */

function ledgerFile(baseUrl: string): string {
  return path.join(os.tmpdir(), `crosswalk-e2e-totp-${new URL(baseUrl).port}.json`);
}

function readLedger(baseUrl: string): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(ledgerFile(baseUrl), "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

/** A code of `key` for `email` that this server has not yet accepted, remembered as used. */
export async function unusedCode(baseUrl: string, email: string, key: string): Promise<string> {
  const { code, step } = await freshTotpCode(key, readLedger(baseUrl)[email] ?? null);
  fs.writeFileSync(ledgerFile(baseUrl), JSON.stringify({ ...readLedger(baseUrl), [email]: step }));
  return code;
}

/** After the password: give the code (or set up the app), and arrive where sign-in leads. */
export async function completeSecondFactor(
  page: Page,
  baseUrl: string,
  email: string,
  key = DEMO_TOTP_KEY,
): Promise<void> {
  await page.waitForURL((url) =>
    ["/sign-in/second-factor", "/sign-in/enrol"].includes(url.pathname),
  );
  if (new URL(page.url()).pathname === "/sign-in/enrol") {
    await page.getByRole("heading", { level: 1, name: "Set up your authenticator app" }).waitFor();
    await page.getByText("I cannot scan the QR code").click();
    const shownKey = (await page.locator(".crosswalk-totp-key").textContent()) ?? "";
    await page.locator("#code").fill(await unusedCode(baseUrl, email, shownKey));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { level: 1, name: "Save your recovery codes" }).waitFor();
    await page.getByRole("link", { name: "I have saved my recovery codes – continue" }).click();
    return;
  }
  await page.getByRole("heading", { level: 1, name: "Enter your code" }).waitFor();
  await page.locator("#code").fill(await unusedCode(baseUrl, email, key));
  await page.getByRole("button", { name: "Continue" }).click();
}
