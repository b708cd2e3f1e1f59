import fs from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium, saveScreenshot } from "./support/browser";
import {
  arrive,
  errorSummary,
  heading,
  normalise,
  signIn,
  successBanner,
  UUID,
  visit,
} from "./support/journey";

/**
 * The oversight dashboards, as the "done when" describes them: the partnership lead sees
 * the partnership dashboard's summary (a contents list, the key figures and every table a link
 * away), opens a table's page with its chart, numbers and CSV, filters it, drills into "past the
 * response target"; the police agency lead sees only the police dashboard; a
 * practitioner gets a 404 for both. Every dashboard passes axe, with and without JavaScript, and
 * a screenshot of each is saved for a person to look at.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** The numbers table that follows a chart, found by its caption. */
function numbers(page: Page, title: string) {
  return page.getByRole("table", { name: `${title}: the numbers` });
}

describe.each([
  { label: "with JavaScript", javaScript: true },
  { label: "without JavaScript", javaScript: false },
])("oversight dashboards $label", ({ javaScript }) => {
  test("the partnership lead sees, filters, drills into and downloads the partnership dashboard", async () => {
    const session = await signIn(browser, baseUrl, "lead@northbridge.example", javaScript);
    const { page } = session;
    try {
      await page.getByRole("link", { name: "Dashboards" }).click();
      await arrive(session, /^\/oversight$/, "Partnership dashboard");
      // A summary first: the contents, the key figures, and every table a link away.
      const contents = page.getByRole("navigation", { name: "Contents" });
      expect(await contents.getByRole("link").allTextContents()).toEqual([
        "At a glance",
        "Filters",
        "Now: the tables of what stands at this moment",
        "Over the period: the tables of what happened",
        "Agency dashboards",
      ]);
      expect(await page.locator("table").count()).toBe(0);
      const tableLinks = page.locator('main h3 a[href*="table="]');
      expect(await tableLinks.count()).toBe(12);
      await expectNoAccessibilityViolations(page, "partnership dashboard");
      if (javaScript) await saveScreenshot(page, "oversight-partnership-dashboard");
      expect((await page.content()).length).toBeLessThan(300 * 1024);

      // Each table opens on a page of its own: its chart, before its numbers, and its CSV.
      const openReferrals = Number(
        normalise(
          await page
            .locator(".app-key-figure", { hasText: "open referrals" })
            .locator(".app-key-figure__value")
            .textContent(),
        ).replace(/,/g, ""),
      );
      await page.getByRole("link", { name: "Open referrals by status" }).click();
      await arrive(session, /^\/oversight$/, "Open referrals by status");
      const charts = page.locator('figure svg[role="img"]');
      expect(await charts.count()).toBe(1);
      const statusRows = numbers(page, "Open referrals by status").getByRole("row");
      const statusCounts = (await statusRows.locator("td").allTextContents()).map((text) =>
        Number(normalise(text).replace(/,/g, "")),
      );
      // The key figure on the first page is the sum of this table's numbers.
      expect(statusCounts.reduce((sum, value) => sum + value, 0)).toBe(openReferrals);
      const statusRow = numbers(page, "Open referrals by status").getByRole("row", {
        name: /^Active/,
      });
      const active = normalise(await statusRow.getByRole("cell").textContent());
      expect(Number(active)).toBeGreaterThan(0);
      await expect
        .poll(() => charts.first().locator("desc").textContent())
        .toContain(`Active: ${active}`);
      await expectNoAccessibilityViolations(page, "a dashboard table's page");
      if (javaScript) await saveScreenshot(page, "oversight-table-page");

      // Download the table as CSV: counts only, small ones suppressed.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('a[download][href^="/oversight/download/open-by-status?"]').click(),
      ]);
      const csv = await fs.readFile(await download.path(), "utf8");
      const lines = csv.trim().split("\r\n");
      expect(lines[0]).toBe("Status,Referrals");
      expect(lines).toContain(`Active,${active}`);
      expect(lines.join("\n")).toMatch(/fewer than 5/);

      // The next table, by the pagination at the foot of the page.
      await page.getByRole("navigation", { name: "Other tables" }).getByRole("link").click();
      await arrive(session, /^\/oversight$/, "Open referrals by RAG rating");

      // Filter by RAG rating: the address carries the filter and the table; only red is counted.
      await page.getByLabel("RAG rating", { exact: true }).selectOption({ label: "Red" });
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(
        (url) =>
          url.searchParams.get("rag") === "red" && url.searchParams.get("table") === "open-by-rag",
      );
      await arrive(session, /^\/oversight$/, "Open referrals by RAG rating");
      const rag = numbers(page, "Open referrals by RAG rating");
      const amber = rag.getByRole("row", { name: /^Amber/ }).getByRole("cell");
      await expect.poll(async () => normalise(await amber.textContent())).toBe("0");
      expect(
        Number(
          normalise(await rag.getByRole("row", { name: /^Red/ }).getByRole("cell").textContent()),
        ),
      ).toBeGreaterThan(0);
      await page.getByRole("link", { name: "Clear filters" }).click();
      await page.waitForURL((url) => url.search === "?table=open-by-rag");

      // Back to the summary; drill into the referrals past their screening target.
      await page.getByRole("link", { name: "Back to the dashboard" }).click();
      await arrive(session, /^\/oversight$/, "Partnership dashboard");
      await page.getByRole("link", { name: /waiting past their response target/ }).click();
      await arrive(
        session,
        /^\/oversight$/,
        "Waiting for a response, within and past the response target",
      );
      const targets = numbers(page, "Waiting for a response, within and past the response target");
      const past = targets
        .getByRole("row", { name: /^Screening by the partnership hub/ })
        .getByRole("cell")
        .nth(1)
        .getByRole("link");
      const pastCount = Number(normalise(await past.textContent()));
      expect(pastCount).toBeGreaterThan(0);
      await past.click();
      await arrive(session, /^\/oversight\/referrals$/, "Referrals behind a number");
      const listed = page.getByRole("table").getByRole("link", { name: /^CW-/ });
      expect(await listed.count()).toBe(pastCount);
      expect(await listed.first().getAttribute("href")).toMatch(new RegExp(`^/referrals/${UUID}$`));
      await expectNoAccessibilityViolations(page, "the referrals behind a number");
      await page.getByRole("link", { name: "Back to the table" }).click();
      await arrive(
        session,
        /^\/oversight$/,
        "Waiting for a response, within and past the response target",
      );
    } finally {
      await session.context.close();
    }
  });

  test("the police agency lead sees only the police dashboard; a practitioner neither", async () => {
    const session = await signIn(
      browser,
      baseUrl,
      "inspector@police.northbridge.example",
      javaScript,
    );
    const { page } = session;
    let policeDashboard: string;
    try {
      await page.getByRole("link", { name: "Dashboards" }).click();
      const url = await arrive(
        session,
        new RegExp(`^/oversight/agencies/${UUID}$`),
        "Northbridge Police",
      );
      policeDashboard = url.pathname;
      expect(await page.getByRole("link", { name: "Open caseload by agency" }).count()).toBe(0);
      await expectNoAccessibilityViolations(page, "agency dashboard");
      if (javaScript) await saveScreenshot(page, "oversight-agency-dashboard");
      await page.getByRole("link", { name: "Open caseload by practitioner" }).click();
      await arrive(session, new RegExp(`^${policeDashboard}$`), "Open caseload by practitioner");
      expect(
        await page
          .getByRole("table", { name: "Open caseload by practitioner: the numbers" })
          .count(),
      ).toBe(1);
      await expectNoAccessibilityViolations(page, "an agency dashboard table's page");
      await page.getByRole("link", { name: "Back to the dashboard" }).click();
      await arrive(session, new RegExp(`^${policeDashboard}$`), "Northbridge Police");
      // No agency filter: the dashboard is the police's whatever the address says.
      expect(await page.getByLabel("Agency involved").count()).toBe(0);
      const other = await visit(
        session,
        "/oversight/agencies/00000000-0000-4000-8000-00000000beef",
      );
      expect(other?.status()).toBe(404);
    } finally {
      await session.context.close();
    }

    const officer = await signIn(
      browser,
      baseUrl,
      "officer@police.northbridge.example",
      javaScript,
    );
    try {
      expect(await officer.page.getByRole("link", { name: "Dashboards" }).count()).toBe(0);
      for (const path of ["/oversight", policeDashboard]) {
        const response = await visit(officer, path);
        expect(response?.status(), path).toBe(404);
        expect(await heading(officer.page)).toBe("Page not found");
      }
    } finally {
      await officer.context.close();
    }
  });

  test("the administrator sets the smallest count an export may show", async () => {
    const session = await signIn(browser, baseUrl, "admin@northbridge.example", javaScript);
    const { page } = session;
    try {
      await visit(session, "/admin");
      await page.getByRole("link", { name: "Dashboard exports" }).click();
      await arrive(session, /^\/admin\/oversight$/, "Dashboard exports");
      await expectNoAccessibilityViolations(page, "dashboard exports setting");
      const input = page.getByLabel("Smallest count an export may show");
      expect(await input.inputValue()).toBe("5");
      await input.fill("1");
      await page.getByRole("button", { name: "Save" }).click();
      expect(await errorSummary(page)).toEqual([
        "The smallest count an export may show must be a whole number from 2 to 100",
      ]);
      await expectNoAccessibilityViolations(page, "dashboard exports setting with an error");
      await page.getByLabel("Smallest count an export may show").fill("5");
      await page.getByRole("button", { name: "Save" }).click();
      expect(await successBanner(page)).toContain("Smallest count saved");
    } finally {
      await session.context.close();
    }
  });
});
