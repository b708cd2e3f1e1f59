import { hash } from "node:crypto";

/**
 * The canonical encoding of an access-log event, in TypeScript. It must produce exactly the bytes
 * that audit_event_canonical() in db/migrations/2026_11_24_0003_audit_chain.ts produces, so that
 * anyone can recompute an event's hash outside the database. See docs/decisions/006-audit-hash-chain.md.
 *
 * Each field is its PostgreSQL text form: a uuid as 8-4-4-4-12 lowercase hex, the time as integer
 * microseconds since the Unix epoch in decimal, chain_seq in decimal, text as itself, and the
 * address and details as `inet::text` and `jsonb::text`. Encoded, a field is its UTF-8 byte length
 * in decimal, ":" and its bytes; a null field is "-". A length never begins with "-", so the
 * encoding reads back field by field and no two different events encode the same.
 */

/** The chain of events that belong to no partnership (the deployment chain). */
export const DEPLOYMENT_CHAIN_ID = "00000000-0000-0000-0000-000000000000";

/** The previous hash of a chain's first event: 32 zero bytes. */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** The chain an event belongs to: its partnership, or the deployment chain. SQL, for queries. */
export const CHAIN_ID_SQL = `coalesce(partnership_id, '${DEPLOYMENT_CHAIN_ID}'::uuid)`;

/**
 * How a field reaches the verifier: `text` fields arrive as PostgreSQL rendered them; the others
 * arrive as binary values whose text forms are fixed by definition and rendered here (cheaper for
 * the server, which is what limits verification speed).
 */
type FieldKind = "uuid" | "epoch_us" | "int8" | "text";

/** Each hashed field, in hashing order: its name, its text form in SQL, and how it is fetched. */
export const CANONICAL_FIELDS: readonly (readonly [
  name: string,
  textSql: string,
  kind: FieldKind,
])[] = [
  ["id", "id::text", "uuid"],
  ["partnership_id", "partnership_id::text", "uuid"],
  ["occurred_at", "((extract(epoch from occurred_at) * 1000000)::bigint)::text", "epoch_us"],
  ["actor_user_id", "actor_user_id::text", "uuid"],
  ["actor_agency_id", "actor_agency_id::text", "uuid"],
  ["actor_role", "actor_role", "text"],
  ["action", "action", "text"],
  ["record_type", "record_type", "text"],
  ["record_id", "record_id::text", "uuid"],
  ["young_person_id", "young_person_id::text", "uuid"],
  ["outcome", "outcome", "text"],
  ["reason", "reason", "text"],
  ["request_id", "request_id", "text"],
  ["client_address", "client_address::text", "text"],
  ["details", "details::text", "text"],
  ["chain_seq", "chain_seq::text", "int8"],
];

/** An event's hashed fields as text (null where the column is null), in CANONICAL_FIELDS order. */
export type CanonicalFieldValues = ArrayLike<string | null>;

/** The SQL select list of the fields' text forms, in order (what the trigger hashes). */
export const CANONICAL_TEXT_SELECT_SQL = CANONICAL_FIELDS.map(([, textSql]) => textSql).join(", ");

/**
 * The SQL select list the verifier fetches in binary COPY format: uuids, the time and chain_seq as
 * their binary values, everything else as its text form.
 */
export const CANONICAL_BINARY_SELECT_SQL = CANONICAL_FIELDS.map(([name, textSql, kind]) =>
  kind === "text" ? textSql : `audit_events.${name}`,
).join(", ");

/** The canonical encoding as a string, from the fields' text forms starting at `offset`. */
export function canonicalText(fields: CanonicalFieldValues, offset = 0): string {
  let text = "";
  for (let index = offset; index < offset + CANONICAL_FIELDS.length; index += 1) {
    const value = fields[index];
    if (value === undefined) throw new RangeError(`canonical field ${index - offset} is missing`);
    text += value === null ? "-" : `${Buffer.byteLength(value, "utf8")}:${value}`;
  }
  return text;
}

/** The canonical encoding of an event as bytes. */
export function canonicalBytes(fields: CanonicalFieldValues, offset = 0): Buffer {
  return Buffer.from(canonicalText(fields, offset), "utf8");
}

/** An event's hash: SHA-256 over the previous event's hash and the event's canonical encoding. */
export function eventHash(previousHash: Buffer, fields: CanonicalFieldValues, offset = 0): Buffer {
  return hash("sha256", Buffer.concat([previousHash, canonicalBytes(fields, offset)]), "buffer");
}

// 2000-01-01T00:00:00Z, PostgreSQL's binary timestamp origin, in microseconds since the Unix epoch.
const POSTGRES_EPOCH_US = 946_684_800_000_000;
const HEX = "0123456789abcdef";
const COLON = 0x3a;
const DASH = 0x2d;

/**
 * Writes canonical encodings straight from binary COPY tuples into one reusable buffer, without
 * making strings, and hashes them. Used by the verifier, where it is the hot loop.
 */
