import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  AccessLogQuerySchema,
  AccessReportQuerySchema,
} from "../app/services/access-log-vocabulary";
import { searchAccessLog } from "../app/services/access-log.server";
import { accessReports } from "../app/services/access-reports.server";
import type { ServiceContext } from "../app/services/context.server";
import { referralReference } from "../app/services/referral-access.server";
import { withCredentials } from "../db/bootstrap";
import { createKysely, createPool } from "../db/connection";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";

/**
 * The auditor's access-log pages on a large log: BENCH_SEARCH_EVENTS events (2,000,000) over the
 * last 12 months in one partnership of 300 people in 12 agencies and 40,000 young people, loaded
 * in bulk as the superuser with triggers off (the chain is not what is measured here). Then each
 * kind of search runs BENCH_SEARCH_RUNS times (30) through the service, as the auditor, exactly as
 * the page does (the search, its count, its own event), and the reports once per run of 5.
 */

export interface SearchBenchResult {
  events: number;
  loadSeconds: number;
  searches: { name: string; p50ms: number; p95ms: number; maxms: number; shown: number }[];
}

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const AGENCIES = 12;
const USERS = 300;
const YOUNG_PEOPLE = 40_000;
const ACTIONS = [
  "referral.view",
  "referral.view",
  "referral.view",
  "young_person.view",
  "young_person.view",
  "caseload.view_own",
  "note.add",
  "referral.screen",
  "young_person.search",
  "auth.sign_in",
];

