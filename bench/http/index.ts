import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { hasEmbeddedCluster } from "../../db/embedded";
import { POOL_MAX, startApp } from "./app-server";
import type { BaselinePlan, BaselineScenario } from "./baseline-server";
import { captureStatements, replayOf, setStatementLogging } from "./capture";
import { send } from "./client";
import { startBenchDatabase, type BenchDatabase } from "./database";
import { emptySide, percentile, runSlice, summarise, type SideResult } from "./load";
import {
  cleanUp,
  freePort,
  onCleanup,
  rssSampler,
  startChild,
  stopChildrenOnExit,
  waitUntilReady,
} from "./processes";
import {
  appendToPerformanceDoc,
  comparisonTable,
  machineLine,
  targetLines,
  type Comparison,
} from "./report";
import {
  SCENARIO_NAMES,
  chooseAccounts,
  discoverScenarios,
  signInAll,
  type Scenario,
  type ScenarioName,
} from "./scenarios";

/**
 * `npm run bench:http -- [--scale small|medium|large | --data-dir DIR] [--duration S]`: every
 * page that matters, served by the production build over loopback, at 1 and 16 connections,
 * beside a bare baseline that runs the same SQL (see capture.ts and baseline-server.ts), in
 * alternating slices. `--growth` instead measures the referral page and the caseload at every
 * scale generated. Without --scale or --data-dir the demo partnership is used (seeded into
 * a data directory of its own under the system's temporary folder).
 */

const SCALES = ["small", "medium", "large"] as const;

const { values: options } = parseArgs({
  options: {
    scale: { type: "string" },
    "data-dir": { type: "string" },
    duration: { type: "string", default: "10" },
    slice: { type: "string", default: "5" },
    connections: { type: "string", default: "1,16" },
    only: { type: "string" },
    growth: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    "no-doc": { type: "boolean", default: false },
    /** Write a CPU profile of the application (node --cpu-prof) into this folder. */
    "cpu-prof": { type: "string" },
    practitioner: { type: "string" },
    lead: { type: "string" },
    auditor: { type: "string" },
  },
});

const DEMO_DIR = path.join(os.tmpdir(), "crosswalk-bench-demo");
const DOC = path.resolve("docs/PERFORMANCE.md");

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function positive(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new Error(`--${name} must be a positive number`);
  return number;
}

function scaleDir(scale: string): string {
  if (!(SCALES as readonly string[]).includes(scale)) {
    throw new Error(`--scale must be one of ${SCALES.join(", ")}`);
  }
  return `/tmp/gen-${scale}`;
}

/** The data set: a generated scale, a directory, or the demo. */
function dataSet(): { dir: string; label: string; demo: boolean } {
  if (options["data-dir"])
    return { dir: path.resolve(options["data-dir"]), label: options["data-dir"], demo: false };
  if (options.scale)
    return { dir: scaleDir(options.scale), label: `${options.scale} scale`, demo: false };
  return { dir: DEMO_DIR, label: "the demo partnership", demo: true };
}

function build(): void {
  if (options["no-build"]) {
    if (!fs.existsSync("build/server/index.js"))
      throw new Error("no build: run npm run build first");
    return;
  }
  log("building (npm run build) …");
  const result = spawnSync("npm", ["run", "build", "--silent"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.status !== 0) throw new Error("npm run build failed");
}

const namedAccounts = {
  ...(options.practitioner ? { practitioner: options.practitioner } : {}),
  ...(options.lead ? { lead: options.lead } : {}),
  ...(options.auditor ? { auditor: options.auditor } : {}),
};

function chosenScenarios(): ScenarioName[] {
  if (!options.only) return [...SCENARIO_NAMES];
  const names = options.only.split(",");
  for (const name of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new Error(`--only takes ${SCENARIO_NAMES.join(", ")}`);
    }
  }
  return names as ScenarioName[];
}

interface Captured {
  scenario: Scenario;
  baseline: BaselineScenario;
  statements: number;
}

/**
 * Serve one request of each scenario with statement logging on, twice, and keep what PostgreSQL
 * logged as the baseline's replay.
 */
