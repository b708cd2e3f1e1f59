import type pg from "pg";
import { DEMO_PARTNERSHIP_ID } from "../seed/demo";
import { sealAll, sealOver } from "../audit/seal";
import {
  EMPTY_CHAIN,
  LIVE_COLUMNS,
  PartnershipLog,
  SEALED_COLUMNS,
  liveLine,
  sealedLine,
  type ChainState,
  type LogEvent,
} from "./access-log";
import { generateCases } from "./cases";
import { copyIn } from "./copy-in";
import { SEAL_LOCK, buildMonth, buildableMonths, readHead } from "./partitions";
import {
  GENERATED_ACCOUNTS,
  buildPopulation,
  insertPopulation,
  preparePopulationTables,
} from "./population";
import { Random } from "./random";
import { SCALES, type ScaleName, type Volume } from "./scales";
import { prepareTextTables } from "./texts";

/**
 * `npm run db:generate`'s work in the database: a generated partnership of the scale's size beside
 * the demo partnership, and a realistic caseload for the demo accounts inside the same volume
 * (db/generate/scales.ts says how much of each), with an access log whose chains verify. Runs on
 * one connection as the owner role; row-level security, constraints and triggers stay on.
 */

export interface GenerateOptions {
  scale: ScaleName;
  seed: string;
  /** The end of the generated history (default: now, to the minute). */
  until?: Date;
  /** Told each step as it finishes. */
  onProgress?: (line: string) => void;
}

export interface TableCount {
  table: string;
  generated: number;
  demo: number;
}

export interface GenerateReport {
  partnershipId: string;
  partnershipName: string;
  until: Date;
  counts: TableCount[];
  /** Access-log events written into built months (sealed as written) and through the log's path. */
  events: { built: number; live: number; months: number; builtMonths: number };
  steps: { label: string; ms: number; rows: number | null }[];
  elapsedMs: number;
}

/** Thrown when the database already holds generated data: it is made once per database. */
export class AlreadyGenerated extends Error {
  override name = "AlreadyGenerated";
}

/** The tables generated per partnership, as the report counts them. */
const COUNTED_TABLES = [
  "agencies",
  "users",
  "young_people",
  "referrals",
  "referral_agencies",
  "referral_transitions",
  "decisions_to_share",
  "case_notes",
  "case_note_revisions",
  "case_actions",
  "case_action_updates",
  "emergency_accesses",
  "oversight_referrals",
  "audit_events",
] as const;

/** The default end of history: now, to the minute. */
export function defaultUntil(): Date {
  const now = new Date();
  now.setUTCSeconds(0, 0);
  return now;
}

/** The start of a history of `years` ending at `until`. */
export function historyStart(until: Date, years: number): Date {
  const from = new Date(until.getTime());
  from.setUTCFullYear(from.getUTCFullYear() - years);
  return from;
}

async function setTenant(client: pg.ClientBase, partnershipId: string): Promise<void> {
  await client.query("select set_config('app.partnership_id', $1, false)", [partnershipId]);
}

/**
 * Generate into the database behind `client` (connected as, or set to, the owner role, outside
 * any transaction). The demo partnership must exist (the command seeds it first). Refuses with
 * AlreadyGenerated when the database holds generated data already.
 */
