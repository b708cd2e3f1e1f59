import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fuzzEverything, startFuzzedServer, type FuzzedServer } from "./support/fuzz";

/**
 * Property-based fuzzing of every form and every query parameter (test/security/support/fuzz.ts):
 * empty, very long, every Unicode plane, control characters with NUL, lone surrogates, markup,
 * SQL and spreadsheet formulas, repeated fields. Never a 5xx; every refusal page a GOV.UK page;
 * every 403 in the access log; markup never back unescaped; bad input in a box shown again, with a
 * GOV.UK error summary, as it was typed (an answer over a box's limit may come back cut to it,
 * and an over-long answer of 100,000 characters never comes back whole).
 * CROSSWALK_FUZZ_RUNS sets the random attacks per target (10 by default), made after the values
 * every field is always tried with.
 */

const RUNS = Number(process.env.CROSSWALK_FUZZ_RUNS ?? 10);

const { appDir } = inject("security");
let fuzzed: FuzzedServer;

beforeAll(async () => {
  fuzzed = await startFuzzedServer(appDir);
}, 300_000);
afterAll(async () => {
  await fuzzed?.db.destroy();
  await fuzzed?.server.stop();
});

describe("fuzzing every form and query parameter", () => {
  it("finds the forms and query strings to attack", () => {
    expect(fuzzed.targets.filter((target) => target.method === "POST").length).toBeGreaterThan(30);
    expect(fuzzed.targets.filter((target) => target.method === "GET").length).toBeGreaterThan(10);
  });

  it("never answers 5xx, shows no internals, escapes markup, loses no answer, echoes no over-long one whole and leaves no refusal unlogged", async () => {
    const { problems, sent } = await fuzzEverything(
      fuzzed,
      new Set(["pages", "refusals", "escaping", "answers", "overlong"]),
      RUNS,
    );
    expect(problems, problems.join("\n")).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(fuzzed.targets.length * RUNS);
  }, 900_000);
});
