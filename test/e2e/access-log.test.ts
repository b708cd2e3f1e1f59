import fs from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectNoAccessibilityViolations, launchChromium, saveScreenshot } from "./support/browser";
import { statusOf } from "./support/http";
import { arrive, heading, normalise, signIn, UUID, visit } from "./support/journey";

/**
 * The auditor's done-when journey: find every access to one demo young person's record (Olek
 * Kowalski, opened by the police officer under emergency access), download it as CSV, and find
 * that emergency access in the inappropriate-access report. With and without JavaScript, axe on
 * every page.
 */

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A CSV row's cells (the file's cells here never hold commas inside quotes we need to split). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\n") {
      row.push(cell.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      cell = "";
    } else cell += char;
  }
  return rows;
}

describe.each([
  { label: "with JavaScript", javaScript: true },
  { label: "without JavaScript", javaScript: false },
])("the access log $label", ({ javaScript }) => {
  test("the auditor finds every access to Olek Kowalski's record, exports it and sees the report", async () => {
    const session = await signIn(browser, baseUrl, "auditor@northbridge.example", javaScript);
    const { page } = session;
    const suffix = javaScript ? "js" : "no-js";
    try {
      await visit(session, "/audit");
      expect(await heading(page)).toBe("Access log");
      await expectNoAccessibilityViolations(page, "access log search");

      await page.getByRole("link", { name: "look up a young person" }).click();
      await arrive(session, /^\/audit\/young-people$/, "Look up a young person");
      await page.getByLabel("Young person's name").fill("Olek Kowalski");
      await page.getByRole("button", { name: "Look up" }).click();
      const match = page.getByRole("link", { name: /Aleksander Kowalski/ });
      await match.waitFor();
      // The name was sent in the form's body: the address never holds it.
      expect(page.url()).not.toMatch(/kowalski/i);
      await expectNoAccessibilityViolations(page, "young person lookup results");
      await match.click();
      const history = await arrive(session, /^\/audit$/, "Access history: Aleksander Kowalski");
      const youngPersonId = history.searchParams.get("youngPerson");
      expect(youngPersonId).toMatch(new RegExp(`^${UUID}$`));

      const total = normalise(await page.getByRole("heading", { level: 2 }).first().textContent());
      const shown = Number(/^(\d+) events?$/.exec(total)?.[1]);
      const rows = page.locator("table.app-access-log tbody tr");
      expect(await rows.count()).toBe(shown);
      const table = normalise(await page.locator("table.app-access-log").textContent());
      expect(table).toContain("Dan Hughes");
      expect(table).toContain("Emergency access");
      expect(table).toContain("View a young person's record");
      await expectNoAccessibilityViolations(page, "a young person's access history");
      await saveScreenshot(page, `access-log-history-${suffix}`);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download every matching event as CSV" }).click(),
      ]);
      const file = await download.path();
      const csv = csvRows(await fs.readFile(file, "utf8"));
      const [header, ...events] = csv;
      expect(header?.slice(0, 4)).toEqual(["occurred_at_utc", "event_id", "chain_seq", "actor"]);
      const column = (name: string) => header?.indexOf(name) ?? -1;
      // Everything the page counted is in the file, plus the auditor's own reading of the page.
      expect(events.length).toBeGreaterThanOrEqual(shown);
      expect(events.every((row) => row[column("young_person_id")] === youngPersonId)).toBe(true);
      expect(
        events.some(
          (row) =>
            row[column("actor")] === "Dan Hughes" && row[column("emergency_access_id")] !== "",
        ),
      ).toBe(true);

      await page.getByRole("link", { name: "Access reports" }).first().click();
      await arrive(session, /^\/audit\/reports$/, "Inappropriate-access reports");
      const emergency = page.locator("section#emergency_unreviewed");
      expect(normalise(await emergency.textContent())).toContain(
        "Dan Hughes (Northbridge Police) opened the records of Aleksander Kowalski",
      );
      await expectNoAccessibilityViolations(page, "inappropriate-access reports");
      await saveScreenshot(page, `access-log-reports-${suffix}`);
    } finally {
      await session.context.close();
    }
  });
});

test("only auditors reach the access log", async () => {
  expect(await statusOf(baseUrl, "/audit")).toBe(302);
  const session = await signIn(browser, baseUrl, "lead@northbridge.example", false);
  try {
    for (const path of ["/audit", "/audit/reports", "/audit/export", "/audit/young-people"]) {
      const response = await session.page.goto(path);
      expect(response?.status(), path).toBe(403);
    }
  } finally {
    await session.context.close();
  }
});
