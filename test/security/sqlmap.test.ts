import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import type { CrosswalkServer } from "../e2e/support/server";
import { createAgency, createUser } from "../support/factories";
import { demoActors } from "./support/actors";
import { discoverInputs, type InputTarget } from "./support/crawl";
import { queryOf } from "./support/http";
import { routeFor } from "./support/routes";
import { demoSamples } from "./support/samples";
import { addressOf, connectTo, startSecurityServer } from "./support/server";
import { runSqlmap, SQLMAP_LEVEL, sqlmapInstalled, type SqlmapRun } from "./support/sqlmap";

/**
 * Debian's sqlmap as an outside judge: against every form and every query string Crosswalk's
 * pages offer (found as the fuzzing finds them), on a server of its own on loopback, signed in as
 * the person who found each, bounded in time. It must report no injectable parameter.
 * docs/SECURITY.md (## sqlmap) records the command and the findings.
 */

/** The whole run's bound, and each target's. */
const TOTAL_MS = Number(process.env.CROSSWALK_SQLMAP_TOTAL_MS ?? 5 * 60_000);
const PER_TARGET_MS = Number(process.env.CROSSWALK_SQLMAP_TARGET_MS ?? 90_000);
/** sqlmap runs at once (each with two threads). */
const PARALLEL = 2;

const { appDir } = inject("security");
let server: CrosswalkServer;
let db: Kysely<Database>;
let targets: InputTarget[] = [];
let tempDir: string;

beforeAll(async () => {
  if (!sqlmapInstalled()) throw new Error("sqlmap is not installed: apt-get install -y sqlmap");
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-sqlmap-"));
  server = await startSecurityServer(appDir);
  const address = addressOf(server);
  db = await connectTo(address, "superuser");
  const actors = await demoActors(server.baseUrl, db);
  const lead = actors.find((actor) => actor.role === "partnership_lead");
  const samples = await demoSamples(db, server.baseUrl, lead?.cookie ?? "");
  // Deactivating these (an unchanged form, replayed) must not lock a demo person out mid-run.
  const owner = await connectTo(address, "owner");
  try {
    const agency = await createAgency(owner, DEMO_PARTNERSHIP_ID, {
      kind: "voluntary",
      name: "Probed agency",
    });
    samples.agency = agency.id;
    samples.user = (await createUser(owner, agency, { role: "practitioner" })).id;
  } finally {
    await owner.destroy();
  }
  targets = await discoverInputs(server.baseUrl, actors, samples, { followForms: false });
}, 300_000);
afterAll(async () => {
  await db?.destroy();
  await server?.stop();
  if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
});

/**
 * One run per form, and one per route for its query parameters: every query string a route's
 * pages link to or its filter forms send, merged into one (each parameter once, with the first
 * value seen), since one loader reads them all.
 */
function runsFor(found: InputTarget[]): InputTarget[] {
  const byRoute = new Map<string, InputTarget>();
  const forms: InputTarget[] = [];
  for (const target of found.filter((candidate) => candidate.fields.length > 0)) {
    if (target.method === "POST") {
      forms.push(target);
      continue;
    }
    const pattern = routeFor(target.path).pattern;
    const known = byRoute.get(pattern);
    if (!known) {
      byRoute.set(pattern, {
        ...target,
        key: `GET ${pattern} [${target.fields.map(([name]) => name).join(",")}]`,
      });
      continue;
    }
    const names = new Set(known.fields.map(([name]) => name));
    const fields = [...known.fields, ...target.fields.filter(([name]) => !names.has(name))];
    byRoute.set(pattern, {
      ...known,
      fields,
      key: `GET ${pattern} [${[...new Set(fields.map(([name]) => name))].join(",")}]`,
    });
  }
  return [...forms, ...byRoute.values()];
}

interface Judged {
  target: InputTarget;
  run: SqlmapRun;
  /** For a finding: whether sqlmap reported it again when run alone, on an idle server. */
  confirmed?: boolean;
}

function verdict({ target, run, confirmed }: Judged): string {
  if (run.injectable.length > 0)
    return `${target.key}: ${confirmed ? "INJECTABLE" : "not confirmed when run alone"} (${run.injectable.join(", ")})`;
  if (run.notInjectable) return `${target.key}: not injectable`;
  return `${target.key}: ${run.timedOut ? "stopped at the time bound" : `sqlmap exited ${run.exitCode} without a verdict`}`;
}

/**
 * A page that puts its query parameter straight into SQL, on loopback, over a read-only
 * connection as the application's role: sqlmap, run as the suite runs it, must find it, or
 * "no injectable parameter" would mean nothing.
 */