async function captureAll(
  database: BenchDatabase,
): Promise<{ captured: Captured[]; sessions: Awaited<ReturnType<typeof signInAll>> }> {
  await setStatementLogging(database, true);
  const resetLogging = onCleanup(() => setStatementLogging(database, false));
  // The sealer's timer is slowed so its statements do not fall between a capture's markers.
  const app = await startApp(database, { AUDIT_SEAL_INTERVAL_MS: "60000" });
  try {
    const accounts = await chooseAccounts(database, namedAccounts);
    log(
      `measuring as ${accounts.practitioner.email}, ${accounts.lead.email} and ${accounts.auditor.email}`,
    );
    const sessions = await signInAll(app.url, accounts, database.dataDir);
    const scenarios = await discoverScenarios(
      app.url,
      database,
      accounts,
      sessions,
      chosenScenarios(),
    );
    const captured: Captured[] = [];
    for (const scenario of scenarios) {
      // The first request warms caches; the two after it are captured.
      await send(app.url, scenario.request);
      let replay = null;
      let reply = null;
      for (let attempt = 0; attempt < 4 && !replay; attempt += 1) {
        let first = null;
        const one = await captureStatements(
          database,
          async () => (first = await send(app.url, scenario.request)),
        );
        const two = await captureStatements(
          database,
          async () => (reply = await send(app.url, scenario.request)),
        );
        if (!first || !reply) throw new Error("no reply captured");
        replay = replayOf(one, two);
        if (!replay && process.env.BENCH_HTTP_DEBUG) {
          fs.writeFileSync(
            path.join(process.env.BENCH_HTTP_DEBUG, `${scenario.name}-${attempt}.json`),
            JSON.stringify({ one, two }, null, 1),
          );
        }
      }
      if (!replay || !reply)
        throw new Error(`${scenario.label}: two captures ran different statements four times over`);
      const answer: { status: number; location: string | null; bytes: number } = reply;
      const redirect = answer.status === 302 || answer.status === 303;
      if (answer.status !== scenario.expected && !(redirect && !scenario.read)) {
        throw new Error(`${scenario.label} answered ${answer.status}, not ${scenario.expected}`);
      }
      scenario.expected = answer.status;
      if (process.env.BENCH_HTTP_DEBUG) {
        fs.writeFileSync(
          path.join(process.env.BENCH_HTTP_DEBUG, `${scenario.name}.json`),
          JSON.stringify(replay, null, 1),
        );
      }
      captured.push({
        scenario,
        statements: replay.flat().length,
        baseline: {
          replay,
          status: answer.status,
          location: redirect ? answer.location : null,
          htmlBytes: answer.bytes,
        },
      });
      log(
        `captured ${scenario.label}: ${replay.flat().length} statements on ${replay.length} connections, ${answer.bytes} bytes`,
      );
    }
    return { captured, sessions };
  } finally {
    await app.child.stop();
    await setStatementLogging(database, false);
    resetLogging();
  }
}

