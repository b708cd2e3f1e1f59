import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { OWNER_ROLE, withCredentials } from "../db/bootstrap";
import { verifyAuditLog } from "../db/audit/verify";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";

/**
 * The cost of chaining the access log, measured against a real PostgreSQL (embedded, in a
 * temporary directory, default settings: fsync and synchronous_commit on):
 *
 * 1. chained writes: WRITERS connections as crosswalk_app, each committing one event per READ
 *    COMMITTED transaction into one partnership's chain, for SECONDS seconds;
 * 2. the same into a copy of the pre-chain audit_events table (no chain trigger): the baseline;
 * 3. verification of at least VERIFY_EVENTS chained events.
 *
 * Settings by environment: BENCH_WRITERS (16), BENCH_SECONDS (10), BENCH_VERIFY_EVENTS (1000000).
 */

export interface AuditChainBenchResult {
  writers: number;
  seconds: number;
  /** Milliseconds per statement for one writer alone. */
  alone: Record<string, StatementTimes>;
  writes: Record<string, WriteResult>;
  verify: { runs: VerifyRun[]; generateSeconds: number };
}

interface VerifyRun {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU time this process spent, so a busy machine's figures can be read fairly. */
  nodeCpuSeconds: number;
}

interface WriteResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50ms: number;
  p99ms: number;
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

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "crosswalk-bench" });
  await client.connect();
  return client;
}

const EVENT_COLUMNS =
  "partnership_id, actor_user_id, actor_agency_id, actor_role, action, outcome, record_type, record_id, reason, request_id, client_address, details";

/** One request's event, as services write them: actor, record, request id, address, rule. */
function eventValues(partnershipId: string): (string | null)[] {
  return [
    partnershipId,
    randomUUID(),
    randomUUID(),
    "practitioner",
    "referral.view",
    "allowed",
    "referral",
    randomUUID(),
    null,
    randomUUID(),
    "192.0.2.20",
    JSON.stringify({ rule: "practitioner.involved_agency" }),
  ];
}

/**
 * How each writer sends its transaction: `statements` as the application does (BEGIN, set the
 * tenant, INSERT, COMMIT, each awaited), or `one-message` with all four in one simple-protocol
 * message, so no client round trip falls inside the head's lock: the floor of the lock's hold.
 */
type WriteMode = "statements" | "one-message";

async function writeFor(
  appUrl: string,
  table: string,
  partnershipIds: readonly string[],
  writers: number,
  seconds: number,
  mode: WriteMode,
): Promise<WriteResult> {
  const clients = await Promise.all(Array.from({ length: writers }, () => connect(appUrl)));
  const insert = `insert into ${table} (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
  const latencies: number[] = [];
  const oneEvent = async (client: pg.Client, writer: number) => {
    const partnershipId = partnershipIds[writer % partnershipIds.length] as string;
    const started = performance.now();
    const values = eventValues(partnershipId);
    if (mode === "statements") {
      await client.query("begin isolation level read committed");
      await client.query("select set_config('app.partnership_id', $1, true)", [partnershipId]);
      await client.query(insert, values);
      await client.query("commit");
    } else {
      const literals = values.map((value) => (value === null ? "null" : pg.escapeLiteral(value)));
      await client.query(
        `begin isolation level read committed;
         select set_config('app.partnership_id', ${pg.escapeLiteral(partnershipId)}, true);
         insert into ${table} (${EVENT_COLUMNS}) values (${literals.join(", ")});
         commit`,
      );
    }
    return performance.now() - started;
  };
  try {
    // Warm up: connections, plans, the chain head.
    await Promise.all(clients.map((client, writer) => oneEvent(client, writer)));
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let events = 0;
    await Promise.all(
      clients.map(async (client, writer) => {
        while (performance.now() < deadline) {
          latencies.push(await oneEvent(client, writer));
          events += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (fraction: number) => latencies[Math.floor((latencies.length - 1) * fraction)] ?? 0;
    return {
      events,
      seconds: elapsed,
      eventsPerSecond: events / elapsed,
      p50ms: at(0.5),
      p99ms: at(0.99),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/**
 * One writer alone, timing each statement of its transactions: what the head's lock is held for
 * (the INSERT's trigger work, then the COMMIT with its WAL flush) when nobody waits for it.
 */
async function statementTimes(
  appUrl: string,
  table: string,
  partnershipId: string,
  events: number,
): Promise<StatementTimes> {
  const client = await connect(appUrl);
  const insert = `insert into ${table} (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
  const total: StatementTimes = { begin: 0, tenant: 0, insert: 0, commit: 0 };
  const timed = async (name: keyof StatementTimes, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    total[name] += performance.now() - started;
  };
  try {
    for (let index = 0; index < events; index += 1) {
      await timed("begin", () => client.query("begin isolation level read committed"));
      await timed("tenant", () =>
        client.query("select set_config('app.partnership_id', $1, true)", [partnershipId]),
      );
      await timed("insert", () => client.query(insert, eventValues(partnershipId)));
      await timed("commit", () => client.query("commit"));
    }
  } finally {
    await client.end();
  }
  return {
    begin: total.begin / events,
    tenant: total.tenant / events,
    insert: total.insert / events,
    commit: total.commit / events,
  };
}

interface StatementTimes {
  begin: number;
  tenant: number;
  insert: number;
  commit: number;
}

/** Fill chains with events through the chain trigger, a batch per transaction, on two connections. */
async function generateEvents(
  appUrl: string,
  partnerships: string[],
  total: number,
): Promise<void> {
  const batch = Number(process.env.BENCH_BATCH ?? 250);
  const perChain = Math.ceil(total / partnerships.length);
  let done = 0;
  let lastReport = performance.now();
  const fill = async (partnershipId: string) => {
    const client = await connect(appUrl);
    try {
      for (let written = 0; written < perChain; written += batch) {
        const rows = Math.min(batch, perChain - written);
        await client.query("begin");
        await client.query("select set_config('app.partnership_id', $1, true)", [partnershipId]);
        await client.query(
          `insert into audit_events (${EVENT_COLUMNS})
           select $1::uuid, gen_random_uuid(), gen_random_uuid(), 'practitioner', 'referral.view',
                  'allowed', 'referral', gen_random_uuid(), null, md5(n::text), '192.0.2.20',
                  jsonb_build_object('rule', 'practitioner.involved_agency', 'n', n)
           from generate_series(1, $2::int) as n`,
          [partnershipId, rows],
        );
        await client.query("commit");
        done += rows;
        if (performance.now() - lastReport > 5_000) {
          lastReport = performance.now();
          log(`  generated ${done.toLocaleString("en-GB")} of ${total.toLocaleString("en-GB")}`);
        }
      }
    } finally {
      await client.end();
    }
  };
  // Two chains at a time: this is a two-core machine.
  const queue = [...partnerships];
  await Promise.all(
    [0, 1].map(async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await fill(next);
    }),
  );
}