async function vulnerablePage(): Promise<{ url: string; close: () => Promise<void> }> {
  const credentials = JSON.parse(
    await fs.readFile(path.join(server.dataDir, "credentials.json"), "utf8"),
  ) as { app: string };
  const client = new pg.Client({
    host: "127.0.0.1",
    port: server.databasePort,
    user: "crosswalk_app",
    password: credentials.app,
    database: "crosswalk",
  });
  await client.connect();
  await client.query("set default_transaction_read_only = on");
  const page = http.createServer((request, response) => {
    const name = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("name") ?? "";
    // Deliberately injectable: the calibration target, never part of Crosswalk.
    client
      .query(`select count(*) as n from pg_class where relname = '${name}'`)
      .then(
        (result: pg.QueryResult | pg.QueryResult[]) => {
          // Stacked statements answer with one result each.
          const last = Array.isArray(result) ? result.at(-1) : result;
          const row = last?.rows?.[0] as { n?: unknown } | undefined;
          const count = row?.n;
          response.end(`<p>${String(count)} tables</p>`);
        },
        (error: Error) => response.writeHead(500).end(error.message),
      )
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  const address = page.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/?name=pg_class`,
    close: async () => {
      await new Promise((resolve) => page.close(resolve));
      await client.end();
    },
  };
}

describe("sqlmap", () => {
  it(
    "finds the injection in a deliberately injectable page, run as the suite runs it",
    async () => {
      const page = await vulnerablePage();
      try {
        const dir = path.join(tempDir, "calibration");
        await fs.mkdir(dir);
        const run = await runSqlmap(
          {
            method: "GET",
            url: page.url,
            cookie: null,
            testCookie: false,
            parameters: ["name"],
            level: SQLMAP_LEVEL,
          },
          dir,
          PER_TARGET_MS,
        );
        expect(run.injectable, run.output.slice(-2_000)).toEqual(["name"]);
      } finally {
        await page.close();
      }
    },
    PER_TARGET_MS + 30_000,
  );

  it(
    "finds no injectable parameter in any form, query string or the session cookie",
    async () => {
      const started = Date.now();
      const left = () => TOTAL_MS - (Date.now() - started);
      let runNumber = 0;
      const judge = async (
        target: InputTarget,
        parameters: string[],
        level: number,
        testCookie = false,
      ) => {
        runNumber += 1;
        const dir = path.join(tempDir, String(runNumber));
        await fs.mkdir(dir);
        return runSqlmap(
          {
            method: target.method,
            url: `${server.baseUrl}${target.path}${target.method === "GET" ? queryOf(target.fields) : ""}`,
            fields: target.method === "POST" ? target.fields : undefined,
            cookie: target.actor.cookie,
            testCookie,
            parameters,
            level,
          },
          dir,
          Math.max(1_000, Math.min(PER_TARGET_MS, left())),
        );
      };

      const planned = runsFor(targets);
      expect(planned.length).toBeGreaterThan(30);
      // Each route's parameters are tried once: a form with several buttons (intents) sends the
      // same fields to the same action.
      const tried = new Map<string, Set<string>>();
      const untried = (target: InputTarget) => {
        const pattern = routeFor(target.path).pattern;
        const seen = tried.get(pattern) ?? new Set<string>();
        tried.set(pattern, seen);
        const names = [...new Set(target.fields.map(([name]) => name))].filter(
          (name) => !seen.has(name),
        );
        for (const name of names) seen.add(name);
        return names;
      };
      const work = planned
        .map((target) => ({ target, parameters: untried(target) }))
        .filter((each) => each.parameters.length > 0);
      const judged: Judged[] = [];
      const queue = [...work];
      const worker = async () => {
        for (let next = queue.shift(); next && left() > 0; next = queue.shift()) {
          judged.push({
            target: next.target,
            run: await judge(next.target, next.parameters, SQLMAP_LEVEL),
          });
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));

      // The session cookie, once, at level 2, on a page that reads it and nothing else.
      const home = targets.find((target) => target.actor.cookie) as InputTarget;
      const cookieTarget: InputTarget = {
        ...home,
        method: "GET",
        path: "/home",
        fields: [],
        key: "Cookie crosswalk_session on GET /home",
      };
      judged.push({ target: cookieTarget, run: await judge(cookieTarget, [], 2, true) });

      // Time-based findings on a loaded two-core machine can be delays of the load itself: a
      // finding counts when sqlmap makes it again alone.
      for (const finding of judged.filter(({ run }) => run.injectable.length > 0)) {
        const again = await judge(
          finding.target,
          finding.run.injectable,
          SQLMAP_LEVEL,
          finding.target === cookieTarget,
        );
        finding.confirmed = again.injectable.length > 0;
      }

      const summary =
        `sqlmap: ${judged.length} runs (${work.length} of ${planned.length} targets with parameters not tried before, ` +
        `and the session cookie) in ${Math.round((Date.now() - started) / 1000)} s\n${judged.map(verdict).join("\n")}\n`;
      process.stdout.write(summary);
      if (process.env.CROSSWALK_SQLMAP_REPORT) {
        const details = judged
          .filter(({ run }) => run.injectable.length > 0 || !run.notInjectable)
          .map(
            ({ target, run }) =>
              `\n==== ${target.key}\nsqlmap ${run.command.join(" ")}\n${run.output}`,
          );
        await fs.writeFile(process.env.CROSSWALK_SQLMAP_REPORT, summary + details.join(""));
      }
      expect(judged.filter((each) => each.confirmed).map(verdict)).toEqual([]);
      // Every target was judged: none left for want of time, none where sqlmap gave no verdict.
      expect(judged.length).toBe(work.length + 1);
      expect(
        judged.filter(({ run }) => run.injectable.length === 0 && !run.notInjectable).map(verdict),
      ).toEqual([]);
    },
    TOTAL_MS + 300_000,
  );
});