async function compare(
  database: BenchDatabase,
  captured: Captured[],
  seconds: number,
  sliceSeconds: number,
  connectionCounts: number[],
): Promise<Comparison[]> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "crosswalk-bench-http-"));
  onCleanup(() => Promise.resolve(fs.rmSync(workDir, { recursive: true, force: true })));
  const plan: BaselinePlan = {
    databaseUrl: database.appUrl,
    poolMax: POOL_MAX,
    scenarios: Object.fromEntries(captured.map((one) => [one.scenario.name, one.baseline])),
  };
  const planFile = path.join(workDir, "baseline-plan.json");
  fs.writeFileSync(planFile, JSON.stringify(plan), { mode: 0o600 });
  const baselinePort = await freePort();
  const baseline = startChild(
    ["--import", "tsx", "bench/http/baseline-server.ts", planFile],
    { PORT: String(baselinePort) },
    "the baseline",
  );
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  await waitUntilReady(baseline, `${baselineUrl}/healthz`);
  const profileDir = options["cpu-prof"] ? path.resolve(options["cpu-prof"]) : undefined;
  const app = await startApp(database, {}, profileDir ? { cpuProfileDir: profileDir } : {});
  const comparisons: Comparison[] = [];
  try {
    for (const { scenario, baseline: plan } of captured) {
      const baselineRequest = { ...scenario.request, path: `/scenario/${scenario.name}` };
      // Warm both up (the JIT, the pools, PostgreSQL's caches) before anything is counted.
      await runSlice(app.url, scenario.request, 4, 2, scenario.expected, emptySide());
      await runSlice(baselineUrl, baselineRequest, 4, 2, plan.status, emptySide());
      for (const connections of connectionCounts) {
        const appSide: SideResult = emptySide();
        const baseSide: SideResult = emptySide();
        const appRss = rssSampler(app.child.pid);
        const baseRss = rssSampler(baseline.pid);
        const slices = Math.max(1, Math.round(seconds / sliceSeconds));
        for (let slice = 0; slice < slices; slice += 1) {
          appRss.start();
          await runSlice(
            app.url,
            scenario.request,
            connections,
            sliceSeconds,
            scenario.expected,
            appSide,
          );
          appRss.stop();
          baseRss.start();
          await runSlice(
            baselineUrl,
            baselineRequest,
            connections,
            sliceSeconds,
            plan.status,
            baseSide,
          );
          baseRss.stop();
        }
        const row: Comparison = {
          scenario,
          connections,
          app: summarise(appSide),
          baseline: summarise(baseSide),
          appRssPeak: appRss.peak(),
          baselineRssPeak: baseRss.peak(),
          htmlBytes: plan.htmlBytes,
          slices,
        };
        comparisons.push(row);
        for (const [side, result] of [
          ["application", appSide],
          ["baseline", baseSide],
        ] as const) {
          if (result.unexpected.size) {
            log(
              `${scenario.label}, ${connections} connections, ${side}: unexpected statuses ${[...result.unexpected].map(([status, count]) => `${status} ×${count}`).join(", ")}`,
            );
          }
        }
        log(
          `${scenario.label}, ${connections} connections: ${row.app.requestsPerSecond.toFixed(1)} against ${row.baseline.requestsPerSecond.toFixed(1)} req/s, p95 ${row.app.p95.toFixed(1)} against ${row.baseline.p95.toFixed(1)} ms`,
        );
      }
    }
  } finally {
    await app.child.stop();
    await baseline.stop();
  }
  return comparisons;
}

const METHOD = [
  "Method: the production build as npm run serve runs it (NODE_ENV=production) on a free port,",
  "driven over loopback by autocannon, signed in as each page's role; beside it a bare node:http",
  `baseline with a pg pool of the same size (${POOL_MAX}) running the statements PostgreSQL logged while the`,
  "application served one request of the scenario (log_statement = 'all' for crosswalk_app in this",
  "database during a separate capture run only, read back with their bind parameters; ids and times",
  "that differ between two captures made afresh per request), in the same transactions, answering a",
  "page of the same size. App and baseline alternate in slices; the ratio is app/baseline throughput.",
];

async function mainRun(): Promise<number> {
  const set = dataSet();
  const seconds = positive("duration", options.duration);
  const sliceSeconds = Math.min(seconds, positive("slice", options.slice));
  const connectionCounts = (options.connections ?? "1,16")
    .split(",")
    .map((value) => positive("connections", value));
  build();
  const database = await startBenchDatabase(set.dir, { seedDemo: set.demo });
  const started = machineLine();
  const { captured } = await captureAll(database);
  const comparisons = await compare(database, captured, seconds, sliceSeconds, connectionCounts);
  await database.stop();

  const command =
    `npm run bench:http --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}`.replace(
      / --$/,
      "",
    );
  const lines = [
    `${command}: ${set.label}, ${seconds} s per side per row in ${sliceSeconds} s slices`,
    `at the start: ${started}`,
    ...comparisonTable(comparisons),
    "(errors: application/baseline; RSS: the application's peak during its slices)",
    ...captured.map(
      (one) =>
        `${one.scenario.label}: ${one.scenario.request.method} ${one.scenario.request.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ":id")}, ${one.statements} statements replayed by the baseline`,
    ),
    ...targetLines(comparisons),
    `at the end: load average ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}`,
    ...METHOD,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!options["no-doc"]) {
    appendToPerformanceDoc(
      DOC,
      `${new Date().toISOString().slice(0, 10)}, ${set.label}: \`${command}\``,
      lines,
    );
    log(`appended to ${path.relative(process.cwd(), DOC)}`);
  }
  const errors = comparisons.filter((row) => row.app.errors + row.baseline.errors > 0);
  if (errors.length) {
    log(
      `FAILED: errors in ${errors.map((row) => `${row.scenario.label} at ${row.connections}`).join(", ")}`,
    );
    return 1;
  }
  return 0;
}

