import path from "node:path";
import { z } from "zod";
import { AuditEnvSchema, toAuditConfig } from "../db/audit/config";
import { defaultClientSecretKeyFile } from "./client-secret-key";
import type { MailSettings } from "./notification-mailer";
import {
  ConfigurationError,
  DatabaseEnvSchema,
  parseEnvironment,
  type Environment,
  toDatabaseConfig,
  type DatabaseConfig,
} from "../db/config";

/**
 * MAX_FORM_BYTES's default. The longest form (a decision to share, every answer at its limit, in
 * characters that take 4 bytes and 12 once URL-encoded) is about 150 KB.
 */
export const DEFAULT_MAX_FORM_BYTES = 256 * 1024;

/** PUBLIC_URL when neither it, HOST nor PORT is set: what the server then listens on. */
export const DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000";

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
  /** How long a second factor counts as fresh for a sensitive step; 0 asks every time. */
  STEP_UP_WINDOW_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(12 * 60)
    .default(15),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(120).default(8),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
  /** Where people reach Crosswalk, for links passed on (set-password links). Default: HOST:PORT. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// address" })
    .refine((value) => /^https?:\/\/[^/?#]+\/?$/.test(value), {
      error: "must be an address with no path, like https://crosswalk.example.org",
    })
    .optional(),
  /** The largest request body read; anything larger is answered 413. */
  MAX_FORM_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_FORM_BYTES),
  /** How often the sealer chains the access-log events that have committed. */
  AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** How many months of access-log partitions are kept ready ahead of the current one. */
  AUDIT_PARTITION_MONTHS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** Checkpoints: the folder, the key, how often, the witness, the ages (db/audit/config.ts). */
  ...AuditEnvSchema.shape,
  /** The key sealing single sign-on client secrets; default `<DATA_DIR>/sso-keys/client-secret.key`, made at first start. */
  SSO_SECRET_KEY_FILE: z.string().trim().min(1).optional(),
  /** Notification emails: the SMTP server (smtp:// or smtps://, with any credentials); off when unset. */
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// address" })
    .optional(),
  /** The From address of notification emails; required with SMTP_URL. */
  MAIL_FROM: z
    .string()
    .trim()
    .regex(/^([^<>@\s][^<>@]*<)?[^<>@\s]+@[^<>@\s]+>?$/, {
      error: "must be an email address, or a name and one: Crosswalk <crosswalk@example.org>",
    })
    .optional(),
  /** How often due notification emails are looked for. */
  MAIL_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
});

export interface AuthSettings {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  stepUpWindowMs: number;
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
  /** PUBLIC_URL as an origin (no trailing slash); by default the address listened on. */
  publicUrl: string;
  /** PUBLIC_URL was given (otherwise publicUrl follows the port actually listened on). */
  publicUrlConfigured: boolean;
  /** MAX_FORM_BYTES. */
  maxFormBytes: number;
  auth: AuthSettings;
  database: DatabaseConfig;
  audit: AuditJobSettings;
  /** Single sign-on: the file of the key that seals client secrets, made at start when `createKey`. */
  singleSignOn: { secretKeyFile: string; createKey: boolean };
  /** Notification emails: null (off) unless SMTP_URL is set. */
  mail: MailSettings | null;
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
    publicUrl: parsed.PUBLIC_URL
      ? new URL(parsed.PUBLIC_URL).origin
      : listeningUrl(parsed.HOST, parsed.PORT),
    publicUrlConfigured: parsed.PUBLIC_URL !== undefined,
    maxFormBytes: parsed.MAX_FORM_BYTES,
    auth: {
      idleTimeoutMs: parsed.SESSION_IDLE_MINUTES * 60_000,
      absoluteLifetimeMs: parsed.SESSION_ABSOLUTE_HOURS * 3_600_000,
      stepUpWindowMs: parsed.STEP_UP_WINDOW_MINUTES * 60_000,
    },
    database: toDatabaseConfig(parsed),
    audit: {
      sealIntervalMs: parsed.AUDIT_SEAL_INTERVAL_MS,
      partitionMonthsAhead: parsed.AUDIT_PARTITION_MONTHS_AHEAD,
      checkpoints: checkpointSettings(parsed),
    },
    singleSignOn: {
      secretKeyFile: path.resolve(
        parsed.SSO_SECRET_KEY_FILE ?? defaultClientSecretKeyFile(path.resolve(parsed.DATA_DIR)),
      ),
      createKey: parsed.SSO_SECRET_KEY_FILE === undefined,
    },
    mail: mailSettings(parsed),
  };
}

function mailSettings(parsed: z.infer<typeof ServerEnvSchema>): MailSettings | null {
  if (!parsed.SMTP_URL) return null;
  if (!parsed.MAIL_FROM) {
    throw new ConfigurationError(
      "MAIL_FROM must be set when SMTP_URL is (the emails' From address)",
    );
  }
  return { smtpUrl: parsed.SMTP_URL, from: parsed.MAIL_FROM, intervalMs: parsed.MAIL_INTERVAL_MS };
}

/**
 * The address a browser on this machine reaches the server at: HOST and PORT, with "localhost"
 * for every-interface addresses (0.0.0.0, ::) and brackets around other IPv6 addresses.
 */
export function listeningUrl(host: string, port: number): string {
  const name =
    host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return `http://${name}:${port}`;
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
