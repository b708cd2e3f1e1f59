import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { listCaseload } from "../app/services/caseloads.server";
import type { ServiceContext } from "../app/services/context.server";
import { loadDashboard } from "../app/services/oversight.server";
import { defaultPeriod } from "../app/services/oversight";
import { getReferral } from "../app/services/referrals.server";
import { createKysely, createPool } from "../db/connection";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import type { Role } from "../policies";
import { generate } from "./oversight";

/**
 * What the second lock costs: the referral page, caseloads and an agency's dashboard loaded
 * through their services (as crosswalk_app, access log and all) on a partnership of
 * BENCH_CASE_REFERRALS (20,000) generated referrals, first with the need-to-know policies of
 * migration 0011 and then, for comparison only, with those policies dropped (tenant isolation
 * alone, as before the migration). BENCH_LOADS (30) loads after five warm-up loads, p50 and p95.
 *
 * Run alone with `node --import tsx bench/case-visibility.ts`, or by `BENCH_ONLY=visibility npm run bench`.
 */

export interface CaseVisibilityBenchResult {
  referrals: number;
  loads: number;
  runs: { name: string; withPolicies: Timing; withoutPolicies: Timing }[];
}

interface Timing {
  p50ms: number;
  p95ms: number;
}

const POOL = {
  max: 2,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 600_000,
  idleInTransactionTimeoutMs: 600_000,
};

/** The tables migration 0011 gives a need-to-know policy. */
const POLICED = [
  "young_people",
  "young_person_revisions",
  "referrals",
  "referral_agencies",
  "referral_transitions",
  "case_notes",
  "case_note_revisions",
  "case_actions",
  "case_action_updates",
  "decisions_to_share",
  "consent_withdrawals",
  "emergency_accesses",
];

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function time(loads: number, work: () => Promise<unknown>): Promise<Timing> {
  for (let warm = 0; warm < 5; warm += 1) await work();
  const times: number[] = [];
  for (let load = 0; load < loads; load += 1) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50ms: percentile(times, 50), p95ms: percentile(times, 95) };
}

export async function benchCaseVisibility(): Promise<CaseVisibilityBenchResult> {
  const referrals = setting("BENCH_CASE_REFERRALS", 20_000);
  const loads = setting("BENCH_LOADS", 30);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-bench-visibility-"));
  log(`Starting an embedded PostgreSQL in ${dataDir}`);
  const embedded = await startEmbeddedPostgres({ dataDir, port: 0, database: "crosswalk_bench" });
  try {
    await migrateToLatest(embedded.ownerUrl, POOL, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    });
    const partnershipId = randomUUID();
    const owner = new pg.Client({ connectionString: embedded.ownerUrl });
    await owner.connect();
    try {
      log(`Generating ${referrals.toLocaleString("en-GB")} referrals`);
      await generate(owner, partnershipId, referrals);
      const people = await owner.query<{
        id: string;
        agency_id: string;
        role: Role;
        referral_id: string;
      }>(
        // A practitioner with the most referrals of their own, a referral of theirs, the agency's
        // lead, and the partnership lead.
        `with busiest as (
           select referrer_user_id as id, count(*) from referrals where state = 'active'
           group by referrer_user_id order by count(*) desc limit 1)
         select u.id, u.agency_id, u.role,
           (select r.id from referrals r where r.referrer_user_id = b.id and r.state = 'active'
            order by r.submitted_at desc limit 1) as referral_id
         from busiest b join users me on me.id = b.id
         join users u on u.id = me.id
           or (u.agency_id = me.agency_id and u.role = 'agency_lead')
           or u.role = 'partnership_lead'`,
      );
      const byRole = (role: Role) => {
        const person = people.rows.find((row) => row.role === role);
        if (!person) throw new Error(`the generated partnership has no ${role}`);
        return person;
      };
      const practitioner = byRole("practitioner");
      const agencyLead = byRole("agency_lead");
      const lead = byRole("partnership_lead");
      const referralId = practitioner.referral_id;

      const app = createKysely(
        createPool(embedded.appUrl, POOL, (message, error) => {
          throw new Error(`${message}: ${error.message}`);
        }),
      );
      try {
        const context = (person: { id: string; agency_id: string; role: Role }) =>
          ({
            db: app,
            requestId: randomUUID(),
            clientAddress: "127.0.0.1",
            actor: {
              userId: person.id,
              partnershipId,
              partnershipName: "Bench partnership",
              agencyId: person.agency_id,
              agencyName: "Bench agency",
              role: person.role,
              displayName: "Bench",
              email: "bench@bench.example",
            },
          }) satisfies ServiceContext;
        const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(
          new Date(),
        );
        const cases: { name: string; work: () => Promise<unknown> }[] = [
          {
            name: "referral page, the referring practitioner",
            work: () => getReferral(context(practitioner), referralId),
          },
          {
            name: "referral page, the partnership lead",
            work: () => getReferral(context(lead), referralId),
          },
          {
            name: "caseload: referrals I made (practitioner), sorted by due",
            work: () => listCaseload(context(practitioner), "referred", { sort: "due", page: 1 }),
          },
          {
            name: "caseload: my agency's cases (agency lead)",
            work: () => listCaseload(context(agencyLead), "agency", { sort: "due", page: 1 }),
          },
          {
            name: "caseload: all referrals (partnership lead)",
            work: () => listCaseload(context(lead), "all", { sort: "due", page: 1 }),
          },
          {
            name: "agency dashboard, last 12 months (agency lead)",
            work: () =>
              loadDashboard(
                context(agencyLead),
                { kind: "agency", agencyId: agencyLead.agency_id },
                defaultPeriod(today),
              ),
          },
        ];
        const withPolicies: Timing[] = [];
        for (const { name, work } of cases) {
          withPolicies.push(await time(loads, work));
          log(`  ${name}, with the policies: p50 ${withPolicies.at(-1)?.p50ms.toFixed(1)} ms`);
        }
        // For comparison only: the same database with tenant isolation alone.
        for (const table of POLICED) {
          await owner.query(`drop policy ${table}_need_to_know on ${table}`);
        }
        const withoutPolicies: Timing[] = [];
        for (const { name, work } of cases) {
          withoutPolicies.push(await time(loads, work));
          log(`  ${name}, without: p50 ${withoutPolicies.at(-1)?.p50ms.toFixed(1)} ms`);
        }
        return {
          referrals,
          loads,
          runs: cases.map(({ name }, index) => ({
            name,
            withPolicies: withPolicies[index] as Timing,
            withoutPolicies: withoutPolicies[index] as Timing,
          })),
        };
      } finally {
        await app.destroy();
      }
    } finally {
      await owner.end();
    }
  } finally {
    await embedded.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** The result as lines for the terminal and docs/PERFORMANCE.md. */
export function describeCaseVisibilityBench(result: CaseVisibilityBenchResult): string[] {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    `Case visibility (row-level security, migration 0011): ${result.referrals.toLocaleString("en-GB")} referrals, ${result.loads} loads each`,
    "| page | p50 with | p95 with | p50 without | p95 without | p50 cost |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...result.runs.map(
      ({ name, withPolicies, withoutPolicies }) =>
        `| ${name} | ${ms(withPolicies.p50ms)} | ${ms(withPolicies.p95ms)} | ${ms(withoutPolicies.p50ms)} | ${ms(withoutPolicies.p95ms)} | ${(((withPolicies.p50ms - withoutPolicies.p50ms) / withoutPolicies.p50ms) * 100).toFixed(0)}% |`,
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  benchCaseVisibility()
    .then((result) => process.stdout.write(`${describeCaseVisibilityBench(result).join("\n")}\n`))
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
