import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { createKysely, createPool } from "../db/connection";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import type { ServiceContext } from "../app/services/context.server";
import {
  defaultPeriod,
  type DashboardScope,
  type OversightFilters,
} from "../app/services/oversight";
import { addNote } from "../app/services/case-work.server";
import { listCellReferrals, loadDashboard } from "../app/services/oversight.server";
import { screenReferral } from "../app/services/referral-steps.server";

/**
 * How fast the oversight dashboards load on a large partnership: an embedded PostgreSQL in a
 * temporary directory, a partnership of BENCH_REFERRALS (400,000) referrals over five years made
 * set-based with generate_series as the owner, then each dashboard loaded through its service (as
 * crosswalk_app, under row-level security, access log and all) BENCH_LOADS (30) times after five
 * warm-up loads, reporting p50 and p95. Then what keeping the summary costs a write: a referral
 * screened and a contact note added, through their services, with the summary's triggers and (for
 * comparison only) with them disabled.
 *
 * Run alone with `node --import tsx bench/oversight.ts`, or with the others by `npm run bench`.
 */

export interface OversightBenchResult {
  referrals: number;
  generateSeconds: number;
  openReferrals: number;
  loads: number;
  runs: { name: string; p50ms: number; p95ms: number; maxms: number }[];
}

const POOL = {
  max: 2,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 600_000,
  idleInTransactionTimeoutMs: 600_000,
};

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const AGENCIES = 12;
const PRACTITIONERS_PER_AGENCY = 20;

/** The triggers that keep the oversight summary (migration 0010) current. */
async function summaryTriggers(owner: pg.Client, verb: "disable" | "enable") {
  for (const table of ["referrals", "referral_agencies", "case_notes"]) {
    for (const event of ["inserted", "updated", "deleted"]) {
      await owner.query(`alter table ${table} ${verb} trigger ${table}_oversight_${event}`);
    }
  }
}

/**
 * The large partnership, made in a handful of set-based statements. The oversight summary is
 * filled once at the end, by the function its triggers call, over every referral (as migration
 * 0010 backfills): with the triggers on, each bulk insert would refresh hundreds of thousands of
 * referrals against tables not yet analysed, whose plans make that quadratic.
 */