export async function benchAuditChain(): Promise<AuditChainBenchResult> {
  const writers = setting("BENCH_WRITERS", 16);
  const seconds = setting("BENCH_SECONDS", 10);
  const verifyEvents = setting("BENCH_VERIFY_EVENTS", 1_000_000);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-bench-"));
  log(`Starting an embedded PostgreSQL in ${dataDir}`);
  const embedded = await startEmbeddedPostgres({ dataDir, port: 0, database: "crosswalk_bench" });
  try {
    await migrateToLatest(embedded.ownerUrl, POOL, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    });
    const superuser = await connect(
      withCredentials(embedded.superuserUrl, { database: "crosswalk_bench" }),
    );
    const partnershipId = randomUUID();
    const verifyChains = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const spreadChains = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    try {
      for (const id of [partnershipId, ...verifyChains, ...spreadChains]) {
        await superuser.query("insert into partnerships (id, name) values ($1, $2)", [
          id,
          `Bench ${id.slice(0, 8)}`,
        ]);
      }
      // The baseline: audit_events as it was before the chain (same columns, indexes, policies).
      await superuser.query(`
        create table audit_events_unchained (like audit_events including defaults including indexes);
        alter table audit_events_unchained drop column chain_seq, drop column prev_hash, drop column hash;
        alter table audit_events_unchained add foreign key (partnership_id) references partnerships (id);
        alter table audit_events_unchained owner to ${OWNER_ROLE};
        alter table audit_events_unchained enable row level security;
        alter table audit_events_unchained force row level security;
        create policy append on audit_events_unchained for insert
          with check (partnership_id is not distinct from app_partnership_id());
        grant select, insert on audit_events_unchained to crosswalk_app;
      `);
      const settings = await superuser.query<{ name: string; setting: string }>(
        "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method', 'max_connections') order by name",
      );
      log(
        `PostgreSQL settings: ${settings.rows.map((row) => `${row.name}=${row.setting}`).join(", ")}`,
      );
    } finally {
      await superuser.end();
    }

    const appUrl = embedded.appUrl;
    const alone: AuditChainBenchResult["alone"] = {};
    for (const [name, table] of [
      ["chained", "audit_events"],
      ["unchained", "audit_events_unchained"],
    ] as const) {
      // The first transactions of a session plan their statements: leave them out.
      await statementTimes(appUrl, table, partnershipId, 50);
      alone[name] = await statementTimes(appUrl, table, partnershipId, 500);
      log(`one writer, ${name}: ${formatTimes(alone[name])}`);
    }
    const writes: AuditChainBenchResult["writes"] = {};
    const runs = [
      ["chained, statements", "audit_events", "statements", [partnershipId]],
      ["unchained, statements", "audit_events_unchained", "statements", [partnershipId]],
      ["chained, one message", "audit_events", "one-message", [partnershipId]],
      ["unchained, one message", "audit_events_unchained", "one-message", [partnershipId]],
      ["chained, 4 partnerships", "audit_events", "statements", spreadChains],
    ] as const;
    for (const [name, table, mode, partnerships] of runs) {
      log(`${name}: ${writers} writers, one event per transaction, ${seconds} s`);
      const result = await writeFor(appUrl, table, partnerships, writers, seconds, mode);
      writes[name] = result;
      log(`  ${formatWrite(result)}`);
    }

    const owner = await connect(embedded.ownerUrl);
    try {
      // The writes above must have left one gap-free chain.
      const check = await verifyAuditLog(owner, { chains: [partnershipId, ...spreadChains] });
      if (!check.ok) throw new Error(`the chained writes do not verify: ${check.failure?.problem}`);
      log(`  the written chains verify: ${check.events} events, each chain gap-free from seq 1`);

      log(
        `Generating ${verifyEvents.toLocaleString("en-GB")} chained events in ${verifyChains.length} chains`,
      );
      const generateStarted = performance.now();
      await generateEvents(appUrl, verifyChains, verifyEvents);
      const generateSeconds = (performance.now() - generateStarted) / 1000;
      await owner.query("vacuum analyze audit_events");
      const runs: VerifyRun[] = [];
      for (let run = 1; run <= 3; run += 1) {
        log(`Verifying, run ${run} of 3`);
        const cpu = process.cpuUsage();
        const report = await verifyAuditLog(owner, {
          onProgress: (progress) =>
            log(`  ${progress.events.toLocaleString("en-GB")} events verified`),
        });
        const used = process.cpuUsage(cpu);
        if (!report.ok) throw new Error(`verification failed: ${report.failure?.problem}`);
        const seconds = report.elapsedMs / 1000;
        runs.push({
          events: report.events,
          seconds,
          eventsPerSecond: report.events / seconds,
          nodeCpuSeconds: (used.user + used.system) / 1e6,
        });
        log(`  ${formatVerify(runs[runs.length - 1] as VerifyRun)}`);
      }
      return { writers, seconds, alone, writes, verify: { runs, generateSeconds } };
    } finally {
      await owner.end();
    }
  } finally {
    await embedded.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

function formatTimes(times: StatementTimes): string {
  return `BEGIN ${times.begin.toFixed(2)} ms, set tenant ${times.tenant.toFixed(2)} ms, INSERT ${times.insert.toFixed(2)} ms, COMMIT ${times.commit.toFixed(2)} ms`;
}

function formatVerify(run: VerifyRun): string {
  return `${run.events.toLocaleString("en-GB")} events in ${run.seconds.toFixed(2)} s: ${Math.round(run.eventsPerSecond).toLocaleString("en-GB")} events/s (Node CPU ${((run.nodeCpuSeconds / run.events) * 1e6).toFixed(2)} µs per event)`;
}

function formatWrite(result: WriteResult): string {
  return `${result.events} events in ${result.seconds.toFixed(1)} s: ${Math.round(result.eventsPerSecond)} events/s, latency p50 ${result.p50ms.toFixed(1)} ms, p99 ${result.p99ms.toFixed(1)} ms`;
}

/** The result as the lines of a report. */
export function describeAuditChainBench(result: AuditChainBenchResult): string[] {
  const lines = [
    `audit chain: ${result.writers} writers, one event per transaction, READ COMMITTED, ${result.seconds} s each`,
  ];
  for (const [name, times] of Object.entries(result.alone)) {
    lines.push(`  one writer alone, ${name.padEnd(10)} ${formatTimes(times)}`);
  }
  for (const [name, write] of Object.entries(result.writes)) {
    lines.push(`  ${name.padEnd(24)} ${formatWrite(write)}`);
  }
  const cost = (chained: string, unchained: string) => {
    const [a, b] = [result.writes[chained], result.writes[unchained]];
    return a && b ? `${(100 * (1 - a.eventsPerSecond / b.eventsPerSecond)).toFixed(0)}%` : "n/a";
  };
  lines.push(
    `  the chain costs ${cost("chained, statements", "unchained, statements")} of the baseline's throughput (${cost("chained, one message", "unchained, one message")} with one message per transaction)`,
  );
  lines.push(
    `verification (${result.verify.runs[0]?.events.toLocaleString("en-GB")} events, generated through the trigger in ${result.verify.generateSeconds.toFixed(0)} s):`,
  );
  for (const run of result.verify.runs) lines.push(`  ${formatVerify(run)}`);
  return lines;
}