export async function generateData(
  client: pg.ClientBase,
  options: GenerateOptions,
): Promise<GenerateReport> {
  const started = performance.now();
  const scale = SCALES[options.scale];
  const until = options.until ?? defaultUntil();
  const from = historyStart(until, scale.years);
  const progress = options.onProgress ?? (() => undefined);
  const steps: GenerateReport["steps"] = [];
  const step = async (label: string, work: () => Promise<number | null>) => {
    const at = performance.now();
    const rows = await work();
    const ms = performance.now() - at;
    steps.push({ label, ms, rows });
    progress(
      `  ${label.padEnd(30)} ${rows === null ? "".padStart(11) : rows.toLocaleString("en-GB").padStart(11)}  ${(ms / 1000).toFixed(1).padStart(6)} s`,
    );
  };

  for (const setting of [
    "set timezone = 'UTC'",
    "set synchronous_commit = off",
    "set statement_timeout = 0",
    "set idle_in_transaction_session_timeout = 0",
    "set lock_timeout = 0",
    "set maintenance_work_mem = '256MB'",
    "set work_mem = '64MB'",
    "set jit = off",
    "set plan_cache_mode = force_custom_plan",
  ]) {
    await client.query(setting);
  }
  if (until.getTime() > Date.now() + 60_000) throw new Error("--until cannot be in the future");

  const population = buildPopulation(scale, options.seed);
  // Generated accounts have fixed emails, unique across the database: if the first is taken,
  // this database has been generated into before.
  await client.query("select set_config('app.sign_in_email', $1, false)", [
    GENERATED_ACCOUNTS.lead,
  ]);
  const taken = await client.query("select 1 from users where email = $1", [
    GENERATED_ACCOUNTS.lead,
  ]);
  await client.query("select set_config('app.sign_in_email', '', false)");
  if (taken.rowCount) {
    throw new AlreadyGenerated(
      `This database already holds generated data (${GENERATED_ACCOUNTS.lead} exists): generated data is made once per database, beside the demo. Generate into a new one (for the embedded database, another DATA_DIR).`,
    );
  }
  await setTenant(client, DEMO_PARTNERSHIP_ID);
  const demo = await client.query("select 1 from partnerships where id = $1", [
    DEMO_PARTNERSHIP_ID,
  ]);
  if (!demo.rowCount) throw new Error("the demo partnership must be seeded before generating");

  progress(
    `Generating ${population.partnershipName} and the demo accounts' caseloads, ${from.toISOString().slice(0, 10)} to ${until.toISOString().slice(0, 16)}Z (seed ${options.seed})`,
  );
  const parts: {
    tag: string;
    partnershipId: string;
    volume: Volume;
    postcode: string;
    schools: string[];
  }[] = [
    {
      tag: "gen",
      partnershipId: population.partnershipId,
      volume: scale.generated,
      postcode: "EM",
      schools: population.agencies.filter((agency) => agency.kind === "school").map((a) => a.name),
    },
    {
      tag: "demo",
      partnershipId: DEMO_PARTNERSHIP_ID,
      volume: scale.demo,
      postcode: "NB",
      schools: [
        "Northbridge Academy",
        "Harbour Lane School",
        "St Anne's Catholic High School",
        "Eastgate Community College",
        "Northbridge College",
      ],
    },
  ];

  // The case data of both partnerships, in one transaction: all of it or none.
  await client.query("begin");
  try {
    await setTenant(client, population.partnershipId);
    await step("partnership and people", async () => {
      await insertPopulation(client, population, from);
      return population.users.length;
    });
    await prepareTextTables(client);
    for (const part of parts) {
      progress(
        `${part.tag === "gen" ? population.partnershipName : "Demo partnership"}: case data`,
      );
      await setTenant(client, part.partnershipId);
      const { leads } = await preparePopulationTables(client, part.partnershipId, part.schools);
      await generateCases(
        client,
        {
          seed: options.seed,
          tag: `${options.scale}:${part.tag}`,
          partnershipId: part.partnershipId,
          volume: part.volume,
          from: from.toISOString(),
          until: until.toISOString(),
          postcode: part.postcode,
          leads,
        },
        step,
      );
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }

  // The access log, month by month, both chains together.
  progress("Access log");
  const logs = parts.map(
    (part) =>
      new PartnershipLog({
        seed: options.seed,
        tag: `${options.scale}:${part.tag}`,
        partnershipId: part.partnershipId,
        events: part.volume.events,
        from,
        until,
      }),
  );
  for (const log of logs) {
    await setTenant(client, log.partnershipId);
    await step(`facts (${log === logs[0] ? "generated" : "demo"})`, async () => {
      await log.prepare(client);
      return log.writeEvents;
    });
  }
  const [generatedLog] = logs;
  if (!generatedLog) throw new Error("no log");
  const months = generatedLog.months();
  const buildable = await buildableMonths(client, months);
  const eventCounts = { built: 0, live: 0, months: months.length, builtMonths: 0 };

  await client.query("select pg_advisory_lock($1::bigint)", [SEAL_LOCK]);
  try {
    const chains = new Map<string, ChainState>();
    for (const log of logs) {
      const head = await readHead(client, log.partnershipId);
      chains.set(log.partnershipId, head ? { ...head } : { ...EMPTY_CHAIN });
    }
    // Unsealed events waiting in a chain must be sealed before it is extended past them.
    await sealAll(sealOver(client));
    for (const log of logs) {
      const head = await readHead(client, log.partnershipId);
      if (head) chains.set(log.partnershipId, { ...head });
    }
    const live: { log: PartnershipLog; events: LogEvent[]; random: Random }[] = [];
    const buildStarted = performance.now();
    let built = 0;
    for (const month of months) {
      const perLog: { log: PartnershipLog; events: LogEvent[]; random: Random }[] = [];
      for (const log of logs) {
        await setTenant(client, log.partnershipId);
        // Each partnership's ids come from its own stream, so its rows never depend on another's.
        const random = new Random(`${options.seed}:${log.tag}:ids:${month.index}`);
        perLog.push({ log, events: await log.eventsOf(client, month), random });
      }
      if (buildable.has(month.index)) {
        const rows = await buildMonth(
          client,
          month,
          (table) =>
            copyIn(
              client,
              `copy ${table} (${SEALED_COLUMNS}) from stdin`,
              sealedChunks(perLog, chains),
            ),
          () => logs.map((log) => ({ chainId: log.partnershipId, state: chainOf(chains, log) })),
        );
        built += rows;
        eventCounts.builtMonths += 1;
        if (eventCounts.builtMonths % 6 === 0 || month === months.at(-1)) {
          progress(
            `  months built ${String(eventCounts.builtMonths).padStart(3)} of ${months.length}, ${built.toLocaleString("en-GB")} events, ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`,
          );
        }
      } else {
        live.push(...perLog);
      }
    }
    eventCounts.built = built;
    steps.push({
      label: "access log, built months",
      ms: performance.now() - buildStarted,
      rows: built,
    });

    if (live.length) {
      await step("access log, this month", async () => {
        let rows = 0;
        await client.query("begin");
        try {
          // COPY cannot write through row-level security: the events go to a session table first,
          // then into the log with an INSERT that its policies check, in the order written.
          await client.query(
            `create temp table gen_live_events on commit drop as
             select ${LIVE_COLUMNS} from audit_events with no data`,
          );
          await client.query("alter table gen_live_events add column position serial");
          for (const { log, events, random } of live) {
            if (!events.length) continue;
            await client.query("truncate gen_live_events");
            await copyIn(
              client,
              `copy gen_live_events (${LIVE_COLUMNS}) from stdin`,
              liveChunks(log, events, random),
            );
            await client.query("select set_config('app.partnership_id', $1, true)", [
              log.partnershipId,
            ]);
            const inserted = await client.query(
              `insert into audit_events (${LIVE_COLUMNS})
               select ${LIVE_COLUMNS} from gen_live_events order by position`,
            );
            rows += inserted.rowCount ?? 0;
          }
          await client.query("commit");
        } catch (error) {
          await client.query("rollback").catch(() => undefined);
          throw error;
        }
        eventCounts.live = rows;
        await sealAll(sealOver(client));
        return rows;
      });
    }
  } finally {
    await client.query("select pg_advisory_unlock($1::bigint)", [SEAL_LOCK]);
  }

  // Statistics for the planner, as autovacuum would gather them later.
  await step("analyze", async () => {
    await client.query(
      `analyze partnerships, agencies, users, young_people, referrals, referral_agencies,
         referral_transitions, decisions_to_share, case_notes, case_note_revisions, case_actions,
         case_action_updates, emergency_accesses, oversight_referrals, oversight_involvements,
         audit_events`,
    );
    return null;
  });

  const counts: TableCount[] = [];
  for (const table of COUNTED_TABLES) {
    const row: TableCount = { table, generated: 0, demo: 0 };
    for (const [index, part] of parts.entries()) {
      await setTenant(client, part.partnershipId);
      const result = await client.query<{ count: string }>(
        `select count(*)::text as count from ${table} where partnership_id = $1`,
        [part.partnershipId],
      );
      const count = Number(result.rows[0]?.count ?? 0);
      if (index === 0) row.generated = count;
      else row.demo = count;
    }
    counts.push(row);
  }
  await client.query("select set_config('app.partnership_id', '', false)");
  return {
    partnershipId: population.partnershipId,
    partnershipName: population.partnershipName,
    until,
    counts,
    events: eventCounts,
    steps,
    elapsedMs: performance.now() - started,
  };
}

function chainOf(chains: Map<string, ChainState>, log: PartnershipLog): ChainState {
  const chain = chains.get(log.partnershipId);
  if (!chain) throw new Error(`no chain for ${log.partnershipId}`);
  return chain;
}

/** A month's events of every partnership, merged in time order and chained, as COPY text. */
function* sealedChunks(
  perLog: readonly { log: PartnershipLog; events: LogEvent[]; random: Random }[],
  chains: Map<string, ChainState>,
): Generator<string> {
  const cursors = perLog.map(() => 0);
  let chunk = "";
  for (;;) {
    let pick = -1;
    let earliest = Infinity;
    for (const [index, entry] of perLog.entries()) {
      const event = entry.events[cursors[index] ?? 0];
      if (event && event.us < earliest) {
        earliest = event.us;
        pick = index;
      }
    }
    if (pick < 0) break;
    const entry = perLog[pick];
    if (!entry) break;
    const event = entry.events[cursors[pick] ?? 0];
    cursors[pick] = (cursors[pick] ?? 0) + 1;
    if (!event) continue;
    chunk += sealedLine(entry.log, event, entry.random, chainOf(chains, entry.log));
    if (chunk.length > 1_000_000) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

/** Events for the log's own path, as COPY text. */
function* liveChunks(
  log: PartnershipLog,
  events: readonly LogEvent[],
  random: Random,
): Generator<string> {
  let chunk = "";
  for (const event of events) {
    chunk += liveLine(log, event, random);
    if (chunk.length > 1_000_000) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}