export class CanonicalEncoder {
  private scratch = Buffer.alloc(4096);

  /**
   * SHA-256(previous || canonical encoding) of one tuple whose canonical fields are the
   * CANONICAL_FIELDS.length fields from `first`, fetched with CANONICAL_BINARY_SELECT_SQL.
   */
  hashTuple(
    previous: Buffer,
    tuple: Buffer,
    starts: Int32Array,
    lengths: Int32Array,
    first: number,
  ): Buffer {
    let needed = 32;
    for (let field = 0; field < FIELD_KINDS.length; field += 1) {
      needed += Math.max(lengths[first + field] ?? 0, 36) + 24;
    }
    if (needed > this.scratch.length) this.scratch = Buffer.alloc(needed * 2);
    const out = this.scratch;
    previous.copy(out, 0);
    let at = 32;
    for (let field = 0; field < FIELD_KINDS.length; field += 1) {
      const index = first + field;
      const start = starts[index] as number;
      const length = lengths[index] as number;
      if (length < 0) {
        out[at++] = DASH;
        continue;
      }
      const kind = FIELD_KINDS[field];
      if (kind === TEXT) {
        at = writeDecimal(out, at, length);
        out[at++] = COLON;
        if (length < 48) {
          for (let byte = 0; byte < length; byte += 1)
            out[at + byte] = tuple[start + byte] as number;
          at += length;
        } else {
          at += tuple.copy(out, at, start, start + length);
        }
      } else if (kind === UUID) {
        if (length !== 16) throw new RangeError("a uuid field is not 16 bytes");
        out[at++] = 0x33; // "36:"
        out[at++] = 0x36;
        out[at++] = COLON;
        for (let byte = 0; byte < 16; byte += 1) {
          if (byte === 4 || byte === 6 || byte === 8 || byte === 10) out[at++] = DASH;
          const value = tuple[start + byte] as number;
          out[at++] = HEX_CODES[value >> 4] as number;
          out[at++] = HEX_CODES[value & 15] as number;
        }
      } else {
        if (length !== 8) throw new RangeError("an int8 or timestamp field is not 8 bytes");
        const add = kind === EPOCH_US ? POSTGRES_EPOCH_US : 0;
        const base = tuple.readInt32BE(start) * 4_294_967_296 + tuple.readUInt32BE(start + 4);
        const value = base + add;
        if (value >= 0 && Number.isSafeInteger(base) && Number.isSafeInteger(value)) {
          at = writeDecimal(out, at, decimalLength(value));
          out[at++] = COLON;
          at = writeDecimal(out, at, value);
        } else {
          const digits = int8Text(tuple, start, add);
          at = writeDecimal(out, at, digits.length);
          out[at++] = COLON;
          at += out.write(digits, at, "latin1");
        }
      }
    }
    return hash("sha256", out.subarray(0, at), "buffer");
  }
}

const TEXT = 0;
const UUID = 1;
const EPOCH_US = 2;
const INT8 = 3;
const FIELD_KINDS = CANONICAL_FIELDS.map(([, , kind]) =>
  kind === "text" ? TEXT : kind === "uuid" ? UUID : kind === "epoch_us" ? EPOCH_US : INT8,
);
const HEX_CODES = Array.from(HEX, (digit) => digit.charCodeAt(0));

function decimalLength(value: number): number {
  if (value < 10) return 1;
  if (value < 100) return 2;
  if (value < 1000) return 3;
  let digits = 4;
  for (let rest = Math.floor(value / 10_000); rest > 0; rest = Math.floor(rest / 10)) digits += 1;
  return digits;
}

/** Write a non-negative safe integer in decimal at `at`; returns the position after it. */
function writeDecimal(out: Buffer, at: number, value: number): number {
  const end = at + decimalLength(value);
  let position = end - 1;
  let rest = value;
  // Above 2^31 in floating point, then in 32-bit integers, which are cheaper.
  while (rest > 0x7fffffff) {
    const next = Math.floor(rest / 10);
    out[position--] = 0x30 + (rest - next * 10);
    rest = next;
  }
  let small = rest | 0;
  do {
    const next = (small / 10) | 0;
    out[position--] = 0x30 + (small - next * 10);
    small = next;
  } while (position >= at);
  return end;
}

/** The decimal text of a big-endian int64 at `start`, plus `add`; exact beyond 2^53 too. */
export function int8Text(bytes: Buffer, start: number, add = 0): string {
  const base = bytes.readInt32BE(start) * 4_294_967_296 + bytes.readUInt32BE(start + 4);
  const value = base + add;
  if (Number.isSafeInteger(base) && Number.isSafeInteger(value)) return String(value);
  return (bytes.readBigInt64BE(start) + BigInt(add)).toString();
}

/** The text form of the 16-byte uuid at `start`. */
export function uuidText(bytes: Buffer, start: number): string {
  const hex = bytes.toString("hex", start, start + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
