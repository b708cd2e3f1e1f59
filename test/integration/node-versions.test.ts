import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

/**
 * The README says which installed packages declare a Node.js newer than the one CI tests on, so
 * that the warnings `npm ci` prints for them are expected, not a surprise. This keeps that list
 * true: a package that starts to declare a Node.js we do not test on fails here until the README
 * names it (and someone has checked it still works on this Node.js).
 */

const root = path.resolve(import.meta.dirname, "../..");

interface LockedPackage {
  engines?: { node?: string } | string[];
}

function packagesRefusingThisNode(): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockedPackage>;
  };
  const names = new Set<string>();
  for (const [where, locked] of Object.entries(lock.packages)) {
    const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
    if (!where || !range) continue;
    // Optional platform binaries for other systems are never installed here.
    if (!where.startsWith("node_modules/") || /binding-|linux-x64-gnu|wasm/.test(where)) continue;
    if (!semver.satisfies(process.versions.node, range)) {
      names.add(where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length));
    }
  }
  return [...names].sort();
}

describe("the Node.js versions in the README", () => {
  it("name every installed package that declares a newer Node.js than the one tested on", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const missing = packagesRefusingThisNode().filter((name) => !readme.includes(`\`${name}\``));
    expect(missing, "packages the README does not name").toEqual([]);
  });
});
