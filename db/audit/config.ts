import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DatabaseEnvSchema, parseEnvironment, type Environment } from "../config";
import { DEFAULT_KEY_NAME, SIGNING_KEY_FILE_NAME, publicKeyFileFor } from "./checkpoint";

/** The access-log settings the audit commands (and the server's checkpoints) read from the environment. */
export const AuditEnvSchema = z.object({
  /** Where checkpoint notes are written and read; default `<DATA_DIR>/checkpoints`. */
  AUDIT_CHECKPOINT_DIR: z.string().trim().min(1).optional(),
  /**
   * The Ed25519 private key (PEM) that signs checkpoints; never given to the database. Default
   * `<DATA_DIR>/audit-keys/audit-signing-key.pem`, which the server makes at its first start.
   */
  AUDIT_SIGNING_KEY_FILE: z.string().trim().min(1).optional(),
  /** Its public key (PEM), which is all a verifier needs; default the one beside the signing key. */
  AUDIT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  /** The key name in the signature lines of the notes. */
  AUDIT_SIGNING_KEY_NAME: z
    .string()
    .trim()
    .regex(/^[^\s+]+$/, 'must not contain spaces or "+"')
    .default(DEFAULT_KEY_NAME),
  /** A folder the database's operators do not control, given a copy of every checkpoint. */
  AUDIT_WITNESS_DIR: z.string().trim().min(1).optional(),
  /** How often the server signs every chain's head. */
  AUDIT_CHECKPOINT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(10),
  /**
   * `audit:verify` fails a chain whose newest checkpoint is older than this (0: not checked);
   * default three times AUDIT_CHECKPOINT_MINUTES.
   */
  AUDIT_MAX_CHECKPOINT_AGE_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(3 * 7 * 24 * 60)
    .optional(),
  /** `audit:verify` fails when an event has waited longer than this to be sealed. */
  AUDIT_MAX_UNSEALED_MINUTES: z.coerce
    .number()
    .min(0)
    .max(24 * 60)
    .default(5),
});

export type AuditEnv = z.infer<typeof AuditEnvSchema>;

export interface AuditConfig {
  checkpointDir: string;
  /** The signing key: AUDIT_SIGNING_KEY_FILE, or the default key in `<DATA_DIR>/audit-keys`. */
  signingKeyFile: string;
  /** True when AUDIT_SIGNING_KEY_FILE is unset: the server makes the default key if it is missing. */
  defaultKey: boolean;
  /** AUDIT_PUBLIC_KEY_FILE, when set; otherwise the public key is found beside the signing key. */
  publicKeyFile: string | undefined;
  witnessDir: string | null;
  keyName: string;
  checkpointIntervalMs: number;
  /** The oldest a chain's newest checkpoint may be in verification; null: not checked. */
  maxCheckpointAgeMs: number | null;
  /** The oldest an unsealed event may be before verification reports a stalled sealer. */
  maxUnsealedAgeMs: number;
}

/** The folder of the default signing key, under DATA_DIR. */
export function defaultKeyDir(dataDir: string): string {
  return path.join(dataDir, "audit-keys");
}

/** Turn parsed access-log variables into settings; relative paths are taken from here. */
export function toAuditConfig(parsed: AuditEnv, dataDir: string): AuditConfig {
  const minutes = parsed.AUDIT_CHECKPOINT_MINUTES;
  const maxAgeMinutes = parsed.AUDIT_MAX_CHECKPOINT_AGE_MINUTES ?? 3 * minutes;
  return {
    checkpointDir: path.resolve(parsed.AUDIT_CHECKPOINT_DIR ?? path.join(dataDir, "checkpoints")),
    signingKeyFile: path.resolve(
      parsed.AUDIT_SIGNING_KEY_FILE ?? path.join(defaultKeyDir(dataDir), SIGNING_KEY_FILE_NAME),
    ),
    defaultKey: parsed.AUDIT_SIGNING_KEY_FILE === undefined,
    publicKeyFile: parsed.AUDIT_PUBLIC_KEY_FILE && path.resolve(parsed.AUDIT_PUBLIC_KEY_FILE),
    witnessDir: parsed.AUDIT_WITNESS_DIR ? path.resolve(parsed.AUDIT_WITNESS_DIR) : null,
    keyName: parsed.AUDIT_SIGNING_KEY_NAME,
    checkpointIntervalMs: minutes * 60_000,
    maxCheckpointAgeMs: maxAgeMinutes === 0 ? null : maxAgeMinutes * 60_000,
    maxUnsealedAgeMs: parsed.AUDIT_MAX_UNSEALED_MINUTES * 60_000,
  };
}

/** Read the access-log settings from the environment. */
export function loadAuditConfig(env: Environment = process.env): AuditConfig {
  const parsed = parseEnvironment(
    AuditEnvSchema.extend({ DATA_DIR: DatabaseEnvSchema.shape.DATA_DIR }),
    env,
  );
  return toAuditConfig(parsed, path.resolve(parsed.DATA_DIR));
}

/**
 * The file to read the audit public key from: AUDIT_PUBLIC_KEY_FILE when set (it must exist);
 * otherwise the public key beside the signing key, or the signing key itself; null when neither
 * is there (no key was ever made).
 */
export function publicKeyFileOf(config: AuditConfig): string | null {
  if (config.publicKeyFile) return config.publicKeyFile;
  const beside = publicKeyFileFor(config.signingKeyFile);
  if (existsSync(beside)) return beside;
  return existsSync(config.signingKeyFile) ? config.signingKeyFile : null;
}
