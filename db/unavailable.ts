import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How long a person (or a client) is asked to wait before trying again when the database is
 * unavailable: the `Retry-After` of every 503 for it, in seconds.
 */
export const RETRY_AFTER_SECONDS = 30;

/** Thrown when more requests wait for a database connection than DB_POOL_QUEUE_MAX allows. */
export class PoolQueueFull extends Error {
  override name = "PoolQueueFull";
  readonly code = "POOL_QUEUE_FULL";
  constructor(waiting: number) {
    super(`${waiting} requests already wait for a database connection`);
  }
}

/**
 * SQLSTATE codes and classes that mean "the database cannot serve this now", not "this request is
 * wrong": a lost or refused connection (08), exhausted resources such as a full disk or too many
 * connections (53), a server shutting down or starting (57P01-57P03), a statement or lock timeout
 * (57014, 55P03) and system errors (58).
 */
const UNAVAILABLE_CLASSES = ["08", "53", "58"];
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "57014", "55P03"]);
/** Node's socket errors when the database cannot be reached or the connection breaks. */
const UNAVAILABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "POOL_QUEUE_FULL",
]);
/** node-postgres's own errors, which carry no code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error/,
  /Client was closed and is not queryable/,
  /Cannot use a pool after calling end on the pool/,
];

/**
 * The SQLSTATE or errno that shows `error` (or an error it wraps) is the database being
 * unavailable or too slow, or null when it is anything else: a bug, a constraint, a refusal.
 * node-postgres's code-less connection errors are given a code of our own ("CONNECTION_LOST",
 * "CONNECT_TIMEOUT", and "QUERY_TIMEOUT" for a server that stopped answering).
 */
export function unavailabilityCode(error: unknown): string | null {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause !== "object") return null;
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === "string") {
      if (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_STATES.has(code)) return code;
      if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return code;
    }
    if (typeof message === "string") {
      if (/timeout exceeded when trying to connect/.test(message)) return "CONNECT_TIMEOUT";
      if (message === "Query read timeout") return "QUERY_TIMEOUT";
      if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return "CONNECTION_LOST";
    }
    // AggregateError (a host with several addresses, all refused) and wrapped causes.
    const errors = (cause as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errors.map(unavailabilityCode);
      if (inner.every((found) => found !== null)) return inner[0] ?? null;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

/** Whether `error` means the database is unavailable or too slow (see unavailabilityCode). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailabilityCode(error) !== null;
}

/** What one request learnt about the database while it was served. */
export interface UnavailabilityRecord {
  /** The first unavailability's code, once one happened. */
  code: string | null;
}

// The app's build and the HTTP host each load their own copy of this module; the record of the
// request being served is shared through one store on the global object.
const STORE_KEY = Symbol.for("crosswalk.database-unavailability");
const globalStore = globalThis as { [STORE_KEY]?: AsyncLocalStorage<UnavailabilityRecord> };
const requestRecords = (globalStore[STORE_KEY] ??= new AsyncLocalStorage<UnavailabilityRecord>());

/** Serve one request with a fresh record of unavailability (the HTTP host does this). */
export function watchForUnavailability<T>(work: () => T): {
  record: UnavailabilityRecord;
  result: T;
} {
  const record: UnavailabilityRecord = { code: null };
  return { record, result: requestRecords.run(record, work) };
}

/** Whether the database has been found unavailable while serving this request. */
export function unavailabilityNoted(): boolean {
  return (requestRecords.getStore()?.code ?? null) !== null;
}

/**
 * Note, for the request being served, that the database was unavailable: the HTTP host then
 * answers 503, logs it once and keeps the person's answers. False when no request is being served
 * by the host (a test calling a route directly): the caller then logs it itself.
 */
export function noteUnavailable(code: string): boolean {
  const record = requestRecords.getStore();
  if (!record) return false;
  record.code ??= code;
  return true;
}