export async function benchAccessLogSearch(): Promise<SearchBenchResult> {
  const events = setting("BENCH_SEARCH_EVENTS", 2_000_000);
  const runs = setting("BENCH_SEARCH_RUNS", 30);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-bench-search-"));
  log(`Starting an embedded PostgreSQL in ${dataDir}`);
  const embedded = await startEmbeddedPostgres({ dataDir, port: 0, database: "crosswalk_search" });
  const pool = {
    max: 2,
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 600_000,
    idleInTransactionTimeoutMs: 600_000,
  };
  try {
    await migrateToLatest(embedded.ownerUrl, pool, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    });
    const superuser = new pg.Client({
      connectionString: withCredentials(embedded.superuserUrl, { database: "crosswalk_search" }),
    });
    await superuser.connect();
    const partnershipId = randomUUID();
    let auditor: { id: string; agency_id: string };
    let sample: { young_person_id: string; user_id: string; agency_id: string; record_id: string };
    const loadStarted = performance.now();
    try {
      await superuser.query("insert into partnerships (id, name) values ($1, 'Bench')", [
        partnershipId,
      ]);
      await superuser.query(
        `insert into agencies (partnership_id, name, kind)
         select $1, 'Agency ' || n, 'voluntary' from generate_series(1, ${AGENCIES}) n`,
        [partnershipId],
      );
      await superuser.query(
        `insert into users (partnership_id, agency_id, email, display_name, role)
         select $1, (select id from agencies where partnership_id = $1 order by name offset (n % ${AGENCIES}) limit 1),
           'person' || n || '@bench.example', 'Person ' || n,
           case when n = 1 then 'auditor' when n % 10 = 0 then 'agency_lead' else 'practitioner' end
         from generate_series(1, ${USERS}) n`,
        [partnershipId],
      );
      const creator = await superuser.query<{ id: string; agency_id: string }>(
        "select id, agency_id from users where partnership_id = $1 and email = 'person1@bench.example'",
        [partnershipId],
      );
      auditor = creator.rows[0] as { id: string; agency_id: string };
      await superuser.query(
        `insert into young_people (partnership_id, given_name, family_name, date_of_birth,
           postcode_district, created_by, created_by_agency_id)
         select $1, 'Given' || n, 'Family' || (n % 5000), date '2008-01-01' + (n % 3000),
           'NB' || (n % 9 + 1), $2, $3
         from generate_series(1, ${YOUNG_PEOPLE}) n`,
        [partnershipId, auditor.id, auditor.agency_id],
      );
      log(`Loading ${events.toLocaleString("en-GB")} events`);
      // Triggers off for the load only (this session): times spread over a year, chain fields
      // filled with placeholders the verifier would reject (this log is never verified).
      await superuser.query("set session_replication_role = replica");
      const batch = 250_000;
      for (let start = 0; start < events; start += batch) {
        const count = Math.min(batch, events - start);
        await superuser.query(
          `with people as (select array_agg(id order by email) ids, array_agg(agency_id order by email) agencies,
                  array_agg(role order by email) roles from users where partnership_id = $1),
                kids as (select array_agg(id order by id) ids from young_people where partnership_id = $1)
           insert into audit_events (id, partnership_id, occurred_at, actor_user_id, actor_agency_id,
             actor_role, action, record_type, record_id, young_person_id, outcome, reason, request_id,
             client_address, details, chain_seq, prev_hash, hash)
           select gen_random_uuid(), $1,
             now() - make_interval(secs => (random() * 365 * 86400)::int),
             people.ids[u], people.agencies[u], people.roles[u],
             a.action,
             case when a.action like 'referral.%' or a.action = 'note.add' then 'referral'
                  when a.action = 'young_person.view' then 'young_person' end,
             case when a.action like 'referral.%' or a.action like 'young_person.view' or a.action = 'note.add'
                  then md5(kids.ids[k]::text || a.action)::uuid end,
             case when a.action not in ('auth.sign_in', 'caseload.view_own', 'young_person.search')
                  then kids.ids[k] end,
             case when n % 97 = 0 then 'refused' else 'allowed' end,
             null, 'bench-' || n, '192.0.2.20',
             case when n % 1009 = 0 then jsonb_build_object('emergencyAccessId', gen_random_uuid())
                  else jsonb_build_object('rule', 'agency-involved-views-referral') end,
             n, '\\x${"00".repeat(32)}'::bytea, '\\x${"00".repeat(32)}'::bytea
           from generate_series($2::bigint, $3::bigint) n, people, kids,
             lateral (select 1 + floor(random() * ${USERS})::int u,
                             1 + floor(random() * ${YOUNG_PEOPLE})::int k,
                             ($4::text[])[1 + (n % ${ACTIONS.length})] action) a`,
          [partnershipId, start + 1, start + count, ACTIONS],
        );
        log(`  ${(start + count).toLocaleString("en-GB")} events`);
      }
      await superuser.query("set session_replication_role = origin");
      // The chain's head moves past the loaded events, so the searches' own events chain on.
      await superuser.query(
        `insert into audit_chain_heads (chain_id, seq, hash) values ($1, $2, '\\x${"00".repeat(32)}'::bytea)`,
        [partnershipId, events],
      );
      await superuser.query("analyze");
      const picked = await superuser.query<{
        young_person_id: string;
        user_id: string;
        agency_id: string;
        record_id: string;
      }>(
        `select young_person_id, actor_user_id user_id, actor_agency_id agency_id, record_id
         from audit_events where partnership_id = $1 and action = 'referral.view' limit 1`,
        [partnershipId],
      );
      sample = picked.rows[0] as typeof sample;
    } finally {
      await superuser.end();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const db = createKysely(createPool(embedded.appUrl, pool, () => undefined));
    const ctx: ServiceContext = {
      db,
      requestId: "bench",
      clientAddress: "192.0.2.30",
      actor: {
        userId: auditor.id,
        partnershipId,
        partnershipName: "Bench",
        agencyId: auditor.agency_id,
        agencyName: "Agency",
        role: "auditor",
        displayName: "Person 1",
        email: "person1@bench.example",
      },
    };
    const day = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const cases: { name: string; run: () => Promise<number> }[] = [];
    const search = (name: string, fields: Record<string, string>) =>
      cases.push({
        name,
        run: async () =>
          (await searchAccessLog(ctx, AccessLogQuerySchema.parse(fields))).events.length,
      });
    search("newest events, no filter", {});
    search("a young person's access history", { youngPerson: sample.young_person_id });
    search("one person's activity", { user: sample.user_id });
    search("one agency, one action", { agency: sample.agency_id, action: "young_person.view" });
    search("refused events", { outcome: "refused" });
    search("emergency access", { emergency: "yes" });
    search("a referral by reference", { record: referralReference(sample.record_id) });
    search("one day", { from: day, to: day });
    const next = await searchAccessLog(ctx, AccessLogQuerySchema.parse({ user: sample.user_id }));
    search("one person's activity, page 2", { user: sample.user_id, after: next.next ?? "" });
    cases.push({
      name: "the inappropriate-access reports (30 days)",
      run: async () => {
        const reports = await accessReports(ctx, AccessReportQuerySchema.parse({}));
        return reports.reports.out_of_hours.count;
      },
    });

    const searches: SearchBenchResult["searches"] = [];
    for (const { name, run } of cases) {
      const repeat = name.startsWith("the inappropriate") ? Math.min(runs, 5) : runs;
      await run();
      const times: number[] = [];
      let shown = 0;
      for (let index = 0; index < repeat; index += 1) {
        const started = performance.now();
        shown = await run();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      searches.push({
        name,
        p50ms: percentile(times, 50),
        p95ms: percentile(times, 95),
        maxms: times.at(-1) ?? 0,
        shown,
      });
      log(`  ${name}: p50 ${percentile(times, 50).toFixed(1)} ms`);
    }
    await db.destroy();
    return { events, loadSeconds, searches };
  } finally {
    await embedded.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

export function describeSearchBench(result: SearchBenchResult): string[] {
  return [
    `access-log search: ${result.events.toLocaleString("en-GB")} events in one partnership (loaded in ${result.loadSeconds.toFixed(0)} s), as the auditor through the service, page of 50`,
    ...result.searches.map(
      (row) =>
        `  ${row.name.padEnd(46)} p50 ${row.p50ms.toFixed(1).padStart(7)} ms, p95 ${row.p95ms.toFixed(1).padStart(7)} ms, max ${row.maxms.toFixed(1).padStart(7)} ms (${row.shown} shown)`,
    ),
  ];
}
