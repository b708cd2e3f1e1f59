import { createHash } from "node:crypto";

/**
 * Deterministic pseudo-randomness for the generator: the same seed gives the same rows, in
 * TypeScript and in SQL alike. Nothing here is for secrets.
 */

/** A generator of numbers in [0, 1), seeded by a string (sfc32 over a SHA-256 of the seed). */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const digest = createHash("sha256").update(seed).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    for (let warm = 0; warm < 12; warm += 1) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** A version 4 UUID (RFC 9562 layout) from the generator. */
  uuid(): string {
    const words = [this.next(), this.next(), this.next(), this.next()].map((value) =>
      Math.floor(value * 4_294_967_296)
        .toString(16)
        .padStart(8, "0"),
    );
    return uuidFromHex(words.join(""));
  }
}

/** 32 hex digits laid out as a version 4 UUID: the version and variant digits are overwritten. */
export function uuidFromHex(hex: string): string {
  const variant = "89ab"[parseInt(hex.charAt(16), 16) & 3] ?? "8";
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A version 4 UUID from md5(seed:tag:key), for the records made in TypeScript. */
export function stableUuid(seed: string, tag: string, key: string | number): string {
  return uuidFromHex(createHash("md5").update(`${seed}:${tag}:${key}`).digest("hex"));
}

/** A positive 60-bit integer from seed and tag, for SQL's hashint8extended(). */
export function sqlSeed(seed: string, tag: string): bigint {
  return BigInt(`0x${createHash("md5").update(`${seed}:${tag}`).digest("hex").slice(0, 15)}`);
}

/** The largest row index sqlUuid() takes (exclusive): 2^24. */
export const UUID_INDEX_LIMIT = 16_777_216;

/**
 * SQL for a version 4 UUID for row `index` (an integer below 2^24) of a kind of record: a prefix
 * from md5(seed:tag) and 48 bits that are a bijection of the index (two multiplications modulo
 * 2^24), so ids never collide within a tag, look scattered like random ones, and cost no hashing.
 */
export function sqlUuid(seed: string, tag: string, index: string): string {
  const hex = createHash("md5").update(`${seed}:${tag}:uuid`).digest("hex");
  const prefix = uuidFromHex(`${hex.slice(0, 20)}000000000000`).slice(0, 24);
  const a = 0x5bd1e9 | 1;
  const b = 0x9e3779 | 1;
  const c = parseInt(hex.slice(20, 26), 16);
  return `(${literal(prefix)} || lpad(to_hex(((((${index})::bigint * ${a}) & 16777215) << 24)
    | ((((${index})::bigint * ${b}) + ${c}) & 16777215)), 12, '0'))::uuid`;
}

/**
 * SQL for `count` uniform numbers in [0, 1) per row, with 16 bits each: a lateral subquery over
 * hashint8extended(key, seed) (four numbers per hash), giving columns u0..u(count-1). The key is
 * an integer expression unique per row within the tag. PostgreSQL's hash functions are stable
 * within a major version, so the same seed gives the same rows on the same major version.
 */
export function sqlUniforms(
  seed: string,
  tag: string,
  key: string,
  count: number,
  alias = "rnd",
): string {
  const hashes = Math.ceil(count / 4);
  const columns: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const shift = 16 * (index % 4);
    columns.push(`((h${Math.floor(index / 4)} >> ${shift}) & 65535)::float8 / 65536 as u${index}`);
  }
  const digests = Array.from(
    { length: hashes },
    (_, index) =>
      `hashint8extended((${key})::bigint, ${sqlSeed(seed, `${tag}:${index}`)}) as h${index}`,
  );
  return `lateral (select ${columns.join(", ")} from (select ${digests.join(", ")}) as digests) as ${alias}`;
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
