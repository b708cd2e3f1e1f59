import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { PoolSettings } from "./config";
import type { Database } from "./types";

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
    application_name: options.applicationName ?? "crosswalk",
  });
  pool.on("error", (error) => report("idle database connection failed", error));
  pool.on("connect", (client) => {
    client.on("error", (error) => report("database connection failed", error));
    if (options.role) {
      // Queued before any other query on this client, so it runs first.
      client.query(`set role ${pg.escapeIdentifier(options.role)}`).catch((error: Error) => {
        report("could not assume the database owner role", error);
      });
    }
  });
  return pool;
}

/** A Kysely instance over a pool created by createPool. */
export function createKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