/** The referral page and the caseload at each scale generated: p50/p95 at one connection. */
async function growthRun(): Promise<number> {
  const seconds = positive("duration", options.duration);
  build();
  // The generated scales that exist, smallest first; or the directories given, in their order.
  const sets = options["data-dir"]
    ? options["data-dir"]
        .split(",")
        .map((dir) => ({ label: path.basename(dir), dir: path.resolve(dir) }))
    : SCALES.map((scale) => ({ label: scale, dir: scaleDir(scale) }));
  const rows: {
    scale: string;
    name: ScenarioName;
    p50: number;
    p95: number;
    html: number;
    errors: number;
  }[] = [];
  for (const { label: scale, dir } of sets) {
    if (!hasEmbeddedCluster(dir)) {
      log(`${scale}: no data in ${dir}, skipped`);
      continue;
    }
    const database = await startBenchDatabase(dir, { seedDemo: false });
    const app = await startApp(database);
    try {
      const accounts = await chooseAccounts(database, namedAccounts);
      const sessions = await signInAll(app.url, accounts, dir);
      const scenarios = await discoverScenarios(app.url, database, accounts, sessions, [
        "caseload",
        "referral",
      ]);
      for (const scenario of scenarios) {
        const reply = await send(app.url, scenario.request);
        await runSlice(app.url, scenario.request, 4, 2, scenario.expected, emptySide());
        const side = emptySide();
        await runSlice(app.url, scenario.request, 1, seconds, scenario.expected, side);
        const sorted = [...side.latencies].sort((a, b) => a - b);
        rows.push({
          scale,
          name: scenario.name,
          p50: percentile(sorted, 0.5),
          p95: percentile(sorted, 0.95),
          html: reply.bytes,
          errors: side.errors,
        });
        log(
          `${scale} ${scenario.label}: p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms`,
        );
      }
    } finally {
      await app.child.stop();
      await database.stop();
    }
  }
  const lines = [
    `npm run bench:http -- --growth: 1 connection, ${seconds} s per page per scale`,
    `at the end: ${machineLine()}`,
  ];
  for (const name of ["referral", "caseload"] as const) {
    const of = rows.filter((row) => row.name === name);
    for (const row of of) {
      lines.push(
        `${name.padEnd(9)} ${row.scale.padEnd(20)} p50 ${row.p50.toFixed(1).padStart(7)} ms  p95 ${row.p95.toFixed(1).padStart(7)} ms  HTML ${(row.html / 1024).toFixed(1)} KB  errors ${row.errors}`,
      );
    }
    const small = of[0];
    const large = of.at(-1);
    if (small && large && large !== small) {
      const ratio = large.p50 / small.p50;
      lines.push(
        `${name}: ${large.scale}/${small.scale} p50 ${ratio.toFixed(2)}×, p95 ${(large.p95 / small.p95).toFixed(2)}× (target within 1.5×: ${ratio <= 1.5 ? "met" : "NOT MET"})`,
      );
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!options["no-doc"] && rows.length) {
    appendToPerformanceDoc(
      DOC,
      `${new Date().toISOString().slice(0, 10)}, growth: \`npm run bench:http -- --growth\``,
      lines,
    );
  }
  const failed = rows.filter((row) => row.errors > 0);
  if (failed.length) {
    log(`FAILED: errors in ${failed.map((row) => `${row.name} at ${row.scale}`).join(", ")}`);
    return 1;
  }
  if (rows.length === 0) {
    log("FAILED: no data set to measure (npm run db:generate -- --scale small|medium|large)");
    return 1;
  }
  return 0;
}

stopChildrenOnExit();
(options.growth ? growthRun() : mainRun())
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanUp();
    process.exit(1);
  });
