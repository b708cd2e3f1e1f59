import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium } from "./support/browser";
import { arrive, heading, normalise, signIn, successBanner, visit } from "./support/journey";

/**
 * The notifications page and the header's unread count: the demo leaves each person unread
 * notifications; they are read, filtered and marked read with and without JavaScript, and pass
 * axe. Each run is a different person, so one run's marking does not empty the other's.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each([
  {
    label: "with JavaScript",
    javaScript: true,
    email: "advocacy.lead@advocacy.northbridge.example",
  },
  { label: "without JavaScript", javaScript: false, email: "lead@northbridge.example" },
])("notifications $label", ({ javaScript, email }) => {
  test("are counted in the header, listed unread first, filtered and marked read", async () => {
    const session = await signIn(browser, baseUrl, email, javaScript);
    const { page } = session;
    const headerCount = async () => {
      const badge = page.getByTestId("unread-notifications");
      return (await badge.count()) === 0 ? 0 : Number(await badge.textContent());
    };
    try {
      // Home leads with the work waiting, and the header counts the unread.
      expect(await heading(page)).toBe("Your work waiting");
      await expectNoAccessibilityViolations(page, "home page with work waiting");
      const unread = await headerCount();
      expect(unread).toBeGreaterThan(1);

      await page.getByRole("link", { name: /^Notifications/ }).click();
      await arrive(session, /^\/notifications$/, "Notifications");
      await expectNoAccessibilityViolations(page, "notifications page");
      const items = page.locator(".app-notification");
      expect(await items.count()).toBeGreaterThanOrEqual(unread);
      // Unread first: every unread tag comes before any notification without one.
      const tags = await items.evaluateAll((elements) =>
        elements.map((element) => element.querySelector(".govuk-tag") !== null),
      );
      expect(tags.slice(0, unread).every(Boolean)).toBe(true);
      expect(tags.slice(unread).some(Boolean)).toBe(false);

      // Mark the first one read.
      await items
        .first()
        .getByRole("button", { name: /^Mark as read/ })
        .click();
      await arrive(session, /^\/notifications$/, "Notifications");
      expect(await successBanner(page)).toContain("Notification marked as read");
      expect(await headerCount()).toBe(unread - 1);
      await expectNoAccessibilityViolations(page, "notifications page after marking one read");

      // Filter by the first kind offered, then mark all of every kind read.
      const kind = page.locator("#kind");
      const firstKind = await kind.locator("option").nth(1).getAttribute("value");
      await kind.selectOption(firstKind ?? "");
      await page.getByRole("button", { name: "Show notifications" }).click();
      await page.waitForURL((url) => url.searchParams.get("kind") === firstKind);
      await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
      const shown = await page.locator(".app-notification h2").allTextContents();
      expect(shown.length).toBeGreaterThan(0);
      expect(new Set(shown.map((text) => normalise(text).replace(/^Unread /, ""))).size).toBe(1);

      await visit(session, "/notifications");
      await page.getByRole("button", { name: "Mark all as read" }).click();
      await arrive(session, /^\/notifications$/, "Notifications");
      expect(await successBanner(page)).toContain("Notifications marked as read");
      expect(await headerCount()).toBe(0);
      expect(normalise(await page.getByTestId("unread-summary").textContent())).toContain(
        "You have no unread notifications.",
      );
      await expectNoAccessibilityViolations(page, "notifications page, all read");
    } finally {
      await session.context.close();
    }
  });
});
