import path from "node:path";
import { z } from "zod";

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), {
    message: "must be a postgres:// or postgresql:// connection URL",
  });

const milliseconds = (fallback: number) =>
  z.coerce.number().int().min(100).max(600_000).default(fallback);

const DEFAULT_LOCK_TIMEOUT_MS = 3_000;

/** The database settings Crosswalk reads from the environment. */
export const DatabaseEnvSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_OWNER_URL: postgresUrl.optional(),
  /** A streaming replica of DATABASE_URL, as the application role, for dashboards and audit searches. */
  DATABASE_REPLICA_URL: postgresUrl.optional(),
  DATA_DIR: z.string().trim().min(1).default(".data"),
  EMBEDDED_DB_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_CONNECT_TIMEOUT_MS: milliseconds(5_000),
  DB_STATEMENT_TIMEOUT_MS: milliseconds(15_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds(30_000),
  /**
   * How long a statement waits for a lock before giving up: shorter than the statement timeout, so
   * a locked table sheds requests (503) instead of holding every connection. Default 3 s, or half
   * the statement timeout when that is shorter.
   */
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).optional(),
  /** How many requests may wait for a connection; beyond it a request is answered 503 at once. */
  DB_POOL_QUEUE_MAX: z.coerce.number().int().min(0).max(10_000).default(50),
});

export type DatabaseEnv = z.infer<typeof DatabaseEnvSchema>;

export interface PoolSettings {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** lock_timeout; none when absent (tools and tests that wait as long as a statement may). */
  lockTimeoutMs?: number;
  /** How many checkouts may wait for a connection; unbounded when absent. */
  queueMax?: number;
}

export interface DatabaseConfig {
  /** Where the application role connects; absent means "start the embedded server". */
  appUrl: string | undefined;
  /** Where migrations run as the owner role; absent means the server does not migrate at start. */
  ownerUrl: string | undefined;
  /**
   * A hot standby of appUrl's database, as the application role, for reads that may be seconds
   * old (dashboards, access-log reports and searches); absent means every read goes to appUrl.
   */
  replicaUrl: string | undefined;
  dataDir: string;
  embeddedPort: number;
  pool: PoolSettings;
}

/** Environment variables by name, as in process.env. */
export type Environment = Record<string, string | undefined>;

/** Thrown when the environment holds a value Crosswalk cannot use. The message is one line. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * Parse environment variables with a zod schema, turning the first problem into one line that
 * names the variable. Values are never echoed: some of them are secrets.
 */
export function parseEnvironment<T extends z.ZodType>(schema: T, env: Environment): z.infer<T> {
  // Empty strings are treated as unset so `PORT= npm start` behaves like no PORT at all.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue?.path.join(".") ?? "environment";
    throw new ConfigurationError(`Configuration error: ${variable} ${describeIssue(issue)}`);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "is not valid";
  switch (issue.code) {
    case "invalid_type":
      return `must be ${issue.expected === "number" ? "a number" : `a ${issue.expected}`}`;
    case "too_small":
      return `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_value":
      return `must be one of: ${issue.values.map(String).join(", ")}`;
    default:
      return issue.message;
  }
}

/** Read the database settings from the environment. */
export function loadDatabaseConfig(env: Environment = process.env): DatabaseConfig {
  return toDatabaseConfig(parseEnvironment(DatabaseEnvSchema, env));
}

/** Turn parsed database variables into the settings the connection factory uses. */
export function toDatabaseConfig(parsed: DatabaseEnv): DatabaseConfig {
  if (parsed.DATABASE_OWNER_URL && !parsed.DATABASE_URL) {
    throw new ConfigurationError(
      "Configuration error: DATABASE_OWNER_URL is set but DATABASE_URL is not; set both or neither",
    );
  }
  if (parsed.DATABASE_REPLICA_URL && !parsed.DATABASE_URL) {
    throw new ConfigurationError(
      "Configuration error: DATABASE_REPLICA_URL is set but DATABASE_URL is not; a replica needs its primary",
    );
  }
  const lockTimeoutMs =
    parsed.DB_LOCK_TIMEOUT_MS ??
    Math.min(DEFAULT_LOCK_TIMEOUT_MS, Math.floor(parsed.DB_STATEMENT_TIMEOUT_MS / 2));
  if (lockTimeoutMs >= parsed.DB_STATEMENT_TIMEOUT_MS) {
    throw new ConfigurationError(
      "Configuration error: DB_LOCK_TIMEOUT_MS must be shorter than DB_STATEMENT_TIMEOUT_MS",
    );
  }
  return {
    appUrl: parsed.DATABASE_URL,
    ownerUrl: parsed.DATABASE_OWNER_URL,
    replicaUrl: parsed.DATABASE_REPLICA_URL,
    dataDir: path.resolve(parsed.DATA_DIR),
    embeddedPort: parsed.EMBEDDED_DB_PORT,
    pool: {
      max: parsed.DB_POOL_MAX,
      connectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: parsed.DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: parsed.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      lockTimeoutMs,
      queueMax: parsed.DB_POOL_QUEUE_MAX,
    },
  };
}
