import type { KeyObject } from "node:crypto";
import type pg from "pg";
import { CHAIN_ID_SQL, DEPLOYMENT_CHAIN_ID, GENESIS_HASH } from "./canonical";
import type { ChainHead, CheckpointAt } from "./checkpoint";
import { checkCopies, checkpointsToMatch, newestOf } from "./checkpoint-sequence";
import { readCopies, type CheckpointCopies, type CheckpointSources } from "./checkpoint-store";
import {
  InProcessRunner,
  ThreadRunner,
  type SnapshotConnection,
  type StretchRunner,
} from "./verify-parallel";
import {
  Failed,
  preferChainIndex,
  prevHashFailure,
  seqFailure,
  verifyRange,
  type RangeSpec,
  type Segment,
  type VerifyFailure,
} from "./verify-range";

export type { VerifyFailure } from "./verify-range";

/**
 * Verify the access log: read every sealed event of every chain in chain_seq order, recompute
 * each hash from the event's fields, and check that the chain runs 1..N without gaps or repeats,
 * that every event names the hash before it, that each chain ends where its head says, and that
 * every signed checkpoint matches the event at its size. Events not sealed yet are counted, and
 * the oldest of them must be younger than `maxUnsealedAgeMs`: older means the sealer has stalled.
 * The copies of the checkpoints (the folder, the database's and a witness's) must agree and run
 * without gaps (db/audit/checkpoint-sequence.ts), and with `maxCheckpointAgeMs` every chain's
 * newest checkpoint must be younger than that: older means checkpoints have stopped, or the newest
 * were removed, and truncation would go unseen (docs/decisions/014-default-signed-checkpoints.md).
 * The first problem found stops the run and is reported precisely. Everything is read in one
 * REPEATABLE READ snapshot, so events appended or sealed while it runs neither confuse it nor are
 * checked. It only reads.
 *
 * Chains are read stretch by stretch (db/audit/verify-range.ts). With `parallel`, stretches are
 * verified side by side on further connections that join the same snapshot, each event against
 * its stored prev_hash, and the stretches are then joined at their edges: the same checks, spread
 * over the machine's cores.
 */

export interface VerifyOptions {
  /** Only these chains (partnership ids, or the deployment chain's id). */
  chains?: readonly string[];
  /**
   * Checkpoint notes to check the chains against: the folder (and a witness folder) they are in,
   * and the public key that signed them. The database's copy is read too when the role can.
   */
  checkpoints?: CheckpointSources & { publicKey: KeyObject };
  /**
   * Fail a chain whose newest checkpoint was signed longer ago than this (or, with none, whose
   * first event is older than this); also the witness's newest. Unset or 0: not checked.
   */
  maxCheckpointAgeMs?: number | null;
  /** The time to judge ages by (milliseconds since the epoch); default now. */
  now?: number;
  /**
   * Start these chains at one of their signed checkpoints instead of at seq 1: events up to it
   * (archived months) are not read, and the next event must follow the checkpoint's hash.
   */
  starts?: readonly { chainId: string; seq: number }[];
  /** Report the verified hash of these events (to sign checkpoints at them): `report.captured`. */
  capture?: readonly { chainId: string; seq: number }[];
  /** Events per page. */
  pageSize?: number;
  /** Called about every `progressEvery` events. */
  onProgress?: (progress: VerifyProgress) => void;
  progressEvery?: number;
  /** The oldest an unsealed event may be before the sealer counts as stalled (default 5 min). */
  maxUnsealedAgeMs?: number;
  /** Verify stretches of the chains side by side; see ParallelOptions. */
  parallel?: ParallelOptions;
}

export interface ParallelOptions {
  /** Where further connections to the same database come from, and the role they take. */
  connection: { url: string; role: string | null };
  /** How many stretches at once: one connection (and thread) each. */
  workers: number;
  /** Events per stretch (default: the log split four ways per worker, 10,000 to 1,000,000). */
  rangeSize?: number;
  /** Below this many sealed events, one connection verifies everything (default 200,000). */
  minEvents?: number;
  /** Verify in worker threads (default); false verifies every stretch on this thread. */
  threads?: boolean;
}

export interface VerifyProgress {
  events: number;
  chainId: string;
  seq: number;
  elapsedMs: number;
}

