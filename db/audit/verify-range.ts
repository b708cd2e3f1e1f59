import type pg from "pg";
import {
  CANONICAL_BINARY_SELECT_SQL,
  CANONICAL_FIELDS,
  CHAIN_ID_SQL,
  CanonicalEncoder,
  int8Text,
  uuidText,
} from "./canonical";
import type { CheckpointAt } from "./checkpoint";
import { BinaryCopyReader, copyOut } from "./copy-out";

/**
 * Verification of one stretch of one chain: the events of `chainId` with chain_seq from `from` to
 * `to`, read in chain_seq order in keyset pages, each page a binary `COPY (SELECT ...) TO STDOUT`
 * hashed as it arrives (db/audit/copy-out.ts). Every event is checked against the one before it
 * in the stretch: seq one more, prev_hash its hash, and its own hash recomputed from its fields.
 * The first event is checked against `start` when the caller knows what comes before it (a
 * chain's first event, or a signed checkpoint); otherwise it is checked against its own stored
 * prev_hash and reported, so the caller can join it to the stretch before (db/audit/verify.ts).
 * That is what lets stretches of one chain be verified in parallel.
 *
 * Runs on whatever transaction `client` is in: the caller opens a REPEATABLE READ snapshot.
 */

/** The first thing found wrong: which chain, which event, and what. */
export interface VerifyFailure {
  chainId: string | null;
  /** The chain_seq where the problem is (for missing events, the first one missing). */
  seq: number | null;
  /** The id of the event found wrong, when there is one. */
  eventId: string | null;
  problem: string;
}

export interface RangeSpec {
  chainId: string;
  /** The lowest chain_seq read; null reads from the lowest there is. */
  from: number | null;
  /** The highest chain_seq read; null reads to the end. */
  to: number | null;
  /** What the first event must be, when known: its seq and the hash before it. */
  start: { seq: number; prevHash: Buffer } | null;
  /** The chain's signed checkpoints in this stretch, by ascending seq. */
  checkpoints: readonly CheckpointAt[];
  /** Seqs whose verified hash the caller wants (to sign a checkpoint there), ascending. */
  capture: readonly number[];
  /** Events per page (at least 2). */
  pageSize: number;
}

/** What a stretch held, for joining it to the stretches either side. */
export interface Segment {
  chainId: string;
  /** Its first event: seq, id and stored prev_hash. Null when the stretch was empty. */
  first: { seq: number; id: string; prevHash: Buffer } | null;
  /** Its last event verified: seq and hash. */
  last: { seq: number; hash: Buffer } | null;
  events: number;
  checkpoints: number;
  /** The verified hashes at the seqs asked for in `capture`. */
  captured: { seq: number; hash: Buffer }[];
  failure: VerifyFailure | null;
}

export class Failed extends Error {
  constructor(readonly failure: VerifyFailure) {
    super(failure.problem);
  }
}

// Fetched columns: prev_hash, hash, then the canonical fields.
const PREV_HASH = 0;
const HASH = 1;
const FIRST_FIELD = 2;
const ID = FIRST_FIELD;
const SEQ = FIRST_FIELD + CANONICAL_FIELDS.length - 1;
const COLUMNS = FIRST_FIELD + CANONICAL_FIELDS.length;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function pageSql(spec: RangeSpec, after: string | null): string {
  if (!UUID.test(spec.chainId))
    throw new Error(`${JSON.stringify(spec.chainId)} is not a chain id`);
  const conditions = [
    `${CHAIN_ID_SQL} = '${spec.chainId}'::uuid`,
    // Unsealed events are not in any chain yet (db/audit/verify.ts counts them).
    "audit_events.chain_seq is not null",
    spec.from !== null ? `audit_events.chain_seq >= ${Math.trunc(spec.from)}` : null,
    spec.to !== null ? `audit_events.chain_seq <= ${Math.trunc(spec.to)}` : null,
    // From the last event of the previous page, which is skipped again: a second event with the
    // same seq must not hide on the page boundary.
    after !== null ? `audit_events.chain_seq >= ${after}` : null,
  ].filter(Boolean);
  return `copy (
    select prev_hash, hash, ${CANONICAL_BINARY_SELECT_SQL}
    from audit_events
    where ${conditions.join(" and ")}
    order by ${CHAIN_ID_SQL}, audit_events.chain_seq
    limit ${spec.pageSize}
  ) to stdout (format binary)`;
}

