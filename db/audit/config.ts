import path from "node:path";
import { z } from "zod";
import { parseEnvironment, type Environment } from "../config";
import { DEFAULT_KEY_NAME } from "./checkpoint";

/** The access-log settings the audit commands read from the environment. */
export const AuditEnvSchema = z.object({
  /** Where checkpoint notes are written and read: `<dir>/<chain id>/<seq>.note`. */
  AUDIT_CHECKPOINT_DIR: z.string().trim().min(1).default(path.join(".data", "checkpoints")),
  /** The Ed25519 private key (PEM) that signs checkpoints. Never given to the database. */
  AUDIT_SIGNING_KEY_FILE: z.string().trim().min(1).optional(),
  /** Its public key (PEM), which is all a verifier needs. */
  AUDIT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  /** The key name in the signature lines of the notes. */
  AUDIT_SIGNING_KEY_NAME: z
    .string()
    .trim()
    .regex(/^[^\s+]+$/, 'must not contain spaces or "+"')
    .default(DEFAULT_KEY_NAME),
  /** `audit:verify` fails when an event has waited longer than this to be sealed. */
  AUDIT_MAX_UNSEALED_MINUTES: z.coerce
    .number()
    .min(0)
    .max(24 * 60)
    .default(5),
});

export interface AuditConfig {
  checkpointDir: string;
  signingKeyFile: string | undefined;
  publicKeyFile: string | undefined;
  keyName: string;
  /** The oldest an unsealed event may be before verification reports a stalled sealer. */
  maxUnsealedAgeMs: number;
}

/** Read the access-log settings from the environment. */
export function loadAuditConfig(env: Environment = process.env): AuditConfig {
  const parsed = parseEnvironment(AuditEnvSchema, env);
  return {
    checkpointDir: path.resolve(parsed.AUDIT_CHECKPOINT_DIR),
    signingKeyFile: parsed.AUDIT_SIGNING_KEY_FILE && path.resolve(parsed.AUDIT_SIGNING_KEY_FILE),
    publicKeyFile: parsed.AUDIT_PUBLIC_KEY_FILE && path.resolve(parsed.AUDIT_PUBLIC_KEY_FILE),
    keyName: parsed.AUDIT_SIGNING_KEY_NAME,
    maxUnsealedAgeMs: parsed.AUDIT_MAX_UNSEALED_MINUTES * 60_000,
  };
}
