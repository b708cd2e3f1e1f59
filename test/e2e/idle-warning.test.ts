import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium, saveScreenshot } from "./support/browser";
import { signIn, visit } from "./support/journey";

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

// The shared server's idle timeout is the default, 30 minutes: the warning is due at 27 minutes
// (two minutes before, less the minute by which the server may have restarted the clock early).
describe("the idle warning", () => {
  test("with JavaScript, warns two minutes before the idle timeout and keeps the person signed in", async () => {
    const session = await signIn(browser, baseUrl, "auditor@northbridge.example", true);
    try {
      const { page } = session;
      await page.clock.install();
      await visit(session, "/home");
      const dialog = page.getByRole("dialog", { name: "You will be signed out soon" });
      await page.clock.fastForward("26:00");
      await expect(dialog.isVisible()).resolves.toBe(false);

      await page.clock.fastForward("01:30");
      await dialog.waitFor({ state: "visible" });
      await expectNoAccessibilityViolations(page, "The idle warning");
      await saveScreenshot(page, "idle-warning");

      await dialog.getByRole("button", { name: "Stay signed in" }).click();
      await dialog.waitFor({ state: "hidden" });
      await page.clock.fastForward("26:00");
      await expect(dialog.isVisible()).resolves.toBe(false);

      await page.clock.fastForward("04:00");
      await page.getByRole("dialog", { name: "You have been signed out" }).waitFor();
      expect(session.scriptErrors).toEqual([]);
    } finally {
      await session.context.close();
    }
  });

  test("without JavaScript, no warning is in the page", async () => {
    const session = await signIn(browser, baseUrl, "auditor@northbridge.example", false);
    try {
      await visit(session, "/home");
      expect(await session.page.locator("dialog").count()).toBe(0);
    } finally {
      await session.context.close();
    }
  });
});
