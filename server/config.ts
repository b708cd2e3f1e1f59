import path from "node:path";
import { z } from "zod";
import { AuditEnvSchema, toAuditConfig } from "../db/audit/config";
import {
  DatabaseEnvSchema,
  parseEnvironment,
  type Environment,
  toDatabaseConfig,
  type DatabaseConfig,
} from "../db/config";

const ServerEnvSchema = DatabaseEnvSchema.extend({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Express "trust proxy": set when a TLS-terminating proxy sits in front (e.g. "1" or "loopback"). */
  TRUST_PROXY: z.string().trim().optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24)
    .default(12),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(120).default(8),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
  /** How often the sealer chains the access-log events that have committed. */
  AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** How many months of access-log partitions are kept ready ahead of the current one. */
  AUDIT_PARTITION_MONTHS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** Checkpoints: the folder, the key, how often, the witness, the ages (db/audit/config.ts). */
  ...AuditEnvSchema.shape,
});

export interface AuthSettings {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
}

/** The access log's background work: sealing, partitions ahead, and scheduled checkpoints. */
export interface AuditJobSettings {
  sealIntervalMs: number;
  partitionMonthsAhead: number;
  /**
   * Scheduled checkpoints, on by default: the key is AUDIT_SIGNING_KEY_FILE, or the default key,
   * made at first start when missing (createKey). Null only where a caller (a test) wants none.
   */
  checkpoints: {
    dir: string;
    signingKeyFile: string;
    createKey: boolean;
    keyName: string;
    intervalMs: number;
    witnessDir: string | null;
  } | null;
}

export interface ServerConfig {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  logLevel: string;
  trustProxy: string | undefined;
  shutdownGraceMs: number;
  /** How long the server keeps accepting (while answering /readyz with 503) before it stops. */
  shutdownDrainMs: number;
  auth: AuthSettings;
  database: DatabaseConfig;
  audit: AuditJobSettings;
}

/** Read every setting once at start-up. A bad value throws a ConfigurationError naming the variable. */
export function loadServerConfig(env: Environment = process.env): ServerConfig {
  const parsed = parseEnvironment(ServerEnvSchema, env);
  return {
    env: parsed.NODE_ENV,
    port: parsed.PORT,
    host: parsed.HOST,
    logLevel: parsed.LOG_LEVEL,
    trustProxy: parsed.TRUST_PROXY,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_SECONDS * 1000,
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS,
    auth: {
      idleTimeoutMs: parsed.SESSION_IDLE_MINUTES * 60_000,
      absoluteLifetimeMs: parsed.SESSION_ABSOLUTE_HOURS * 3_600_000,
    },
    database: toDatabaseConfig(parsed),
    audit: {
      sealIntervalMs: parsed.AUDIT_SEAL_INTERVAL_MS,
      partitionMonthsAhead: parsed.AUDIT_PARTITION_MONTHS_AHEAD,
      checkpoints: checkpointSettings(parsed),
    },
  };
}

/** Where and how the server signs checkpoints: the same settings the audit commands read. */
function checkpointSettings(
  parsed: z.infer<typeof ServerEnvSchema>,
): AuditJobSettings["checkpoints"] {
  const audit = toAuditConfig(parsed, path.resolve(parsed.DATA_DIR));
  return {
    dir: audit.checkpointDir,
    signingKeyFile: audit.signingKeyFile,
    createKey: audit.defaultKey,
    keyName: audit.keyName,
    intervalMs: audit.checkpointIntervalMs,
    witnessDir: audit.witnessDir,
  };
}
