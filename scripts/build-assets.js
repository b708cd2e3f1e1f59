// Prepares the static assets the pages need: GOV.UK Frontend's fonts and images under
// public/assets (its stylesheet refers to /assets/...) and our compiled stylesheet.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as sass from "sass";

const require = createRequire(import.meta.url);
const govukDist = path.dirname(require.resolve("govuk-frontend/package.json"));

cpSync(path.join(govukDist, "dist/govuk/assets"), "public/assets", { recursive: true });
mkdirSync("public/styles", { recursive: true });
const { css } = sass.compile("app/styles/crosswalk.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync("public/styles/crosswalk.css", css);
