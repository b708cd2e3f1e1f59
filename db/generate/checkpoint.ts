import type pg from "pg";
import { existsSync } from "node:fs";
import { loadAuditConfig } from "../audit/config";
import { ensureSigningKey, readSigningKey } from "../audit/checkpoint";
import { sealVerifyAndSign } from "../audit/checkpoint-run";
import { describeFailure, describeReport } from "../audit/report";
import type { Environment } from "../config";

/**
 * Sign every chain's head after generating, as `npm run audit:checkpoint` does: seal what waits,
 * verify the whole log, and sign. Without it `npm run audit:verify` would fail at once, since a
 * generated chain's first event is years old and nothing would vouch for it. With no
 * AUDIT_SIGNING_KEY_FILE the default key in DATA_DIR/audit-keys is used, and made if missing, as
 * the server's first start would make it. Returns what to print.
 */
export async function signGeneratedLog(
  client: pg.ClientBase,
  connection: { url: string; role: string | null },
  workers: number,
  env: Environment = process.env,
): Promise<{ ok: boolean; lines: string[] }> {
  const audit = loadAuditConfig(env);
  if (audit.defaultKey) await ensureSigningKey(audit.signingKeyFile);
  if (!existsSync(audit.signingKeyFile)) {
    return {
      ok: false,
      lines: [
        `No checkpoint signed: no signing key at ${audit.signingKeyFile} (AUDIT_SIGNING_KEY_FILE); sign with npm run audit:checkpoint.`,
      ],
    };
  }
  const key = await readSigningKey(audit.signingKeyFile, audit.keyName);
  const run = await sealVerifyAndSign(client, {
    key,
    dir: audit.checkpointDir,
    witnessDir: audit.witnessDir,
    parallel: { connection, workers },
  });
  if (!run.report.ok && run.report.failure) {
    return {
      ok: false,
      lines: [
        describeFailure(run.report.failure),
        "No checkpoint signed: the log does not verify.",
      ],
    };
  }
  return {
    ok: run.witnessErrors.length === 0,
    lines: [
      describeReport(run.report, { publicKey: true }),
      ...run.notes.map((note) => `signed    ${note.file} (checkpoint ${note.number})`),
      ...[...new Set(run.witnessErrors)].map(
        (problem) => `The witness was not given the checkpoints: ${problem}`,
      ),
    ],
  };
}
