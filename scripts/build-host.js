// Compiles the HTTP host (server/index.ts and the modules it imports outside the Remix build) to
// JavaScript in build/host/, so production runs `node build/host/index.js`: no TypeScript loader
// at run time, and the process a supervisor signals is the one that serves. Packages stay imports
// from node_modules.
import { writeFileSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: ["server/index.ts"],
  outfile: "build/host/server.js",
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  jsx: "automatic",
  sourcemap: true,
  logLevel: "warning",
});

// NODE_ENV chooses which build of React and Remix is loaded, so it is settled before they are:
// production unless the environment says otherwise. Stack traces of faults name the TypeScript.
writeFileSync(
  "build/host/index.js",
  [
    `process.env.NODE_ENV ||= "production";`,
    `process.setSourceMapsEnabled(true);`,
    `await import("./server.js");`,
    ``,
  ].join("\n"),
);
