import type { KeyObject } from "node:crypto";
import type pg from "pg";
import {
  CANONICAL_BINARY_SELECT_SQL,
  CANONICAL_FIELDS,
  CHAIN_ID_SQL,
  CanonicalEncoder,
  DEPLOYMENT_CHAIN_ID,
  GENESIS_HASH,
  int8Text,
  uuidText,
} from "./canonical";
import { readCheckpoints, type ChainHead, type Checkpoint } from "./checkpoint";
import { BinaryCopyReader, copyOut } from "./copy-out";

/**
 * Verify the access log: stream every event of every chain in chain_seq order, recompute each
 * hash from the event's fields, and check that the chain runs 1..N without gaps or repeats, that
 * every event names the hash before it, that each chain ends where its head says, and that every
 * signed checkpoint matches the event at its size. The first problem found stops the run and is
 * reported precisely. Everything is read in one REPEATABLE READ snapshot, so events appended while
 * it runs neither confuse it nor are checked.
 *
 * Events are read in pages by keyset pagination on (chain, chain_seq), each page a binary
 * `COPY (SELECT ...) TO STDOUT` whose tuples are hashed as they arrive (db/audit/copy-out.ts).
 */

export interface VerifyOptions {
  /** Only these chains (partnership ids, or the deployment chain's id). */
  chains?: readonly string[];
  /** Checkpoint notes to check the chains against, and the public key that signed them. */
  checkpoints?: { dir: string; publicKey: KeyObject };
  /** Events per page. */
  pageSize?: number;
  /** Called about every `progressEvery` events. */
  onProgress?: (progress: VerifyProgress) => void;
  progressEvery?: number;
}

export interface VerifyProgress {
  events: number;
  chainId: string;
  seq: number;
  elapsedMs: number;
}

/** The first thing found wrong: which chain, which event, and what. */
export interface VerifyFailure {
  chainId: string | null;
  /** The chain_seq where the problem is (for missing events, the first one missing). */
  seq: number | null;
  /** The id of the event found wrong, when there is one. */
  eventId: string | null;
  problem: string;
}

export interface ChainReport {
  chainId: string;
  events: number;
  /** The newest event verified: what a checkpoint of this chain signs. Null for an empty chain. */
  head: ChainHead | null;
  checkpoints: number;
}

export interface VerifyReport {
  ok: boolean;
  failure: VerifyFailure | null;
  chains: ChainReport[];
  events: number;
  checkpoints: number;
  /** False when the connected role cannot read audit_chain_heads (the application role). */
  headsChecked: boolean;
  elapsedMs: number;
}