/**
 * Read chains through the chain index, never a whole partition sorted: a chain that is a large
 * share of a partition looks cheaper to the planner as a sequential scan and a sort, which would
 * read the partition again for every page and hold each page in memory. Transaction-local.
 */
export async function preferChainIndex(client: pg.ClientBase): Promise<void> {
  await client.query("set local enable_seqscan = off");
  await client.query("set local enable_bitmapscan = off");
  await client.query("set local enable_sort = off");
}

function equalBytes(tuple: Buffer, start: number, length: number, expected: Buffer): boolean {
  return length === expected.length && expected.compare(tuple, start, start + length) === 0;
}

function hex(bytes: Buffer): string {
  return bytes.toString("hex");
}

function missing(expected: number, found: number): string {
  return found - expected === 1
    ? `event ${expected} is missing`
    : `events ${expected}..${found - 1} are missing`;
}

/** The failure for finding seq `found` where `expected` should come next. */
export function seqFailure(
  chainId: string,
  expected: number,
  found: number,
  foundText: string,
  eventId: string,
): VerifyFailure {
  if (found > expected) {
    return {
      chainId,
      seq: expected,
      eventId,
      problem: `expected seq ${expected} but found seq ${foundText}: ${missing(expected, found)}`,
    };
  }
  return {
    chainId,
    seq: found,
    eventId,
    problem:
      found === expected - 1
        ? `seq ${foundText} appears more than once`
        : `expected seq ${expected} but found seq ${foundText}: the chain runs backwards`,
  };
}

/** The failure for an event whose prev_hash is not the hash of the event before it. */
export function prevHashFailure(
  chainId: string,
  seq: number,
  eventId: string,
  stored: Buffer | null,
  expected: Buffer | null,
): VerifyFailure {
  const found = stored && stored.length > 0 ? hex(stored) : "(none)";
  return {
    chainId,
    seq,
    eventId,
    problem: expected
      ? `its prev_hash ${found} is not the hash of the event before it (${hex(expected)})`
      : `its prev_hash ${found} is not a 32-byte hash`,
  };
}

/**
 * Verify one stretch of a chain over `client`. `onProgress` is told how many events were verified
 * since it was last called, about every `progressEvery` events.
 */
