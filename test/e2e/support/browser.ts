import fs from "node:fs/promises";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

/** Debian's Chromium; a browser is never downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

// Contexts opened without JavaScript: axe-core cannot run inside them (its timers never fire).
const withoutJavaScript = new WeakSet<BrowserContext>();

/** A page in a fresh context (no cookies), with or without JavaScript, that records script errors. */
export async function openPage(
  browser: Browser,
  options: { baseUrl: string; javaScript: boolean },
): Promise<{ context: BrowserContext; page: Page; scriptErrors: string[] }> {
  const context = await browser.newContext({
    baseURL: options.baseUrl,
    javaScriptEnabled: options.javaScript,
  });
  // Fail a stuck step well inside the test's own timeout, with Playwright's account of what it awaited.
  context.setDefaultTimeout(15_000);
  if (!options.javaScript) withoutJavaScript.add(context);
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on("pageerror", (error) => scriptErrors.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    // Chromium reports every 4xx document or fetch as "Failed to load resource"; the tests check
    // those statuses themselves. Anything else (a CSP refusal, a hydration error) is a defect.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      scriptErrors.push(`${page.url()}: ${message.text()}`);
    }
  });
  return { context, page, scriptErrors };
}

/**
 * With JavaScript, wait until React has hydrated: the root layout runs GOV.UK Frontend's initAll()
 * from an effect, which marks each component it starts. Without JavaScript there is nothing to wait for.
 */
export async function waitUntilInteractive(page: Page, javaScript: boolean): Promise<void> {
  if (!javaScript) return;
  await page.locator("a.govuk-skip-link[data-govuk-skip-link-init]").waitFor({ state: "attached" });
}

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * Run axe-core over the page as it is now and fail, naming each rule and element, on any violation.
 * A page without JavaScript is checked through a copy of its document (scripts removed, so nothing
 * hydrates) served at the same address in a scratch context where axe can run.
 */
export async function expectNoAccessibilityViolations(page: Page, what: string): Promise<void> {
  const results = withoutJavaScript.has(page.context())
    ? await analyzeCopyOf(page)
    : await runAxe(page);
  const violations = results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact ?? "unknown impact"}): ${violation.help}\n` +
      violation.nodes.map((node) => `    at ${JSON.stringify(node.target)}`).join("\n"),
  );
  expect(
    violations,
    `${what} (${page.url()}) breaks WCAG 2.2 AA rules:\n${violations.join("\n")}`,
  ).toEqual([]);
}

type AxeResults = Awaited<ReturnType<AxeBuilder["analyze"]>>;

// Legacy mode runs axe.run() in the page itself rather than finishing in a second blank page: twice
// as fast, and the second page only matters for cross-origin iframes, which Crosswalk has none of.
const runAxe = (page: Page): Promise<AxeResults> =>
  new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();

// One JavaScript-enabled context per browser for checking copies of pages opened without JavaScript.
const scratchContexts = new WeakMap<Browser, Promise<BrowserContext>>();

async function analyzeCopyOf(page: Page): Promise<AxeResults> {
  const browser = page.context().browser();
  if (!browser) throw new Error("The page has no browser");
  let scratch = scratchContexts.get(browser);
  if (!scratch) {
    scratch = browser.newContext();
    scratchContexts.set(browser, scratch);
  }
  const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
  const url = page.url();
  const copy = await (await scratch).newPage();
  try {
    const viewport = page.viewportSize();
    if (viewport) await copy.setViewportSize(viewport);
    await copy.route(
      (address) => address.href === url,
      (route) =>
        route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html }),
    );
    await copy.goto(url);
    return await runAxe(copy);
  } finally {
    await copy.close();
  }
}

/** Where screenshots are kept for a person to look at. */
export const SCREENSHOT_DIR = path.resolve("test-results/screenshots");

/** Save a full-page screenshot as test-results/screenshots/<name>.png and return its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