class Failed extends Error {
  constructor(readonly failure: VerifyFailure) {
    super(failure.problem);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Fetched columns: chain, prev_hash, hash, then the canonical fields.
const CHAIN = 0;
const PREV_HASH = 1;
const HASH = 2;
const FIRST_FIELD = 3;
const ID = FIRST_FIELD;
const SEQ = FIRST_FIELD + CANONICAL_FIELDS.length - 1;
const COLUMNS = FIRST_FIELD + CANONICAL_FIELDS.length;

interface ChainState {
  report: ChainReport;
  chainBytes: Buffer;
  expectedSeq: number;
  previous: Buffer;
  checkpoints: Checkpoint[];
  nextCheckpoint: number;
}

interface PageKey {
  chainId: string;
  seq: string;
}

function pageSql(only: readonly string[] | null, after: PageKey | null, limit: number): string {
  const conditions = [
    only ? `${CHAIN_ID_SQL} = any('{${only.join(",")}}'::uuid[])` : null,
    // From the last event of the previous page, which is skipped again: a second event with the
    // same seq must not hide on the page boundary.
    after
      ? `(${CHAIN_ID_SQL}, audit_events.chain_seq) >= ('${after.chainId}'::uuid, ${after.seq})`
      : null,
  ].filter(Boolean);
  return `copy (
    select ${CHAIN_ID_SQL}, prev_hash, hash, ${CANONICAL_BINARY_SELECT_SQL}
    from audit_events
    ${conditions.length ? `where ${conditions.join(" and ")}` : ""}
    order by ${CHAIN_ID_SQL}, audit_events.chain_seq
    limit ${limit}
  ) to stdout (format binary)`;
}

function equalBytes(tuple: Buffer, start: number, length: number, expected: Buffer): boolean {
  return length === expected.length && expected.compare(tuple, start, start + length) === 0;
}

function hex(bytes: Buffer): string {
  return bytes.toString("hex");
}

/** Verify the access log over a connection that can read it (see db/audit/database.ts). */
export async function verifyAuditLog(
  client: pg.ClientBase,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const started = performance.now();
  const pageSize = options.pageSize ?? 50_000;
  const progressEvery = options.progressEvery ?? 250_000;
  const only = options.chains ? [...new Set(options.chains.map((id) => id.toLowerCase()))] : null;
  for (const chainId of only ?? []) {
    if (!UUID.test(chainId)) throw new Error(`${JSON.stringify(chainId)} is not a chain id`);
  }
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new Error("pageSize must be positive");
  const chains: ChainReport[] = [];
  let events = 0;
  let checkpointsMatched = 0;
  let headsChecked = false;

  const report = (failure: VerifyFailure | null): VerifyReport => ({
    ok: failure === null,
    failure,
    chains,
    events,
    checkpoints: checkpointsMatched,
    headsChecked,
    elapsedMs: performance.now() - started,
  });

  const checkpointsByChain = new Map<string, Checkpoint[]>();
  if (options.checkpoints) {
    const { checkpoints, problems } = await readCheckpoints(
      options.checkpoints.dir,
      options.checkpoints.publicKey,
    );
    const [problem] = problems.filter(
      (candidate) => !only || (candidate.chainId !== null && only.includes(candidate.chainId)),
    );
    if (problem) {
      return report({
        chainId: problem.chainId,
        seq: problem.seq,
        eventId: null,
        problem: `checkpoint ${problem.file} cannot be trusted: ${problem.problem}`,
      });
    }
    for (const checkpoint of checkpoints) {
      // A checkpoint of an empty chain says nothing.
      if ((only && !only.includes(checkpoint.chainId)) || checkpoint.seq === 0) continue;
      const list = checkpointsByChain.get(checkpoint.chainId) ?? [];
      list.push(checkpoint);
      checkpointsByChain.set(checkpoint.chainId, list);
    }
  }

  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query("set local client_encoding = 'UTF8'");
    // The application role sees one partnership at a time: scope the snapshot to the one asked for.
    const [single] = only ?? [];
    if (only?.length === 1 && single && single !== DEPLOYMENT_CHAIN_ID) {
      await client.query("select set_config('app.partnership_id', $1, true)", [single]);
    }

    // Keyset pages cannot reach a row whose chain_seq is null: if the constraints that rule such
    // rows out are gone, look for one directly.
    const constrained = await client.query<{ count: string }>(
      `select count(*) as count from pg_attribute
       where attrelid = 'audit_events'::regclass and attnotnull
         and attname in ('chain_seq', 'prev_hash', 'hash')`,
    );
    if (constrained.rows[0]?.count !== "3") {
      const unchained = await client.query<{ id: string; chain_id: string }>(
        `select id::text as id, ${CHAIN_ID_SQL}::text as chain_id from audit_events
         where (chain_seq is null or prev_hash is null or hash is null)
         ${only ? `and ${CHAIN_ID_SQL} = any($1::uuid[])` : ""} limit 1`,
        only ? [only] : [],
      );
      const [row] = unchained.rows;
      if (row) {
        throw new Failed({
          chainId: row.chain_id,
          seq: null,
          eventId: row.id,
          problem:
            "the event has no chain_seq, prev_hash or hash: it was written past the chain trigger",
        });
      }
    }

    const heads = new Map<string, ChainHead>();
    const privilege = await client.query<{ allowed: boolean }>(
      "select has_table_privilege('audit_chain_heads', 'select') as allowed",
    );
    headsChecked = privilege.rows[0]?.allowed === true;
    if (headsChecked) {
      const rows = await client.query<{ chain_id: string; seq: string; hash: Buffer }>(
        `select chain_id::text as chain_id, seq::text as seq, hash from audit_chain_heads
         ${only ? "where chain_id = any($1::uuid[])" : ""}`,
        only ? [only] : [],
      );
      for (const row of rows.rows) {
        heads.set(row.chain_id, { chainId: row.chain_id, seq: Number(row.seq), hash: row.hash });
      }
    }

    let state: ChainState | null = null;

    const finish = (current: ChainState) => {
      const { report: chain, expectedSeq, checkpoints, nextCheckpoint } = current;
      const last = expectedSeq - 1;
      chain.head = last > 0 ? { chainId: chain.chainId, seq: last, hash: current.previous } : null;
      const head = heads.get(chain.chainId);
      if (head && head.seq !== last) {
        throw new Failed({
          chainId: chain.chainId,
          seq: last + 1,
          eventId: null,
          problem:
            head.seq > last
              ? `the chain ends at seq ${last} but its head is at seq ${head.seq}: ${head.seq - last === 1 ? `event ${head.seq} is` : `events ${last + 1}..${head.seq} are`} missing`
              : `the chain runs to seq ${last} but its head is at seq ${head.seq}: events after ${head.seq} were added past the chain trigger`,
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
      const beyond = checkpoints[nextCheckpoint];
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

    const encoder = new CanonicalEncoder();
    const lastId = Buffer.alloc(16);
    let lastSeq = "0";
    let pageRows = 0;
    let resuming = false;

    const verifyEvent = (tuple: Buffer, starts: Int32Array, lengths: Int32Array) => {
      pageRows += 1;
      const chainStart = starts[CHAIN] as number;
      if (resuming) {
        resuming = false;
        // The previous page's last event, read again: skip it.
        const idStart = starts[ID] as number;
        if (
          state?.chainBytes.compare(tuple, chainStart, chainStart + 16) === 0 &&
          lengths[SEQ] === 8 &&
          int8Text(tuple, starts[SEQ] as number) === lastSeq &&
          lastId.compare(tuple, idStart, idStart + 16) === 0
        ) {
          return;
        }
      }
      if (state === null || state.chainBytes.compare(tuple, chainStart, chainStart + 16) !== 0) {
        if (state) finish(state);
        const chainId = uuidText(tuple, chainStart);
        const report: ChainReport = { chainId, events: 0, head: null, checkpoints: 0 };
        state = {
          report,
          chainBytes: Buffer.from(tuple.subarray(chainStart, chainStart + 16)),
          expectedSeq: 1,
          previous: GENESIS_HASH,
          checkpoints: checkpointsByChain.get(chainId) ?? [],
          nextCheckpoint: 0,
        };
        chains.push(report);
      }
      const current: ChainState = state;
      const chainId = current.report.chainId;
      const idStart = starts[ID] as number;
      const expected = current.expectedSeq;
      if ((lengths[SEQ] as number) !== 8) {
        throw new Failed({
          chainId,
          seq: expected,
          eventId: uuidText(tuple, idStart),
          problem:
            "the event has no chain_seq, prev_hash or hash: it was written past the chain trigger",
        });
      }
      const seqStart = starts[SEQ] as number;
      // Almost every seq fits in 32 bits: skip the general int64 path for those.
      const seqText =
        tuple.readUInt32BE(seqStart) === 0
          ? String(tuple.readUInt32BE(seqStart + 4))
          : int8Text(tuple, seqStart);
      const seq = Number(seqText);
      if (seq !== expected) {
        throw new Failed({
          chainId,
          seq: seq > expected ? expected : seq,
          eventId: uuidText(tuple, idStart),
          problem:
            seq > expected
              ? `expected seq ${expected} but found seq ${seqText}: ${seq - expected === 1 ? `event ${expected} is` : `events ${expected}..${seq - 1} are`} missing`
              : `seq ${seqText} appears more than once`,
        });
      }
      const prevStart = starts[PREV_HASH] as number;
      const prevLength = lengths[PREV_HASH] as number;
      if (!equalBytes(tuple, prevStart, prevLength, current.previous)) {
        throw new Failed({
          chainId,
          seq,
          eventId: uuidText(tuple, idStart),
          problem: `its prev_hash ${prevLength > 0 ? hex(tuple.subarray(prevStart, prevStart + prevLength)) : "(none)"} is not the hash of the event before it (${hex(current.previous)})`,
        });
      }
      const computed = encoder.hashTuple(current.previous, tuple, starts, lengths, FIRST_FIELD);
      const hashStart = starts[HASH] as number;
      const hashLength = lengths[HASH] as number;
      if (!equalBytes(tuple, hashStart, hashLength, computed)) {
        throw new Failed({
          chainId,
          seq,
          eventId: uuidText(tuple, idStart),
          problem: `its fields hash to ${hex(computed)} but its stored hash is ${hashLength > 0 ? hex(tuple.subarray(hashStart, hashStart + hashLength)) : "(none)"}: the event was changed`,
        });
      }
      const checkpoint = current.checkpoints[current.nextCheckpoint];
      if (checkpoint && checkpoint.seq === seq) {
        if (!checkpoint.hash.equals(computed)) {
          throw new Failed({
            chainId,
            seq,
            eventId: uuidText(tuple, idStart),
            problem: `a checkpoint signed by ${checkpoint.keyName} records hash ${hex(checkpoint.hash)} at seq ${seq}, but the event there hashes to ${hex(computed)}: history was rewritten after the checkpoint`,
          });
        }
        current.nextCheckpoint += 1;
        current.report.checkpoints += 1;
        checkpointsMatched += 1;
      }
      current.previous = computed;
      current.expectedSeq = seq + 1;
      current.report.events += 1;
      events += 1;
      lastSeq = seqText;
      tuple.copy(lastId, 0, idStart, idStart + 16);
      if (options.onProgress && events % progressEvery === 0) {
        options.onProgress({ events, chainId, seq, elapsedMs: performance.now() - started });
      }
    };

    let after: PageKey | null = null;
    do {
      pageRows = 0;
      resuming = after !== null;
      const reader = new BinaryCopyReader(COLUMNS, verifyEvent);
      await copyOut(client, pageSql(only, after, pageSize), (chunk) => reader.push(chunk));
      if (!reader.ended) throw new Error("the server ended a COPY without its trailer");
      const last = state as ChainState | null;
      if (last) after = { chainId: last.report.chainId, seq: lastSeq };
    } while (pageRows === pageSize);
    if (state) finish(state);

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
    return report(null);
  } catch (error) {
    if (error instanceof Failed) return report(error.failure);
    throw error;
  } finally {
    await client.query("rollback");
  }
}
