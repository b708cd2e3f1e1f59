import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { PoolSettings } from "./config";
import type { Database } from "./types";
import { PoolQueueFull } from "./unavailable";

// PostgreSQL `date` values stay ISO strings (YYYY-MM-DD): a JavaScript Date would shift them by the
// server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** Where a pool reports errors it survived; never given personal data. */
export type PoolErrorReporter = (message: string, error: Error) => void;

/**
 * A pg pool that survives PostgreSQL going away underneath it. A backend killed while a client
 * sits idle, or while a request holds it, emits 'error' on that client; without a listener that
 * would crash the process, so every client gets one on connect and the pool gets one for idle
 * clients. The broken client is discarded and the next checkout opens a fresh connection.
 *
 * Waiting is bounded three ways, so a slow or locked database sheds requests instead of piling
 * them up: a checkout waits at most connectTimeoutMs, at most queueMax checkouts wait (the next
 * fails at once with PoolQueueFull), and a statement waits for a lock at most lockTimeoutMs. A
 * server that stops answering altogether (its processes frozen, the network gone) cannot enforce
 * its own statement timeout: shortly after it, the query is given up and its connection closed.
 */
export function createPool(
  connectionString: string,
  settings: PoolSettings,
  report: PoolErrorReporter,
  options: { applicationName?: string; role?: string } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: settings.statementTimeoutMs,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    query_timeout: settings.statementTimeoutMs + UNANSWERED_MARGIN_MS,
    ...(settings.lockTimeoutMs ? { lock_timeout: settings.lockTimeoutMs } : {}),
    application_name: options.applicationName ?? "crosswalk",
  });
  if (settings.queueMax !== undefined) boundQueue(pool, settings.max, settings.queueMax);
  pool.on("error", (error) => report("idle database connection failed", error));
  pool.on("connect", (client) => {
    const abandoned = closeWhenUnanswered(client);
    client.on("error", (error) => {
      if (!abandoned()) report("database connection failed", error);
    });
    if (options.role) {
      // Queued before any other query on this client, so it runs first.
      client.query(`set role ${pg.escapeIdentifier(options.role)}`).catch((error: Error) => {
        report("could not assume the database owner role", error);
      });
    }
  });
  return pool;
}

/** How long after the statement timeout an unanswered query is given up. */
const UNANSWERED_MARGIN_MS = 1_000;

/**
 * pg's query_timeout rejects a query the server has not answered, but leaves it running on the
 * connection, where the next query (the transaction's ROLLBACK, the next request's work) would wait
 * behind it for ever. So the connection is closed: its queries fail as a lost connection and the
 * pool discards it. Returns whether this connection was closed so (its error is then expected).
 */
function closeWhenUnanswered(client: pg.PoolClient): () => boolean {
  let closed = false;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const watched = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (!closed && error instanceof Error && error.message === "Query read timeout") {
          closed = true;
          (
            client as unknown as { connection: { stream: { destroy(): void } } }
          ).connection.stream.destroy();
        }
      });
    }
    return result;
  };
  client.query = watched as typeof client.query;
  return () => closed;
}

/**
 * pg-pool queues checkouts without limit. Past `queueMax` waiting (with every connection in use),
 * a checkout fails at once: the request is answered 503 rather than holding memory and a socket
 * for a connection it would likely time out waiting for.
 */
function boundQueue(pool: pg.Pool, max: number, queueMax: number): void {
  const connect = pool.connect.bind(pool) as (
    callback?: (error: Error | undefined, client?: pg.PoolClient, done?: () => void) => void,
  ) => Promise<pg.PoolClient> | undefined;
  const full = () => pool.totalCount >= max && pool.waitingCount >= queueMax;
  Object.assign(pool, {
    connect(callback?: (error: Error | undefined, client?: pg.PoolClient) => void) {
      if (!full()) return connect(callback);
      const error = new PoolQueueFull(pool.waitingCount);
      if (callback) {
        queueMicrotask(() => callback(error));
        return undefined;
      }
      return Promise.reject(error);
    },
  });
}

/** A Kysely instance over a pool created by createPool. */
export function createKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * One client (not a pool) for a command-line tool, as `role` when given (the owner role, for a
 * login that may assume it), named `applicationName` in pg_stat_activity.
 */
export async function connectClient(
  url: string,
  role: string | null,
  applicationName: string,
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  try {
    if (role) await client.query(`set role ${pg.escapeIdentifier(role)}`);
  } catch (error) {
    await client.end();
    throw error;
  }
  return client;
}
