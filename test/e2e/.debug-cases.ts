import { snapshotBuild, startCrosswalk } from "./support/server";
import { launchChromium, openPage } from "./support/browser";
const appDir = await snapshotBuild();
const server = await startCrosswalk({ appDir });
const browser = await launchChromium();
try {
  const { page, scriptErrors } = await openPage(browser, { baseUrl: server.baseUrl, javaScript: true });
  await page.goto("/sign-in");
  await page.locator("#email").fill("dsl@school.northbridge.example");
  await page.locator("#password").fill("crosswalk-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === "/home");
  for (const path of ["/cases?caseload=referred", "/cases", "/cases?caseload=mine"]) {
    await page.goto(path);
    await page.waitForTimeout(3000);
    console.log(path, await page.locator("a.govuk-skip-link[data-govuk-skip-link-init]").count(), scriptErrors.splice(0));
  }
} finally {
  await browser.close();
  await server.stop();
}
