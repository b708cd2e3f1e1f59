import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { OWNER_ROLE, withCredentials } from "../db/bootstrap";
import { SEAL_BATCH, sealAll, sealOver } from "../db/audit/seal";
import { verifyAuditLog } from "../db/audit/verify";
import { createKysely, createPool } from "../db/connection";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import { seedDemoPartnership } from "../app/demo/demo-seed.server";
import { DEMO_PARTNERSHIP_ID } from "../db/seed/demo";

/**
 * The cost of the access log's chain, measured against a real PostgreSQL (embedded, in a
 * temporary directory, default settings: fsync and synchronous_commit on). Events are appended
 * unsealed, without a lock, and a sealer chains them after they commit
 * (docs/decisions/009-audit-sealer-and-partitions.md):
 *
 * 1. one writer alone, timing each statement, into audit_events and into the unchained baseline;
 * 2. WRITERS connections as crosswalk_app, each committing one event per READ COMMITTED
 *    transaction into one partnership, for SECONDS seconds, while a sealer calls
 *    audit_seal(5000) every 250 ms as the server does: events inserted per second, events sealed
 *    per second, and the window from each event's commit to the commit of the seal that chained
 *    it; the same into audit_events_unchained, a copy of the access log before any chain: the
 *    baseline;
 * 3. a referral view: the reads of the referral page (the referral, its agencies, decisions,
 *    emergency accesses, young person, names, history, notes, actions) and one event, with the
 *    sealer running, against the same with the event in the unchained table: latency;
 * 4. a backlog of VERIFY_EVENTS events in four chains, sealed in bulk, then verified by
 *    verifyAuditLog() (what `npm run audit:verify` runs) on one connection and in stretches on 2
 *    and 3 worker threads.
 *
 * Settings by environment: BENCH_WRITERS (16), BENCH_SECONDS (10 per variant), BENCH_ROUNDS (5:
 * each comparison alternates its variants in that many slices, so that the load of a shared
 * machine weighs on both alike), BENCH_VERIFY_EVENTS (1000000), BENCH_BATCH (events per
 * generating transaction, 1000).
 */

export interface AuditChainBenchResult {
  writers: number;
  seconds: number;
  rounds: number;
  /** Milliseconds per statement for one writer alone. */
  alone: Record<string, StatementTimes>;
  writes: Record<string, WriteResult>;
  views: Record<string, WriteResult>;
  backlog: { events: number; generateSeconds: number; sealSeconds: number };
  verify: VerifyRun[];
}

interface VerifyRun {
  workers: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU time this process (with its threads) spent, so a busy machine's figures can be read fairly. */
  nodeCpuSeconds: number;
}

interface WriteResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** With the sealer running: what it sealed, and how long events waited for it. */
  sealing?: {
    sealedPerSecond: number;
    drainSeconds: number;
    windowP50ms: number;
    windowP99ms: number;
    windowMaxMs: number;
  };
}

const POOL = {
  max: 2,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 600_000,
  idleInTransactionTimeoutMs: 600_000,
};
const SEAL_INTERVAL_MS = 250;

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

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.floor((sorted.length - 1) * fraction)] ?? 0;
}

const EVENT_COLUMNS =
  "partnership_id, actor_user_id, actor_agency_id, actor_role, action, outcome, record_type, record_id, reason, request_id, client_address, details";

/** One request's event, as services write them: actor, record, request id, address, rule. */
function eventValues(partnershipId: string, requestId: string): (string | null)[] {
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
    requestId,
    "192.0.2.20",
    JSON.stringify({ rule: "practitioner.involved_agency" }),
  ];
}