export interface ChainReport {
  chainId: string;
  events: number;
  /** The newest event verified: what a checkpoint of this chain signs. Null for an empty chain. */
  head: ChainHead | null;
  checkpoints: number;
  /** The chain's newest numbered checkpoint: its number and when it was signed. */
  newestCheckpoint: { number: number; seq: number; signedAt: number; text: string } | null;
  /** The signed checkpoint the chain was verified from, when it did not start at seq 1. */
  startedAt: number | null;
}

export interface UnsealedReport {
  /** Events appended but not chained yet. */
  events: number;
  /** How long the oldest of them has waited, in milliseconds; null when there are none. */
  oldestAgeMs: number | null;
}

export interface VerifyReport {
  ok: boolean;
  failure: VerifyFailure | null;
  chains: ChainReport[];
  events: number;
  checkpoints: number;
  /** False when the connected role cannot read audit_chain_heads (the application role). */
  headsChecked: boolean;
  unsealed: UnsealedReport;
  /** How many connections verified stretches: 1 when it ran on the caller's connection alone. */
  workers: number;
  /** The events asked for in `capture` that were verified, with their hashes. */
  captured: ChainHead[];
  /** Which copies of the checkpoints were compared; null when checkpoints were not checked. */
  copies: { folder: string; database: boolean; witness: string | null } | null;
  /** The age every chain's newest checkpoint was held to; null when ages were not checked. */
  maxCheckpointAgeMs: number | null;
  /** The oldest of the chains' newest checkpoints, in milliseconds; null when none was found. */
  stalestCheckpointAgeMs: number | null;
  elapsedMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function hex(bytes: Buffer): string {
  return bytes.toString("hex");
}

function describeAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

/** One chain, as planned: where it starts and how far its sealed events go. */
interface ChainPlan {
  chainId: string;
  startSeq: number;
  startHash: Buffer;
  startedAt: number | null;
  maxSeq: number;
  checkpoints: CheckpointAt[];
  capture: number[];
}

/** Every chain that has a sealed event, in chain order, by a loose scan of the chain index. */
async function listChains(client: pg.ClientBase): Promise<string[]> {
  const result = await client.query<{ id: string }>(
    `with recursive chains (id) as (
       (select ${CHAIN_ID_SQL} from audit_events where chain_seq is not null order by 1 limit 1)
       union all
       select (select ${CHAIN_ID_SQL} from audit_events
               where ${CHAIN_ID_SQL} > chains.id and chain_seq is not null order by 1 limit 1)
       from chains where chains.id is not null
     )
     select id::text as id from chains where id is not null`,
  );
  return result.rows.map((row) => row.id);
}

/** Verify the access log over a connection that can read it (see db/audit/database.ts). */
export async function verifyAuditLog(
  client: pg.ClientBase,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const started = performance.now();
  const pageSize = options.pageSize ?? 50_000;
  const progressEvery = options.progressEvery ?? 250_000;
  const maxUnsealedAgeMs = options.maxUnsealedAgeMs ?? 5 * 60_000;
  const only = options.chains ? [...new Set(options.chains.map((id) => id.toLowerCase()))] : null;
  const now = options.now ?? Date.now();
  const maxCheckpointAgeMs = options.maxCheckpointAgeMs || null;
  for (const chainId of [...(only ?? []), ...(options.starts ?? []).map((s) => s.chainId)]) {
    if (!UUID.test(chainId)) throw new Error(`${JSON.stringify(chainId)} is not a chain id`);
  }
  if (!Number.isSafeInteger(pageSize) || pageSize < 2)
    throw new Error("pageSize must be 2 or more");
  const chains: ChainReport[] = [];
  let events = 0;
  let checkpointsMatched = 0;
  let headsChecked = false;
  let unsealed: UnsealedReport = { events: 0, oldestAgeMs: null };
  let workers = 1;
  let copies: CheckpointCopies | null = null;
  let stalestCheckpointAgeMs: number | null = null;
  const captured: ChainHead[] = [];
  const captureByChain = new Map<string, number[]>();
  for (const { chainId, seq } of options.capture ?? []) {
    const id = chainId.toLowerCase();
    captureByChain.set(
      id,
      [...(captureByChain.get(id) ?? []), seq].sort((a, b) => a - b),
    );
  }

  const report = (failure: VerifyFailure | null): VerifyReport => ({
    ok: failure === null,
    failure,
    chains,
    events,
    checkpoints: checkpointsMatched,
    headsChecked,
    unsealed,
    workers,
    captured,
    copies: copies && {
      folder: copies.folder.where,
      database: copies.database !== null,
      witness: copies.witness?.where ?? null,
    },
    maxCheckpointAgeMs,
    stalestCheckpointAgeMs,
    elapsedMs: performance.now() - started,
  });

  const checkpointsByChain = new Map<string, CheckpointAt[]>();
  if (options.checkpoints) {
    // Read before the snapshot is taken, so that every event a checkpoint covers is in it.
    copies = await readCopies(client, options.checkpoints, options.checkpoints.publicKey, only);
    const problem = checkCopies(copies);
    if (problem) return report(problem);
    const matched = checkpointsToMatch(copies);
    if (matched.failure) return report(matched.failure);
    for (const [chainId, checkpoints] of matched.byChain) {
      // A checkpoint of an empty chain says nothing.
      const list = checkpoints.filter((checkpoint) => checkpoint.seq > 0);
      if (list.length) checkpointsByChain.set(chainId, list);
    }
  }
  const newestCheckpoints = newestOf(
    copies && {
      ...copies.folder,
      checkpoints: [copies.folder, copies.database, copies.witness].flatMap(
        (copy) => copy?.checkpoints ?? [],
      ),
    },
  );
  const starts = new Map<string, CheckpointAt>();
  for (const start of options.starts ?? []) {
    const checkpoint = checkpointsByChain
      .get(start.chainId.toLowerCase())
      ?.find((candidate) => candidate.seq === start.seq);
    if (!checkpoint) {
      throw new Error(
        `chain ${start.chainId} cannot start at seq ${start.seq}: there is no checkpoint signed by the audit public key at that seq`,
      );
    }
    starts.set(checkpoint.chainId, checkpoint);
  }

  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query("set local client_encoding = 'UTF8'");
    await preferChainIndex(client);
    // The application role sees one partnership at a time: scope the snapshot to the one asked for.
    const [single] = only ?? [];
    const scope = only?.length === 1 && single && single !== DEPLOYMENT_CHAIN_ID ? single : null;
    if (scope) await client.query("select set_config('app.partnership_id', $1, true)", [scope]);

    const chainFilter = only ? `and ${CHAIN_ID_SQL} = any($1::uuid[])` : "";
    const chainParams = only ? [only] : [];

    // Events the sealer has not reached yet. A chain field set on one of them was written past
    // the stamp trigger: the sealer would refuse it, and it is nobody's chain.
    const halfSealed = await client.query<{ id: string; chain_id: string }>(
      `select id::text as id, ${CHAIN_ID_SQL}::text as chain_id from audit_events
       where chain_seq is null and (prev_hash is not null or hash is not null) ${chainFilter}
       limit 1`,
      chainParams,
    );
    const [broken] = halfSealed.rows;
    if (broken) {
      throw new Failed({
        chainId: broken.chain_id,
        seq: null,
        eventId: broken.id,
        problem:
          "the event has a prev_hash or hash but no chain_seq: it was written past the stamp trigger, and the sealer cannot seal it",
      });
    }
    const waiting = await client.query<{ count: string; age_ms: string | null }>(
      `select count(*)::text as count,
              (extract(epoch from (now() - min(occurred_at))) * 1000)::bigint::text as age_ms
       from audit_events where chain_seq is null ${chainFilter}`,
      chainParams,
    );
    const ageText = waiting.rows[0]?.age_ms ?? null;
    unsealed = {
      events: Number(waiting.rows[0]?.count ?? 0),
      oldestAgeMs: ageText === null ? null : Number(ageText),
    };

    const heads = new Map<string, ChainHead>();
    const privilege = await client.query<{ allowed: boolean }>(
      "select has_table_privilege('audit_chain_heads', 'select') as allowed",
    );
    headsChecked = privilege.rows[0]?.allowed === true;
    if (headsChecked) {
      const rows = await client.query<{ chain_id: string; seq: string; hash: Buffer }>(
        `select chain_id::text as chain_id, seq::text as seq, hash from audit_chain_heads
         ${only ? "where chain_id = any($1::uuid[])" : ""}`,
        chainParams,
      );
      for (const row of rows.rows) {
        heads.set(row.chain_id, { chainId: row.chain_id, seq: Number(row.seq), hash: row.hash });
      }
    }

    // Plan each chain: where it starts, and how far its sealed events go.
    const plans: ChainPlan[] = [];
    // A chain started at a checkpoint may have no event after it (all of it archived).
    const chainIds = only ?? [...new Set([...(await listChains(client)), ...starts.keys()])];
    for (const chainId of [...chainIds].sort()) {
      const max = await client.query<{ max: string | null }>(
        `select max(chain_seq)::text as max from audit_events
         where ${CHAIN_ID_SQL} = $1::uuid and chain_seq is not null`,
        [chainId],
      );
      const maxText = max.rows[0]?.max ?? null;
      const start = starts.get(chainId);
      if (maxText === null && !start) continue;
      plans.push({
        chainId,
        startSeq: start ? start.seq + 1 : 1,
        startHash: start ? start.hash : GENESIS_HASH,
        startedAt: start ? start.seq : null,
        maxSeq: maxText === null ? 0 : Number(maxText),
        checkpoints: (checkpointsByChain.get(chainId) ?? []).filter(
          (checkpoint) => !start || checkpoint.seq > start.seq,
        ),
        capture: captureByChain.get(chainId) ?? [],
      });
    }

    let progressed = 0;
    let nextProgress = progressEvery;
    const onProgress = (chainId: string) => (count: number, seq: number) => {
      progressed += count;
      if (options.onProgress && progressed >= nextProgress) {
        while (nextProgress <= progressed) nextProgress += progressEvery;
        options.onProgress({
          events: progressed,
          chainId,
          seq,
          elapsedMs: performance.now() - started,
        });
      }
    };

    const finish = (plan: ChainPlan, segments: Segment[]) => {
      const newest = newestCheckpoints.get(plan.chainId);
      const chain: ChainReport = {
        chainId: plan.chainId,
        events: 0,
        head: null,
        checkpoints: 0,
        newestCheckpoint: newest?.sequence
          ? {
              number: newest.sequence.number,
              seq: newest.seq,
              signedAt: newest.sequence.signedAt,
              text: newest.text,
            }
          : null,
        startedAt: plan.startedAt,
      };
      chains.push(chain);
      let lastSeq = plan.startSeq - 1;
      let lastHash = plan.startHash;
      for (const [index, segment] of segments.entries()) {
        // A stretch after the first was checked against its own first prev_hash: join it here.
        if (index > 0 && segment.first) {
          const { first } = segment;
          if (first.seq !== lastSeq + 1) {
            throw new Failed(
              seqFailure(plan.chainId, lastSeq + 1, first.seq, String(first.seq), first.id),
            );
          }
          if (!first.prevHash.equals(lastHash)) {
            throw new Failed(
              prevHashFailure(plan.chainId, first.seq, first.id, first.prevHash, lastHash),
            );
          }
        }
        chain.events += segment.events;
        chain.checkpoints += segment.checkpoints;
        for (const entry of segment.captured) captured.push({ chainId: plan.chainId, ...entry });
        events += segment.events;
        checkpointsMatched += segment.checkpoints;
        if (segment.failure) throw new Failed(segment.failure);
        if (segment.last) {
          lastSeq = segment.last.seq;
          lastHash = segment.last.hash;
        }
      }
      const last = lastSeq;
      chain.head = last > 0 ? { chainId: chain.chainId, seq: last, hash: lastHash } : null;
      const head = heads.get(chain.chainId);
      if (head && head.seq !== last) {
        throw new Failed({
          chainId: chain.chainId,
          seq: last + 1,
          eventId: null,
          problem:
            head.seq > last
              ? `the chain ends at seq ${last} but its head is at seq ${head.seq}: ${head.seq - last === 1 ? `event ${head.seq} is` : `events ${last + 1}..${head.seq} are`} missing`
              : `the chain runs to seq ${last} but its head is at seq ${head.seq}: events after ${head.seq} were added past the sealer`,
        });
      }
      if (head && chain.head && !head.hash.equals(chain.head.hash)) {
        throw new Failed({
          chainId: chain.chainId,
          seq: last,
          eventId: null,
          problem: `the chain's head records hash ${hex(head.hash)} for seq ${last}, but the event there hashes to ${hex(chain.head.hash)}`,
        });
      }
      const beyond = plan.checkpoints.find((checkpoint) => checkpoint.seq > last);
      if (beyond) {
        throw new Failed({
          chainId: chain.chainId,
          seq: last + 1,
          eventId: null,
          problem: `a signed checkpoint covers seq ${beyond.seq}, but the chain ends at seq ${last}: events were removed`,
        });
      }
      heads.delete(chain.chainId);
      checkpointsByChain.delete(chain.chainId);
    };

    const total = plans.reduce(
      (sum, plan) => sum + Math.max(0, plan.maxSeq - plan.startSeq + 1),
      0,
    );
    const parallel = options.parallel;
    if (parallel && parallel.workers > 1 && total >= (parallel.minEvents ?? 200_000)) {
      const snapshot = await client.query<{ id: string }>("select pg_export_snapshot() as id");
      const connection: SnapshotConnection = {
        ...parallel.connection,
        snapshot: snapshot.rows[0]?.id ?? "",
        partnershipId: scope,
      };
      const rangeSize =
        parallel.rangeSize ??
        Math.min(1_000_000, Math.max(10_000, Math.ceil(total / (parallel.workers * 4))));
      const segmentsByChain = await verifyStretches(
        plans,
        rangeSize,
        pageSize,
        parallel,
        connection,
        onProgress,
      );
      workers = Math.min(parallel.workers, [...segmentsByChain.values()].flat().length);
      for (const plan of plans) finish(plan, segmentsByChain.get(plan.chainId) ?? []);
    } else {
      for (const plan of plans) {
        const segment = await verifyRange(
          client,
          {
            chainId: plan.chainId,
            from: plan.startedAt === null ? null : plan.startSeq,
            to: null,
            start: { seq: plan.startSeq, prevHash: plan.startHash },
            checkpoints: plan.checkpoints,
            capture: plan.capture,
            pageSize,
          },
          onProgress(plan.chainId),
        );
        finish(plan, [segment]);
      }
    }

    // Heads or checkpoints of chains that have no events left at all.
    for (const head of heads.values()) {
      if (head.seq > 0) {
        throw new Failed({
          chainId: head.chainId,
          seq: 1,
          eventId: null,
          problem: `the chain's head is at seq ${head.seq} but the chain has no events: events 1..${head.seq} are missing`,
        });
      }
    }
    for (const [chainId, checkpoints] of checkpointsByChain) {
      const [first] = checkpoints;
      if (first) {
        throw new Failed({
          chainId,
          seq: 1,
          eventId: null,
          problem: `a signed checkpoint covers seq ${first.seq}, but the chain has no events: events were removed`,
        });
      }
    }

    const witnessed = newestOf(copies?.witness ?? null);
    for (const chain of chains) {
      const newest = chain.newestCheckpoint;
      const age = newest ? now - newest.signedAt : null;
      if (age !== null) stalestCheckpointAgeMs = Math.max(stalestCheckpointAgeMs ?? 0, age);
      if (maxCheckpointAgeMs === null) continue;
      if (newest && age !== null && age > maxCheckpointAgeMs) {
        throw new Failed({
          chainId: chain.chainId,
          seq: null,
          eventId: null,
          problem: `its newest checkpoint (${newest.number}, at seq ${newest.seq}) was signed ${describeAge(age)} ago, more than ${describeAge(maxCheckpointAgeMs)}: checkpoints have stopped, or the newest were removed, and events removed since it would go unseen (is the server running? \`npm run audit:checkpoint\` signs one now)`,
        });
      }
      if (!newest) {
        // A chain new since the last checkpoint has until the next one (or two).
        const first = await client.query<{ age_ms: string }>(
          `select (extract(epoch from ($2::timestamptz - occurred_at)) * 1000)::bigint::text as age_ms
           from audit_events where ${CHAIN_ID_SQL} = $1::uuid and chain_seq is not null
           order by chain_seq limit 1`,
          [chain.chainId, new Date(now)],
        );
        const firstAge = Number(first.rows[0]?.age_ms ?? 0);
        if (firstAge > maxCheckpointAgeMs) {
          throw new Failed({
            chainId: chain.chainId,
            seq: null,
            eventId: null,
            problem: `the chain has no checkpoint${options.checkpoints ? "" : " that could be checked (no audit public key)"}, and its first event is ${describeAge(firstAge)} old, more than ${describeAge(maxCheckpointAgeMs)}: nothing vouches for its events, and events removed from its end would go unseen`,
          });
        }
      }
      if (newest && copies?.witness) {
        const seen = witnessed.get(chain.chainId)?.sequence;
        const witnessAge = seen ? now - seen.signedAt : null;
        if (!seen || witnessAge === null || witnessAge > maxCheckpointAgeMs) {
          throw new Failed({
            chainId: chain.chainId,
            seq: null,
            eventId: null,
            problem: `the witness ${copies.witness.where} holds no checkpoint of the chain signed in the last ${describeAge(maxCheckpointAgeMs)} (${seen && witnessAge !== null ? `its newest is checkpoint ${seen.number}, signed ${describeAge(witnessAge)} ago` : "it holds none"}; the newest is checkpoint ${newest.number}): checkpoints are not reaching the witness`,
          });
        }
      }
    }

    if (unsealed.oldestAgeMs !== null && unsealed.oldestAgeMs > maxUnsealedAgeMs) {
      const oldest = await client.query<{ id: string; chain_id: string }>(
        `select id::text as id, ${CHAIN_ID_SQL}::text as chain_id from audit_events
         where chain_seq is null ${chainFilter} order by occurred_at, entry_seq limit 1`,
        chainParams,
      );
      throw new Failed({
        chainId: oldest.rows[0]?.chain_id ?? null,
        seq: null,
        eventId: oldest.rows[0]?.id ?? null,
        problem: `${unsealed.events.toLocaleString("en-GB")} event${unsealed.events === 1 ? " is" : "s are"} not sealed yet, the oldest for ${describeAge(unsealed.oldestAgeMs)} (more than ${describeAge(maxUnsealedAgeMs)}): the sealer has stalled`,
      });
    }
    return report(null);
  } catch (error) {
    if (error instanceof Failed) return report(error.failure);
    throw error;
  } finally {
    await client.query("rollback");
  }
}