export async function verifyRange(
  client: pg.ClientBase,
  spec: RangeSpec,
  onProgress?: (events: number, seq: number) => void,
  progressEvery = 25_000,
): Promise<Segment> {
  if (!Number.isSafeInteger(spec.pageSize) || spec.pageSize < 2) {
    throw new Error("pageSize must be at least 2");
  }
  const { chainId } = spec;
  const segment: Segment = {
    chainId,
    first: null,
    last: null,
    events: 0,
    checkpoints: 0,
    captured: [],
    failure: null,
  };
  const capture = new Set(spec.capture);
  const encoder = new CanonicalEncoder();
  const checkpoints = spec.checkpoints;
  let nextCheckpoint = 0;
  let previous: Buffer = Buffer.alloc(32);
  let expected = 0;
  const lastId = Buffer.alloc(16);
  let lastSeqText: string | null = null;
  let pageRows = 0;
  let resuming = false;
  let unreported = 0;

  const verifyEvent = (tuple: Buffer, starts: Int32Array, lengths: Int32Array) => {
    pageRows += 1;
    const idStart = starts[ID] as number;
    const seqStart = starts[SEQ] as number;
    if (resuming) {
      resuming = false;
      // The previous page's last event, read again: skip it.
      if (
        lengths[SEQ] === 8 &&
        int8Text(tuple, seqStart) === lastSeqText &&
        lastId.compare(tuple, idStart, idStart + 16) === 0
      ) {
        return;
      }
    }
    if ((lengths[SEQ] as number) !== 8) {
      throw new Failed({
        chainId,
        seq: expected || null,
        eventId: uuidText(tuple, idStart),
        problem: "the event has no chain_seq",
      });
    }
    // Almost every seq fits in 32 bits: skip the general int64 path for those.
    const seqText =
      tuple.readUInt32BE(seqStart) === 0
        ? String(tuple.readUInt32BE(seqStart + 4))
        : int8Text(tuple, seqStart);
    const seq = Number(seqText);
    const prevStart = starts[PREV_HASH] as number;
    const prevLength = lengths[PREV_HASH] as number;
    const storedPrev = () =>
      prevLength > 0 ? Buffer.from(tuple.subarray(prevStart, prevStart + prevLength)) : null;

    if (segment.first === null) {
      const eventId = uuidText(tuple, idStart);
      if (spec.start) {
        if (seq !== spec.start.seq) {
          throw new Failed(seqFailure(chainId, spec.start.seq, seq, seqText, eventId));
        }
        previous = spec.start.prevHash;
      } else {
        // Checked by the caller against the stretch before; here it only has to be a hash.
        if (prevLength !== 32) {
          throw new Failed(prevHashFailure(chainId, seq, eventId, storedPrev(), null));
        }
        previous = storedPrev() as Buffer;
      }
      segment.first = { seq, id: eventId, prevHash: storedPrev() ?? Buffer.alloc(0) };
      expected = seq;
      while (
        checkpoints[nextCheckpoint] &&
        (checkpoints[nextCheckpoint] as CheckpointAt).seq < seq
      ) {
        nextCheckpoint += 1;
      }
    }
    if (seq !== expected) {
      throw new Failed(seqFailure(chainId, expected, seq, seqText, uuidText(tuple, idStart)));
    }
    if (!equalBytes(tuple, prevStart, prevLength, previous)) {
      throw new Failed(
        prevHashFailure(chainId, seq, uuidText(tuple, idStart), storedPrev(), previous),
      );
    }
    const computed = encoder.hashTuple(previous, tuple, starts, lengths, FIRST_FIELD);
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
    const checkpoint = checkpoints[nextCheckpoint];
    if (checkpoint && checkpoint.seq === seq) {
      if (!checkpoint.hash.equals(computed)) {
        throw new Failed({
          chainId,
          seq,
          eventId: uuidText(tuple, idStart),
          problem: `a checkpoint signed by ${checkpoint.keyName} records hash ${hex(checkpoint.hash)} at seq ${seq}, but the event there hashes to ${hex(computed)}: history was rewritten after the checkpoint`,
        });
      }
      nextCheckpoint += 1;
      segment.checkpoints += 1;
    }
    if (capture.has(seq)) segment.captured.push({ seq, hash: computed });
    previous = computed;
    expected = seq + 1;
    segment.events += 1;
    lastSeqText = seqText;
    tuple.copy(lastId, 0, idStart, idStart + 16);
    unreported += 1;
    if (onProgress && unreported >= progressEvery) {
      onProgress(unreported, seq);
      unreported = 0;
    }
  };

  try {
    let after: string | null = null;
    do {
      pageRows = 0;
      resuming = after !== null;
      const reader = new BinaryCopyReader(COLUMNS, verifyEvent);
      await copyOut(client, pageSql(spec, after), (chunk) => reader.push(chunk));
      if (!reader.ended) throw new Error("the server ended a COPY without its trailer");
      after = lastSeqText;
    } while (pageRows === spec.pageSize);
  } catch (error) {
    if (!(error instanceof Failed)) throw error;
    segment.failure = error.failure;
  }
  if (segment.first && expected > 0 && segment.events > 0) {
    segment.last = { seq: expected - 1, hash: previous };
  }
  if (onProgress && unreported > 0) onProgress(unreported, expected - 1);
  return segment;
}
