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
  type Month,
} from "./access-log";
import { CASE_TABLES, generateCases, type CasePlan } from "./cases";
import { copyIn } from "./copy-in";
import { SEAL_LOCK, attachMonth, buildableMonths, loadMonth, readHead } from "./partitions";
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

/** The session settings of a generating connection. */
const SESSION_SETTINGS = [
  "set timezone = 'UTC'",
  "set synchronous_commit = off",
  "set statement_timeout = 0",
  "set idle_in_transaction_session_timeout = 0",
  "set lock_timeout = 0",
  "set maintenance_work_mem = '256MB'",
  "set work_mem = '64MB'",
  "set jit = off",
];

/** Referrals inserted (and their tables analysed) before the rest goes in, two connections at once. */
const FIRST_PART = 200;

/** Work on a connection in one transaction, rolled back if it fails. */
async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await work();
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/**
 * Run work on each connection in a transaction of its own, and commit them only once all have
 * succeeded; if any fails, all roll back.
 */
async function inParallelTransactions(
  works: readonly { client: pg.ClientBase; work: () => Promise<unknown> }[],
): Promise<void> {
  const outcomes = await Promise.allSettled(
    works.map(async ({ client, work }) => {
      await client.query("begin");
      await work();
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) {
    for (const { client } of works) await client.query("rollback").catch(() => undefined);
    throw failed.reason;
  }
  for (const { client } of works) await client.query("commit");
}

/**
 * Generate into the database behind `connections` (three connections as, or set to, the owner
 * role, outside any transaction: two insert the cases side by side; for the access log one reads
 * the facts, one loads each month and one attaches it). The demo partnership must exist (the command seeds it first). Refuses with
 * AlreadyGenerated when the database holds generated data already.
 *
 * The partnership and its people are committed first, then its young people and first referrals,
 * then the rest of its cases in two transactions committed together, then the access log month by
 * month: a run that fails part-way leaves what it committed, and the database must be generated
 * into afresh.
 */
export async function generateData(
  connections: { main: pg.ClientBase; second: pg.ClientBase; third: pg.ClientBase },
  options: GenerateOptions,
): Promise<GenerateReport> {
  const started = performance.now();
  const client = connections.main;
  const sessions = [connections.main, connections.second, connections.third];
  const inserters = [connections.main, connections.second];
  const scale = SCALES[options.scale];
  const until = options.until ?? defaultUntil();
  const from = historyStart(until, scale.years);
  const progress = options.onProgress ?? (() => undefined);
  const steps: GenerateReport["steps"] = [];
  const stepAs =
    (suffix: string) =>
    async (label: string, work: () => Promise<number | null>): Promise<void> => {
      const at = performance.now();
      const rows = await work();
      const ms = performance.now() - at;
      const name = `${label}${suffix}`;
      steps.push({ label: name, ms, rows });
      progress(
        `  ${name.padEnd(34)} ${rows === null ? "".padStart(11) : rows.toLocaleString("en-GB").padStart(11)}  ${(ms / 1000).toFixed(1).padStart(6)} s`,
      );
    };
  const step = stepAs("");

  for (const session of sessions) {
    for (const setting of SESSION_SETTINGS) await session.query(setting);
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
    title: string;
    partnershipId: string;
    volume: Volume;
    postcode: string;
    schools: string[];
  }[] = [
    {
      tag: "gen",
      title: population.partnershipName,
      partnershipId: population.partnershipId,
      volume: scale.generated,
      postcode: "EM",
      schools: population.agencies.filter((agency) => agency.kind === "school").map((a) => a.name),
    },
    {
      tag: "demo",
      title: "Demo partnership",
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

  await setTenant(client, population.partnershipId);
  await inTransaction(client, () =>
    step("partnership and people", async () => {
      await insertPopulation(client, population, from);
      return population.users.length;
    }),
  );
  await Promise.all(inserters.map((session) => prepareTextTables(session)));
  // The demo's cases first, while the tables are small: planned on statistics dominated by the
  // generated partnership, the oversight summary's triggers would read much of it for each
  // statement on the demo's.
  for (const part of [...parts].reverse()) {
    progress(`${part.title}: case data`);
    const planOf = (leads: number): CasePlan => ({
      seed: options.seed,
      tag: `${options.scale}:${part.tag}`,
      partnershipId: part.partnershipId,
      volume: part.volume,
      from: from.toISOString(),
      until: until.toISOString(),
      postcode: part.postcode,
      leads,
    });
    // Both connections plan the same cases (everything follows from the seed).
    const plans = await Promise.all(
      inserters.map(async (session, index) => {
        await setTenant(session, part.partnershipId);
        const { leads } = await preparePopulationTables(session, part.partnershipId, part.schools);
        const plan = planOf(leads);
        await generateCases(
          session,
          plan,
          index === 0 ? step : async (_l, work) => void (await work()),
          {
            kind: "plan",
          },
        );
        return plan;
      }),
    );
    const plan = plans[0];
    if (!plan) throw new Error("no plan");
    const referrals = part.volume.referrals;
    const first = Math.min(FIRST_PART, referrals);
    await inTransaction(client, async () => {
      await generateCases(client, plan, step, { kind: "people" });
      await generateCases(client, plan, stepAs(" (first)"), {
        kind: "cases",
        after: 0,
        upTo: first,
      });
    });
    await client.query(`analyze ${CASE_TABLES}`);
    const middle = first + Math.ceil((referrals - first) / 2);
    await inParallelTransactions([
      {
        client: connections.main,
        work: () =>
          generateCases(connections.main, plan, stepAs(" [1]"), {
            kind: "cases",
            after: first,
            upTo: middle,
          }),
      },
      {
        client: connections.second,
        work: () =>
          generateCases(connections.second, plan, stepAs(" [2]"), {
            kind: "cases",
            after: middle,
            upTo: referrals,
          }),
      },
    ]);
    await client.query(`analyze ${CASE_TABLES}`);
  }

  // The access log, month by month, both chains together, in three stages at once: the third
  // connection reads a month's facts and its events are made and chained in memory, the second
  // loads the month before into a table of its own, and the first attaches the one before that.
  progress("Access log");
  const reader = connections.third;
  const loader = connections.second;
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
    await setTenant(reader, log.partnershipId);
    await step(`facts (${log === logs[0] ? "generated" : "demo"})`, async () => {
      await log.prepare(reader);
      return log.writeEvents;
    });
  }
  const [generatedLog] = logs;
  if (!generatedLog) throw new Error("no log");
  const months = generatedLog.months();
  const buildable = await buildableMonths(client, months);
  const eventCounts = { built: 0, live: 0, months: months.length, builtMonths: 0 };
  const timings = { made: 0, loaded: 0, attached: 0 };

  await client.query("select pg_advisory_lock($1::bigint)", [SEAL_LOCK]);
  try {
    // Unsealed events waiting in a chain are sealed before the chain is extended past them.
    await sealAll(sealOver(client));
    const chains = new Map<string, ChainState>();
    for (const log of logs) {
      const head = await readHead(client, log.partnershipId);
      chains.set(log.partnershipId, head ? { ...head } : { ...EMPTY_CHAIN });
    }
    interface Prepared {
      month: Month;
      built: boolean;
      chunks: string[];
      perLog: { log: PartnershipLog; events: LogEvent[]; random: Random }[];
      state: Map<string, ChainState>;
    }
    const prepare = async (month: Month, after: Map<string, ChainState>): Promise<Prepared> => {
      const at = performance.now();
      const perLog: Prepared["perLog"] = [];
      for (const log of logs) {
        await setTenant(reader, log.partnershipId);
        // Each partnership's ids come from its own stream, so its rows never depend on another's.
        const random = new Random(`${options.seed}:${log.tag}:ids:${month.index}`);
        perLog.push({ log, events: await log.eventsOf(reader, month), random });
      }
      const built = buildable.has(month.index);
      const state = new Map([...after].map(([id, chain]) => [id, { ...chain }]));
      const chunks = built ? await sealedChunks(perLog, state) : [];
      // A built month's events are in its chunks now; a month for the log's own path keeps them.
      if (built) for (const entry of perLog) entry.events = [];
      timings.made += performance.now() - at;
      return { month, built, chunks, perLog, state };
    };

    const live: Prepared["perLog"] = [];
    const buildStarted = performance.now();
    // Rejections travel down the chains; each is also marked handled where it is made.
    const quiet = <T>(promise: Promise<T>): Promise<T> => {
      promise.catch(() => undefined);
      return promise;
    };
    const prepared: Promise<Prepared>[] = [];
    const loaded: Promise<number>[] = [];
    const attached: Promise<void>[] = [];
    for (const [index, month] of months.entries()) {
      const before =
        index === 0 ? Promise.resolve(chains) : prepared[index - 1]!.then((p) => p.state);
      // At most two months wait in memory for the loader.
      const room = index >= 2 ? loaded[index - 2]! : Promise.resolve(0);
      prepared.push(quiet(Promise.all([before, room]).then(([state]) => prepare(month, state))));
      loaded.push(
        quiet(
          Promise.all([prepared[index]!, index === 0 ? 0 : loaded[index - 1]!]).then(
            async ([current]) => {
              if (!current.built) return 0;
              const at = performance.now();
              const rows = await loadMonth(loader, month, (table) =>
                copyIn(loader, `copy ${table} (${SEALED_COLUMNS}) from stdin`, current.chunks),
              );
              current.chunks = [];
              timings.loaded += performance.now() - at;
              return rows;
            },
          ),
        ),
      );
      attached.push(
        quiet(
          Promise.all([
            prepared[index]!,
            loaded[index]!,
            index === 0 ? undefined : attached[index - 1]!,
          ]).then(async ([current, rows]) => {
            if (!current.built) {
              live.push(...current.perLog);
              return;
            }
            const at = performance.now();
            await attachMonth(
              client,
              month,
              logs.map((log) => ({
                chainId: log.partnershipId,
                state: chainOf(current.state, log),
              })),
            );
            timings.attached += performance.now() - at;
            eventCounts.built += rows;
            eventCounts.builtMonths += 1;
            if (eventCounts.builtMonths % 6 === 0 || index === months.length - 1) {
              progress(
                `  months built ${String(eventCounts.builtMonths).padStart(3)} of ${months.length}, ${eventCounts.built.toLocaleString("en-GB")} events, ${((performance.now() - buildStarted) / 1000).toFixed(1)} s (made ${(timings.made / 1000).toFixed(1)} s, loaded ${(timings.loaded / 1000).toFixed(1)} s, indexed and attached ${(timings.attached / 1000).toFixed(1)} s)`,
              );
            }
          }),
        ),
      );
    }
    const outcomes = await Promise.allSettled(attached);
    const failure = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure) throw failure.reason;
    steps.push({
      label: "access log, built months",
      ms: performance.now() - buildStarted,
      rows: eventCounts.built,
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

  // Statistics for the planner, as autovacuum would gather them later (the case tables were
  // analysed after their inserts).
  await step("analyze", async () => {
    await client.query(
      `analyze partnerships, agencies, users, totp_authenticators, case_note_revisions,
         case_action_updates, emergency_accesses, sharing_agreement_permissions`,
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
async function sealedChunks(
  perLog: readonly { log: PartnershipLog; events: LogEvent[]; random: Random }[],
  chains: Map<string, ChainState>,
): Promise<string[]> {
  const chunks: string[] = [];
  const cursors = perLog.map(() => 0);
  let chunk = "";
  let lines = 0;
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
    lines += 1;
    if (chunk.length > 1_000_000) {
      chunks.push(chunk);
      chunk = "";
    }
    // Let the month before stream to the server while this one is made.
    if (lines % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (chunk) chunks.push(chunk);
  return chunks;
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
