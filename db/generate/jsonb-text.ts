/** A JSON value as the generator writes it into access-log details. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The text PostgreSQL gives for a jsonb value (`details::text`), which is what an event's hash
 * covers (db/audit/canonical.ts): object keys shortest first and then in byte order, ", " between
 * items and ": " after keys, strings escaped as JSON. Integers only: the generator writes no
 * fractions, whose jsonb text could differ from JavaScript's.
 */
export function jsonbText(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError("jsonbText writes integers only");
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(", ")}]`;
  const keys = Object.keys(value).sort(compareKeys);
  return `{${keys.map((key) => `${JSON.stringify(key)}: ${jsonbText(value[key] ?? null)}`).join(", ")}}`;
}

/** jsonb's key order: shorter keys first, then by their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length - right.length || Buffer.compare(left, right);
}