/**
 * Split each chain into stretches of about `rangeSize` seqs and verify them on `workers`
 * connections in the shared snapshot, in chain and seq order. After a stretch fails, no new ones
 * start: the join reads the stretches in order and stops at the first failure, which every
 * stretch started before it precedes.
 */
async function verifyStretches(
  plans: readonly ChainPlan[],
  rangeSize: number,
  pageSize: number,
  parallel: ParallelOptions,
  connection: SnapshotConnection,
  onProgress: (chainId: string) => (events: number, seq: number) => void,
): Promise<Map<string, Segment[]>> {
  const stretches: { chainIndex: number; spec: RangeSpec }[] = [];
  for (const [chainIndex, plan] of plans.entries()) {
    for (
      let from = plan.startSeq;
      from <= Math.max(plan.maxSeq, plan.startSeq);
      from += rangeSize
    ) {
      const to = from + rangeSize - 1;
      const first = from === plan.startSeq;
      const last = to >= plan.maxSeq;
      stretches.push({
        chainIndex,
        spec: {
          chainId: plan.chainId,
          // The first stretch of a chain from seq 1 also reads any seq below 1; the last, any
          // seq beyond the newest one the plan saw.
          from: first && plan.startedAt === null ? null : from,
          to: last ? null : to,
          start: first ? { seq: plan.startSeq, prevHash: plan.startHash } : null,
          checkpoints: plan.checkpoints.filter(
            (checkpoint) => (first || checkpoint.seq >= from) && (last || checkpoint.seq <= to),
          ),
          capture: plan.capture.filter((seq) => (first || seq >= from) && (last || seq <= to)),
          pageSize,
        },
      });
      if (last) break;
    }
  }

  const results: (Segment | undefined)[] = new Array<Segment | undefined>(stretches.length);
  const count = Math.min(parallel.workers, stretches.length);
  const runners: StretchRunner[] = [];
  let next = 0;
  let stopped = false;
  try {
    const open = (snapshot: SnapshotConnection): Promise<StretchRunner> =>
      parallel.threads === false ? InProcessRunner.open(snapshot) : ThreadRunner.open(snapshot);
    for (let index = 0; index < count; index += 1) runners.push(await open(connection));
    await Promise.all(
      runners.map(async (runner) => {
        while (!stopped && next < stretches.length) {
          const index = next;
          next += 1;
          const { spec } = stretches[index] as { spec: RangeSpec };
          const segment = await runner.run(spec, onProgress(spec.chainId));
          results[index] = segment;
          if (segment.failure) stopped = true;
        }
      }),
    );
  } finally {
    await Promise.all(runners.map((runner) => runner.close()));
  }

  const byChain = new Map<string, Segment[]>();
  for (const [index, stretch] of stretches.entries()) {
    const segment = results[index];
    if (!segment) break;
    const chainId = (plans[stretch.chainIndex] as ChainPlan).chainId;
    const list = byChain.get(chainId) ?? [];
    list.push(segment);
    byChain.set(chainId, list);
  }
  return byChain;
}
