import { createPublicKey } from "node:crypto";
import type pg from "pg";
import {
  checkpointPath,
  signCheckpoint,
  writeCheckpoint,
  type ChainHead,
  type SigningKey,
} from "./checkpoint";
import { sealAll, sealOver } from "./seal";
import { verifyAuditLog, type VerifyOptions, type VerifyReport } from "./verify";

/** What one checkpoint run did. */
export interface CheckpointRun {
  /** Events sealed before verifying. */
  sealed: number;
  report: VerifyReport;
  /** The notes, one per chain: written now, or already there (a note is never replaced). */
  notes: { head: ChainHead; file: string; written: boolean }[];
}

/**
 * Seal what has committed, verify the whole log (against the checkpoints already signed), and
 * sign each chain's head as a checkpoint note in `dir`. Nothing is signed if verification fails: a
 * checkpoint vouches for all the history before it. Needs a connection as the owner, which reads
 * every chain and its head.
 */
export async function sealVerifyAndSign(
  client: pg.ClientBase,
  options: {
    key: SigningKey;
    dir: string;
    chains?: readonly string[];
    /** Sign checkpoints at these events instead of at each chain's head (to archive up to them). */
    at?: readonly { chainId: string; seq: number }[];
    parallel?: VerifyOptions["parallel"];
    onProgress?: VerifyOptions["onProgress"];
  },
): Promise<CheckpointRun> {
  const sealed = await sealAll(sealOver(client));
  const report = await verifyAuditLog(client, {
    ...(options.chains ? { chains: options.chains } : {}),
    ...(options.parallel ? { parallel: options.parallel } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.at ? { capture: options.at } : {}),
    checkpoints: { dir: options.dir, publicKey: createPublicKey(options.key.privateKey) },
  });
  const notes: CheckpointRun["notes"] = [];
  if (!report.ok) return { sealed, report, notes };
  let heads: ChainHead[] = report.chains.flatMap((chain) => (chain.head ? [chain.head] : []));
  if (options.at) {
    for (const wanted of options.at) {
      const found = report.captured.some(
        (entry) => entry.chainId === wanted.chainId.toLowerCase() && entry.seq === wanted.seq,
      );
      if (!found) {
        throw new Error(`chain ${wanted.chainId} has no sealed event at seq ${wanted.seq}`);
      }
    }
    heads = report.captured;
  }
  for (const head of heads) {
    const written = await writeCheckpoint(options.dir, head, signCheckpoint(head, options.key));
    notes.push({ head, file: checkpointPath(options.dir, head), written });
  }
  return { sealed, report, notes };
}