export async function generate(owner: pg.Client, partnershipId: string, referrals: number) {
  await summaryTriggers(owner, "disable");
  try {
    await generateCases(owner, partnershipId, referrals);
  } finally {
    await summaryTriggers(owner, "enable");
  }
  const started = performance.now();
  await owner.query("analyze referrals, referral_agencies, case_notes");
  await owner.query("select oversight_summary_refresh(array(select id from referrals))");
  const summarised = await owner.query<{ count: string }>(
    "select count(*) from oversight_referrals",
  );
  log(
    `  summary: ${summarised.rows[0]?.count ?? 0} referrals in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  // As autovacuum would leave a table that mostly stays as it is: statistics and visibility map.
  await owner.query("vacuum analyze");
}

async function generateCases(owner: pg.Client, partnershipId: string, referrals: number) {
  const run = async (label: string, statement: string, values: unknown[] = []) => {
    const started = performance.now();
    const result = await owner.query(statement, values);
    log(
      `  ${label}: ${result.rowCount ?? 0} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  };
  await owner.query("select set_config('app.partnership_id', $1, false)", [partnershipId]);
  await owner.query("select setseed(0.2026)");
  await run("partnership", "insert into partnerships (id, name) values ($1, 'Bench partnership')", [
    partnershipId,
  ]);
  await run(
    "agencies",
    `insert into agencies (partnership_id, name, kind)
     select $1::uuid, 'Agency ' || lpad(g::text, 2, '0'), (array['police', 'school', 'health', 'advocacy',
       'youth_justice', 'childrens_social_care', 'local_authority', 'voluntary'])[1 + g % 8]
     from generate_series(1, ${AGENCIES}) g`,
    [partnershipId],
  );
  await owner.query(`create temporary table ag as
    select row_number() over (order by name)::int as i, id from agencies`);
  await run(
    "users",
    `insert into users (partnership_id, agency_id, email, display_name, role)
     select $1::uuid, ag.id, 'p' || ag.i || '-' || g || '@bench.example', 'Practitioner ' || ag.i || '-' || g,
       case when g = 0 then 'agency_lead' else 'practitioner' end
     from ag cross join generate_series(0, ${PRACTITIONERS_PER_AGENCY}) g
     union all
     select $1::uuid, (select id from ag where i = 1), 'lead@bench.example', 'Partnership lead', 'partnership_lead'`,
    [partnershipId],
  );
  await owner.query(`create temporary table pr as
    select ag.i, row_number() over (partition by u.agency_id order by u.email)::int as j, u.id
    from users u join ag on ag.id = u.agency_id where u.role = 'practitioner'`);
  const youngPeople = Math.ceil(referrals * 0.4);
  await run(
    "young people",
    `insert into young_people (partnership_id, given_name, family_name, date_of_birth, created_by,
       created_by_agency_id)
     select $1::uuid, 'Given' || g, 'Family' || g, date '2006-01-01' + (g % 4000),
       (select id from pr where i = 1 and j = 1), (select id from ag where i = 1)
     from generate_series(1, ${youngPeople}) g`,
    [partnershipId],
  );
  await owner.query(`create temporary table yp as
    select row_number() over (order by id)::int as k, id from young_people`);
  // Each referral's shape: how old, and so where it has got to; older referrals are mostly closed.
  await owner.query(`create temporary table gen as
    select n, gen_random_uuid() as id, submitted_at, age,
      case when age > 180 then case when r1 < 0.9 then 'closed' else 'withdrawn' end
           when age > 30 then case when r1 < 0.5 then 'active' when r1 < 0.9 then 'closed'
             when r1 < 0.95 then 'panel' else 'allocated' end
           when age > 3 then case when r1 < 0.05 then 'submitted' when r1 < 0.25 then 'screened'
             when r1 < 0.45 then 'allocated' else 'active' end
           else case when r1 < 0.6 then 'submitted' when r1 < 0.8 then 'screened' else 'allocated' end
      end as state,
      case when r2 < 0.2 then 'urgent' else 'routine' end as urgency,
      (array['red', 'amber', 'green'])[1 + floor(r3 * 3)::int] as rag,
      r2, r3, random() as r4, random() as r5
    from (
      select n, now() - random() * interval '1826 days' as submitted_at, random() as r1,
        random() as r2, random() as r3
      from generate_series(1, ${referrals}) n
    ) raw, lateral (select extract(epoch from now() - submitted_at) / 86400 as age) a`);
  await owner.query(`create temporary table ref as
    select g.*, 1 + g.n % ${AGENCIES} as from_i, 1 + (g.n + 3) % ${AGENCIES} as to_i,
      1 + (g.n / ${AGENCIES}) % ${PRACTITIONERS_PER_AGENCY} as by_j,
      case when g.state in ('submitted', 'withdrawn') then null
        else least(now(), g.submitted_at + g.r4 * interval '96 hours') end as screened_at,
      case when g.state in ('allocated', 'active', 'closed', 'panel') then
        least(now(), g.submitted_at + g.r4 * interval '96 hours' + interval '1 hour') end as routed_at
    from gen g`);
  await run(
    "referrals",
    `insert into referrals (id, partnership_id, state, young_person_id, referrer_user_id,
       referrer_agency_id, destination, concern_roles, themes, concern, immediate_danger, urgency, rag,
       rag_rationale, submitted_at, screening_due_at, screened_at, screened_by, closed_at, outcome,
       outcome_summary, created_at)
     select r.id, $1, r.state, yp.id, pr.id, ag.id, 'hub', '{at_risk}',
       case when r.r2 < 0.4 then '{county_lines_drugs}'::text[]
         when r.r2 < 0.7 then '{early_intervention}'::text[]
         when r.r2 < 0.85 then '{community_partnership,early_intervention}'::text[]
         else '{law_enforcement}'::text[] end,
       'Generated concern for the benchmark.', 'no', r.urgency,
       case when r.screened_at is not null then r.rag end,
       case when r.screened_at is not null then 'Generated rationale.' end,
       r.submitted_at,
       r.submitted_at + case when r.urgency = 'urgent' then interval '4 hours' else interval '72 hours' end,
       r.screened_at, case when r.screened_at is not null then (select id from users where role = 'partnership_lead') end,
       case when r.state = 'closed' then least(now(), r.routed_at + r.r5 * interval '120 days') end,
       case when r.state = 'closed' then (array['support_completed', 'support_completed_risk_remains',
         'signposted', 'no_further_action', 'declined_support', 'disengaged', 'escalated_statutory',
         'moved_away'])[1 + floor(r.r5 * 8)::int] end,
       case when r.state = 'closed' then 'Generated summary.' end,
       r.submitted_at
     from ref r
     join ag on ag.i = r.from_i
     join pr on pr.i = r.from_i and pr.j = r.by_j
     join yp on yp.k = 1 + r.n % ${youngPeople}`,
    [partnershipId],
  );
  await run(
    "involvement",
    `insert into referral_agencies (partnership_id, referral_id, agency_id, involvement, status,
       routed_at, response_due_at, responded_at, allocated_user_id)
     select $1::uuid, r.id, (select id from ag where i = r.from_i), 'referrer', null, null, null, null, null
     from ref r
     union all
     select $1::uuid, r.id, ag.id, 'receiving',
       case when r.state = 'allocated' then 'awaiting' else 'accepted' end,
       r.routed_at, r.routed_at + interval '72 hours',
       case when r.state <> 'allocated' then least(now(), r.routed_at + r.r2 * interval '120 hours') end,
       case when r.state <> 'allocated' then pr.id end
     from ref r join ag on ag.i = r.to_i join pr on pr.i = r.to_i and pr.j = r.by_j
     where r.routed_at is not null`,
    [partnershipId],
  );
  await run(
    "actions",
    `insert into case_actions (partnership_id, referral_id, description, assigned_agency_id, due_on,
       status, created_by)
     select $1::uuid, r.id, 'Generated action.', ag.id, current_date + (r.r3 * 40 - 20)::int,
       case when r.state = 'active' then 'open' else 'done' end,
       (select id from users where role = 'partnership_lead')
     from ref r join ag on ag.i = r.to_i where r.state in ('active', 'closed', 'panel')`,
    [partnershipId],
  );
  await run(
    "contacts",
    `insert into case_notes (partnership_id, referral_id, agency_id, author_user_id, kind, visibility,
       occurred_on, body, created_at)
     select $1::uuid, ra.referral_id, ra.agency_id, ra.allocated_user_id, 'contact_in_person', 'shared',
       (least(now(), ra.responded_at + interval '30 hours'))::date, 'Generated contact.',
       least(now(), ra.responded_at + interval '30 hours')
     from referral_agencies ra where ra.status = 'accepted'`,
    [partnershipId],
  );
  await run(
    "decisions",
    `insert into decisions_to_share (partnership_id, referral_id, young_person_id, decision,
       decided_by, decided_by_agency_id, decided_at, recipient_agency_ids, purposes, article6,
       article9, gateway, source_kind, consent_relied_on, consent_given_by, consent_form,
       consent_not_sought_reason, rationale)
     select $1::uuid, r.id, rf.young_person_id, case when r.r5 < 0.03 then 'not_share' else 'share' end,
       rf.referrer_user_id, rf.referrer_agency_id, r.submitted_at - interval '1 hour',
       array[(select id from ag where i = r.to_i)], '{safeguarding}', 'public_task', 'safeguarding',
       'none', 'police', r.r5 >= 0.03,
       case when r.r5 >= 0.03 then 'young_person' end, case when r.r5 >= 0.03 then 'verbal' end,
       case when r.r5 < 0.03 then 'would_increase_risk' end, 'Generated rationale.'
     from ref r join referrals rf on rf.id = r.id where r.r5 < 0.04`,
    [partnershipId],
  );
  await run(
    "withdrawals",
    `insert into consent_withdrawals (partnership_id, decision_id, withdrawn_by, withdrawn_at, recorded_by)
     select $1::uuid, d.id, 'young_person', least(now(), d.decided_at + interval '20 days'), d.decided_by
     from decisions_to_share d where d.consent_relied_on`,
    [partnershipId],
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function time(loads: number, work: () => Promise<unknown>) {
  for (let warm = 0; warm < 5; warm += 1) await work();
  const times: number[] = [];
  for (let load = 0; load < loads; load += 1) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50ms: percentile(times, 50), p95ms: percentile(times, 95), maxms: times.at(-1) ?? 0 };
}

export async function benchOversight(): Promise<OversightBenchResult> {
  const referrals = setting("BENCH_REFERRALS", 400_000);
  const loads = setting("BENCH_LOADS", 30);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-bench-oversight-"));
  log(`Starting an embedded PostgreSQL in ${dataDir}`);
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: 0,
    database: "crosswalk_bench",
  });
  try {
    await migrateToLatest(embedded.ownerUrl, POOL, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    });
    const partnershipId = randomUUID();
    const owner = new pg.Client({ connectionString: embedded.ownerUrl });
    await owner.connect();
    const started = performance.now();
    let lead: { id: string; agency_id: string } | undefined;
    let agency: { id: string; name: string; lead: string } | undefined;
    let openReferrals: number;
    try {
      log(`Generating ${referrals.toLocaleString("en-GB")} referrals`);
      await generate(owner, partnershipId, referrals);
      lead = (
        await owner.query<{ id: string; agency_id: string }>(
          "select id, agency_id from users where role = 'partnership_lead'",
        )
      ).rows[0];
      agency = (
        await owner.query<{
          id: string;
          name: string;
          lead: string;
        }>(`select a.id, a.name, u.id as lead from agencies a
          join users u on u.agency_id = a.id and u.role = 'agency_lead' order by a.name limit 1`)
      ).rows[0];
      openReferrals = Number(
        (
          await owner.query<{ count: string }>(
            "select count(*) from referrals where state in ('submitted', 'screened', 'allocated', 'active', 'panel')",
          )
        ).rows[0]?.count,
      );
    } finally {
      await owner.end();
    }
    if (!lead || !agency) throw new Error("the generated partnership has no leads");
    const generateSeconds = (performance.now() - started) / 1000;
    log(`Generated in ${generateSeconds.toFixed(0)} s; ${openReferrals} open`);

    const app = createKysely(
      createPool(embedded.appUrl, POOL, (message, error) => {
        throw new Error(`${message}: ${error.message}`);
      }),
    );
    try {
      const context = (
        userId: string,
        agencyId: string,
        role: "partnership_lead" | "agency_lead",
      ) =>
        ({
          db: app,
          requestId: randomUUID(),
          clientAddress: "127.0.0.1",
          actor: {
            userId,
            partnershipId,
            partnershipName: "Bench partnership",
            agencyId,
            agencyName: "Bench agency",
            role,
            displayName: "Bench",
            email: "bench@bench.example",
          },
        }) satisfies ServiceContext;
      const leadContext = context(lead.id, lead.agency_id, "partnership_lead");
      const agencyContext = context(agency.lead, agency.id, "agency_lead");
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(
        new Date(),
      );
      const period: OversightFilters = defaultPeriod(today);
      const partnership: DashboardScope = { kind: "partnership" };
      const ofAgency: DashboardScope = { kind: "agency", agencyId: agency.id };
      const runs: OversightBenchResult["runs"] = [];
      const measure = async (name: string, work: () => Promise<unknown>) => {
        log(`  ${name}…`);
        const result = await time(loads, work);
        runs.push({ name, ...result });
        log(`  ${name}: p50 ${result.p50ms.toFixed(0)} ms, p95 ${result.p95ms.toFixed(0)} ms`);
      };
      await measure("partnership dashboard, last 12 months", () =>
        loadDashboard(leadContext, partnership, period),
      );
      await measure("partnership dashboard, one agency and theme", () =>
        loadDashboard(leadContext, partnership, {
          ...period,
          agencyId: agency.id,
          theme: "county_lines_drugs",
        }),
      );
      await measure("partnership dashboard, two years", () =>
        loadDashboard(leadContext, partnership, {
          from: new Date(Date.parse(today) - 730 * 86_400_000).toISOString().slice(0, 10),
          to: today,
        }),
      );
      await measure("agency dashboard, last 12 months", () =>
        loadDashboard(agencyContext, ofAgency, period),
      );
      await measure("drill-down: open and active, first page", () =>
        listCellReferrals(
          leadContext,
          partnership,
          period,
          {
            table: "open-by-status",
            row: "active",
            series: "referrals",
          },
          1,
        ),
      );
      await measureWrites(embedded.ownerUrl, partnershipId, leadContext, loads, measure);
      return { referrals, generateSeconds, openReferrals, loads, runs };
    } finally {
      await app.destroy();
    }
  } finally {
    await embedded.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * A write's cost with the summary kept by its triggers, and without them: screening a submitted
 * referral (two statements on referrals) and adding a contact note to an active one (one insert on
 * case_notes), as the partnership lead. The triggers are disabled only for the comparison, after
 * the dashboards have been measured, and enabled again at once.
 */
async function measureWrites(
  ownerUrl: string,
  partnershipId: string,
  lead: ServiceContext,
  loads: number,
  measure: (name: string, work: () => Promise<unknown>) => Promise<void>,
) {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query("select set_config('app.partnership_id', $1, false)", [partnershipId]);
    const wanted = 2 * (loads + 5);
    const submitted = (
      await owner.query<{ id: string; version: number }>(
        `select id, version from referrals where state = 'submitted' order by submitted_at limit $1`,
        [wanted],
      )
    ).rows;
    const active = (
      await owner.query<{ id: string }>(
        `select id from referrals where state = 'active' order by submitted_at desc limit $1`,
        [wanted],
      )
    ).rows;
    if (submitted.length < wanted || active.length < wanted) {
      throw new Error("too few submitted or active referrals to measure writes");
    }
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(
      new Date(),
    );
    const writes = async (label: string) => {
      await measure(`screen a referral, ${label}`, () => {
        const next = submitted.pop();
        if (!next) throw new Error("no submitted referral left");
        return screenReferral(lead, next.id, {
          version: next.version,
          rag: "amber",
          rationale: "Benchmark screening.",
        });
      });
      await measure(`add a contact note, ${label}`, () => {
        const next = active.pop();
        if (!next) throw new Error("no active referral left");
        return addNote(lead, next.id, {
          kind: "contact_phone",
          visibility: "shared",
          occurredOn: today,
          body: "Benchmark contact.",
        });
      });
    };
    await writes("summary kept");
    await summaryTriggers(owner, "disable");
    try {
      await writes("without summary (comparison)");
    } finally {
      await summaryTriggers(owner, "enable");
    }
  } finally {
    await owner.end();
  }
}

export function describeOversightBench(result: OversightBenchResult): string[] {
  return [
    `oversight dashboards: ${result.referrals.toLocaleString("en-GB")} referrals (${result.openReferrals.toLocaleString("en-GB")} open), generated in ${result.generateSeconds.toFixed(0)} s; ${result.loads} loads each after 5 warm-up`,
    ...result.runs.map(
      (run) =>
        `  ${run.name.padEnd(46)} p50 ${run.p50ms.toFixed(0).padStart(5)} ms, p95 ${run.p95ms.toFixed(0).padStart(5)} ms, max ${run.maxms.toFixed(0).padStart(5)} ms`,
    ),
  ];
}

// Run alone: `node --import tsx bench/oversight.ts`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  benchOversight()
    .then((result) => process.stdout.write(`${describeOversightBench(result).join("\n")}\n`))
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