const insertInto = (table: string) =>
  `insert into ${table} (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

/**
 * A sealer as the server runs it: every 250 ms, audit_seal(5000) until a call seals less. Records
 * when each call's transaction had committed and how many events it had sealed by then.
 */
function startSealer(url: string) {
  const seals: { at: number; sealedSoFar: number }[] = [];
  let sealed = 0;
  let stopping = false;
  const done = (async () => {
    const client = await connect(url);
    try {
      while (!stopping) {
        for (;;) {
          const result = await client.query<{ sealed: number }>("select audit_seal($1) as sealed", [
            SEAL_BATCH,
          ]);
          const count = result.rows[0]?.sealed ?? 0;
          sealed += count;
          if (count > 0) seals.push({ at: performance.now(), sealedSoFar: sealed });
          if (count < SEAL_BATCH) break;
        }
        await new Promise((resolve) => setTimeout(resolve, SEAL_INTERVAL_MS));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    seals,
    sealed: () => sealed,
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}

type Transaction = (client: pg.Client, writer: number, requestId: string) => Promise<void>;

/** What one run of writers measured. */
interface Sample {
  latencies: number[];
  seconds: number;
  /** With the sealer: events it sealed while the writers ran, its catching up, each event's window. */
  sealing: { sealedDuringRun: number; drainSeconds: number; windows: number[] } | null;
}

/** Several runs of the same writers, as one result. */
function summarize(samples: readonly Sample[]): WriteResult {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  const result: WriteResult = {
    events: latencies.length,
    seconds,
    eventsPerSecond: latencies.length / seconds,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
  };
  const sealed = samples.flatMap((sample) => (sample.sealing ? [sample.sealing] : []));
  if (sealed.length) {
    const windows = sealed.flatMap((sealing) => sealing.windows).sort((a, b) => a - b);
    result.sealing = {
      sealedPerSecond: sealed.reduce((sum, sealing) => sum + sealing.sealedDuringRun, 0) / seconds,
      drainSeconds: Math.max(...sealed.map((sealing) => sealing.drainSeconds)),
      windowP50ms: percentile(windows, 0.5),
      windowP99ms: percentile(windows, 0.99),
      windowMaxMs: windows.at(-1) ?? 0,
    };
  }
  return result;
}

/**
 * Run each variant for `seconds` in all, in `rounds` alternating slices (a, b, a, b, ...), so
 * that a shared machine's load, which drifts by the minute, weighs on every variant alike.
 */
async function interleaved(
  variants: readonly (readonly [name: string, run: (seconds: number) => Promise<Sample>])[],
  seconds: number,
  rounds: number,
): Promise<Record<string, WriteResult>> {
  const samples = new Map<string, Sample[]>(variants.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const [name, run] of variants) {
      samples.get(name)?.push(await run(seconds / rounds));
    }
    log(`  round ${round} of ${rounds} done`);
  }
  const results: Record<string, WriteResult> = {};
  for (const [name] of variants) {
    results[name] = summarize(samples.get(name) ?? []);
    log(`  ${name}: ${formatWrite(results[name])}`);
  }
  return results;
}

/**
 * WRITERS clients running `transaction` back to back for SECONDS seconds; with `sealing`, a sealer
 * runs alongside, and afterwards each event's commit time is matched with the seal that chained
 * it (by its chain_seq, in the one chain written).
 */
async function runWriters(
  appUrl: string,
  ownerUrl: string,
  writers: number,
  seconds: number,
  transaction: Transaction,
  sealing: { chainId: string } | null,
): Promise<Sample> {
  const clients = await Promise.all(Array.from({ length: writers }, () => connect(appUrl)));
  const latencies: number[] = [];
  const committedAt = new Map<string, number>();
  const once = async (client: pg.Client, writer: number, record: boolean) => {
    const requestId = randomUUID();
    const started = performance.now();
    await transaction(client, writer, requestId);
    const ended = performance.now();
    if (record) {
      latencies.push(ended - started);
      committedAt.set(requestId, ended);
    }
  };
  try {
    // Warm up: connections and plans.
    await Promise.all(clients.map((client, writer) => once(client, writer, false)));
    // With the sealer: start from nothing waiting, and note where the chain stands.
    const owner = sealing ? await connect(ownerUrl) : null;
    let startSeq = 0;
    if (owner && sealing) {
      await sealAll(sealOver(owner));
      const head = await owner.query<{ seq: string }>(
        "select seq::text as seq from audit_chain_heads where chain_id = $1",
        [sealing.chainId],
      );
      startSeq = Number(head.rows[0]?.seq ?? 0);
    }
    const sealer = sealing ? startSealer(ownerUrl) : null;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      clients.map(async (client, writer) => {
        while (performance.now() < deadline) await once(client, writer, true);
      }),
    );
    const writesEnded = performance.now();
    const elapsed = (writesEnded - started) / 1000;
    const result: Sample = {
      latencies,
      seconds: elapsed,
      sealing: null,
    };
    if (sealer && owner && sealing) {
      // Let the sealer catch up as it would, then stop it.
      for (;;) {
        const waiting = await owner.query<{ count: string }>(
          "select count(*)::text as count from audit_events where chain_seq is null",
        );
        if (waiting.rows[0]?.count === "0") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const drainSeconds = (performance.now() - writesEnded) / 1000;
      await sealer.stop();
      // The seals are counted from the start of the run, when nothing waited and only this
      // chain was written: the event at place n (seq - startSeq) was chained by the first seal
      // whose running total reached n.
      const rows = await owner.query<{ request_id: string; seq: string }>(
        `select request_id, chain_seq::text as seq from audit_events
         where partnership_id = $1 and chain_seq > $2`,
        [sealing.chainId, startSeq],
      );
      const windows: number[] = [];
      for (const row of rows.rows) {
        const committed = committedAt.get(row.request_id);
        if (committed === undefined) continue;
        const place = Number(row.seq) - startSeq;
        const seal = sealer.seals.find((candidate) => candidate.sealedSoFar >= place);
        if (seal) windows.push(Math.max(0, seal.at - committed));
      }
      const sealedDuringRun = sealer.seals.filter((seal) => seal.at <= writesEnded).at(-1);
      result.sealing = {
        sealedDuringRun: sealedDuringRun?.sealedSoFar ?? 0,
        drainSeconds,
        windows,
      };
      await owner.end();
    }
    return result;
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/** One event per transaction, as the application writes it: BEGIN, tenant, INSERT, COMMIT. */
function eventTransaction(table: string, partnershipId: string): Transaction {
  const insert = insertInto(table);
  return async (client, _writer, requestId) => {
    await client.query("begin isolation level read committed");
    await client.query("select set_config('app.partnership_id', $1, true)", [partnershipId]);
    await client.query(insert, eventValues(partnershipId, requestId));
    await client.query("commit");
  };
}

/** The reads of the referral page for one of the demo's referrals, then its one event. */
function referralViewTransaction(table: string, referrals: readonly Referral[]): Transaction {
  const insert = insertInto(table);
  return async (client, writer, requestId) => {
    const referral = referrals[(writer + Math.floor(Math.random() * 1000)) % referrals.length];
    if (!referral) throw new Error("no referral to view");
    await client.query("begin isolation level read committed");
    await client.query("select set_config('app.partnership_id', $1, true)", [DEMO_PARTNERSHIP_ID]);
    await client.query("select * from referrals where id = $1", [referral.id]);
    await client.query("select * from referral_agencies where referral_id = $1", [referral.id]);
    await client.query("select * from decisions_to_share where referral_id = $1", [referral.id]);
    await client.query("select * from emergency_accesses where young_person_id = $1", [
      referral.youngPersonId,
    ]);
    await client.query("select * from young_people where id = $1", [referral.youngPersonId]);
    await client.query("select id, name from agencies");
    await client.query("select id, display_name from users");
    await client.query(
      "select * from referral_transitions where referral_id = $1 order by occurred_at",
      [referral.id],
    );
    await client.query("select * from case_notes where referral_id = $1", [referral.id]);
    await client.query("select * from case_actions where referral_id = $1", [referral.id]);
    await client.query(insert, eventValues(DEMO_PARTNERSHIP_ID, requestId));
    await client.query("commit");
  };
}

interface Referral {
  id: string;
  youngPersonId: string;
}

/**
 * One writer alone, timing each statement of its transactions: what an event costs in the
 * request's transaction when nobody else writes.
 */
async function statementTimes(
  appUrl: string,
  table: string,
  partnershipId: string,
  events: number,
): Promise<StatementTimes> {
  const client = await connect(appUrl);
  const insert = insertInto(table);
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
      await timed("insert", () => client.query(insert, eventValues(partnershipId, randomUUID())));
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

/** Fill chains with unsealed events, a batch per transaction, on two connections. */
async function generateEvents(
  appUrl: string,
  partnerships: string[],
  total: number,
): Promise<void> {
  const batch = setting("BENCH_BATCH", 1000);
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
  const rounds = setting("BENCH_ROUNDS", 5);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-bench-"));
  log(`Starting an embedded PostgreSQL in ${dataDir}`);
  const embedded = await startEmbeddedPostgres({ dataDir, port: 0, database: "crosswalk_bench" });
  try {
    await migrateToLatest(embedded.ownerUrl, POOL, (message, error) => {
      throw new Error(`${message}: ${error.message}`);
    });
    const ownerDb = createKysely(
      createPool(
        embedded.ownerUrl,
        POOL,
        (message, error) => {
          throw new Error(`${message}: ${error.message}`);
        },
        { role: OWNER_ROLE },
      ),
    );
    try {
      await seedDemoPartnership(ownerDb);
    } finally {
      await ownerDb.destroy();
    }
    const superuser = await connect(
      withCredentials(embedded.superuserUrl, { database: "crosswalk_bench" }),
    );
    const partnershipId = randomUUID();
    const verifyChains = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    let referrals: Referral[];
    try {
      for (const id of [partnershipId, ...verifyChains]) {
        await superuser.query("insert into partnerships (id, name) values ($1, $2)", [
          id,
          `Bench ${id.slice(0, 8)}`,
        ]);
      }
      // The baseline: the access log as it was before any chain (same columns, indexes, foreign
      // key, row-level security and grants; not partitioned; no triggers).
      await superuser.query(`
        create table audit_events_unchained (
          id uuid primary key default gen_random_uuid(),
          partnership_id uuid references partnerships (id),
          occurred_at timestamptz not null default now(),
          actor_user_id uuid, actor_agency_id uuid, actor_role text,
          action text not null check (action ~ '^[a-z_]+(\\.[a-z_]+)*$'),
          record_type text, record_id uuid, young_person_id uuid,
          outcome text not null check (outcome in ('allowed', 'refused')),
          reason text check (length(reason) <= 2000),
          request_id text check (length(request_id) <= 100),
          client_address inet, details jsonb
        );
        create index on audit_events_unchained (partnership_id, occurred_at desc);
        create index on audit_events_unchained (partnership_id, actor_user_id, occurred_at desc);
        create index on audit_events_unchained (partnership_id, record_id);
        create index on audit_events_unchained (partnership_id, young_person_id) where young_person_id is not null;
        alter table audit_events_unchained owner to ${OWNER_ROLE};
        alter table audit_events_unchained enable row level security;
        alter table audit_events_unchained force row level security;
        create policy append on audit_events_unchained for insert
          with check (partnership_id is not distinct from app_partnership_id());
        grant select, insert on audit_events_unchained to crosswalk_app;
      `);
      const found = await superuser.query<{ id: string; young_person_id: string }>(
        "select id, young_person_id from referrals where partnership_id = $1 and young_person_id is not null",
        [DEMO_PARTNERSHIP_ID],
      );
      referrals = found.rows.map((row) => ({ id: row.id, youngPersonId: row.young_person_id }));
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
    const ownerUrl = embedded.ownerUrl;
    const alone: AuditChainBenchResult["alone"] = {};
    for (const [name, table] of [
      ["audit_events", "audit_events"],
      ["unchained", "audit_events_unchained"],
    ] as const) {
      // The first transactions of a session plan their statements: leave them out.
      await statementTimes(appUrl, table, partnershipId, 50);
      alone[name] = await statementTimes(appUrl, table, partnershipId, 500);
      log(`one writer, ${name}: ${formatTimes(alone[name])}`);
    }
    const owner = await connect(ownerUrl);
    await sealAll(sealOver(owner));

    log(`${writers} writers, one event per transaction, ${seconds} s each in ${rounds} rounds`);
    const writes = await interleaved(
      [
        [
          "sealed, sealer running",
          (slice) =>
            runWriters(
              appUrl,
              ownerUrl,
              writers,
              slice,
              eventTransaction("audit_events", partnershipId),
              {
                chainId: partnershipId,
              },
            ),
        ],
        [
          "unchained baseline",
          (slice) =>
            runWriters(
              appUrl,
              ownerUrl,
              writers,
              slice,
              eventTransaction("audit_events_unchained", partnershipId),
              null,
            ),
        ],
      ],
      seconds,
      rounds,
    );

    const views: AuditChainBenchResult["views"] = {};
    for (const count of [1, writers]) {
      const viewers = `${count} viewer${count === 1 ? "" : "s"}`;
      log(`referral view, ${viewers}: ${seconds} s each in ${rounds} rounds`);
      Object.assign(
        views,
        await interleaved(
          [
            [
              `sealed, ${viewers}`,
              (slice) =>
                runWriters(
                  appUrl,
                  ownerUrl,
                  count,
                  slice,
                  referralViewTransaction("audit_events", referrals),
                  { chainId: DEMO_PARTNERSHIP_ID },
                ),
            ],
            [
              `unchained, ${viewers}`,
              (slice) =>
                runWriters(
                  appUrl,
                  ownerUrl,
                  count,
                  slice,
                  referralViewTransaction("audit_events_unchained", referrals),
                  null,
                ),
            ],
          ],
          seconds,
          rounds,
        ),
      );
    }

    try {
      // The writes above must have left gap-free chains.
      const check = await verifyAuditLog(owner, { chains: [partnershipId, DEMO_PARTNERSHIP_ID] });
      if (!check.ok) throw new Error(`the sealed writes do not verify: ${check.failure?.problem}`);
      log(`  the written chains verify: ${check.events} events, each chain gap-free from seq 1`);

      log(
        `Generating ${verifyEvents.toLocaleString("en-GB")} events in ${verifyChains.length} chains`,
      );
      const generateStarted = performance.now();
      await generateEvents(appUrl, verifyChains, verifyEvents);
      const generateSeconds = (performance.now() - generateStarted) / 1000;
      log(`  ${generateSeconds.toFixed(0)} s; sealing them`);
      const sealStarted = performance.now();
      const sealed = await sealAll(sealOver(owner));
      const sealSeconds = (performance.now() - sealStarted) / 1000;
      log(`  sealed ${sealed.toLocaleString("en-GB")} in ${sealSeconds.toFixed(1)} s`);
      await owner.query("vacuum analyze audit_events");
      const runs: VerifyRun[] = [];
      for (const workers of [1, 2, 3, 1, 2, 3]) {
        log(`Verifying with ${workers} worker${workers === 1 ? "" : "s"}`);
        const cpu = process.cpuUsage();
        const report = await verifyAuditLog(owner, {
          ...(workers > 1
            ? {
                parallel: {
                  connection: { url: ownerUrl, role: OWNER_ROLE },
                  workers,
                  minEvents: 0,
                },
              }
            : {}),
          onProgress: (progress) =>
            log(`  ${progress.events.toLocaleString("en-GB")} events verified`),
        });
        const used = process.cpuUsage(cpu);
        if (!report.ok) throw new Error(`verification failed: ${report.failure?.problem}`);
        const elapsed = report.elapsedMs / 1000;
        runs.push({
          workers,
          events: report.events,
          seconds: elapsed,
          eventsPerSecond: report.events / elapsed,
          nodeCpuSeconds: (used.user + used.system) / 1e6,
        });
        log(`  ${formatVerify(runs[runs.length - 1] as VerifyRun)}`);
      }
      return {
        writers,
        seconds,
        rounds,
        alone,
        writes,
        views,
        backlog: { events: sealed, generateSeconds, sealSeconds },
        verify: runs,
      };
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
  return `${run.workers} worker${run.workers === 1 ? " " : "s"}: ${run.events.toLocaleString("en-GB")} events in ${run.seconds.toFixed(2)} s: ${Math.round(run.eventsPerSecond).toLocaleString("en-GB")} events/s (Node CPU ${((run.nodeCpuSeconds / run.events) * 1e6).toFixed(2)} µs per event)`;
}

function formatWrite(result: WriteResult): string {
  const base = `${result.events} in ${result.seconds.toFixed(1)} s: ${Math.round(result.eventsPerSecond)}/s, latency p50 ${result.p50ms.toFixed(1)} ms, p99 ${result.p99ms.toFixed(1)} ms`;
  const sealing = result.sealing;
  if (!sealing) return base;
  return `${base}; sealed ${Math.round(sealing.sealedPerSecond)}/s, caught up ${sealing.drainSeconds.toFixed(2)} s after; commit to sealed p50 ${sealing.windowP50ms.toFixed(0)} ms, p99 ${sealing.windowP99ms.toFixed(0)} ms, max ${sealing.windowMaxMs.toFixed(0)} ms`;
}

/** The result as the lines of a report. */
export function describeAuditChainBench(result: AuditChainBenchResult): string[] {
  const lines = [
    `access log: ${result.writers} writers, one event per transaction, READ COMMITTED, ${result.seconds} s each, in ${result.rounds} alternating rounds`,
  ];
  for (const [name, times] of Object.entries(result.alone)) {
    lines.push(`  one writer alone, ${name.padEnd(12)} ${formatTimes(times)}`);
  }
  for (const [name, write] of Object.entries(result.writes)) {
    lines.push(`  ${name.padEnd(24)} ${formatWrite(write)}`);
  }
  const ratio = (
    a: WriteResult | undefined,
    b: WriteResult | undefined,
    key: "eventsPerSecond" | "p50ms",
  ) => (a && b ? `${(100 * (a[key] / b[key] - 1)).toFixed(0)}%` : "n/a");
  const [sealed, unchained] = [
    result.writes["sealed, sealer running"],
    result.writes["unchained baseline"],
  ];
  lines.push(`  throughput against the baseline: ${ratio(sealed, unchained, "eventsPerSecond")}`);
  lines.push(`referral view (its reads and one event):`);
  for (const [name, view] of Object.entries(result.views)) {
    lines.push(`  ${name.padEnd(24)} ${formatWrite(view)}`);
  }
  const views = Object.values(result.views);
  lines.push(
    `  latency p50 against the baseline: ${ratio(views[0], views[1], "p50ms")} with 1 viewer, ${ratio(views[2], views[3], "p50ms")} with ${result.writers}`,
  );
  lines.push(
    `backlog: ${result.backlog.events.toLocaleString("en-GB")} events generated in ${result.backlog.generateSeconds.toFixed(0)} s, sealed in ${result.backlog.sealSeconds.toFixed(1)} s (${Math.round(result.backlog.events / result.backlog.sealSeconds).toLocaleString("en-GB")} events/s)`,
  );
  lines.push(`verification:`);
  for (const run of result.verify) lines.push(`  ${formatVerify(run)}`);
  return lines;
}
