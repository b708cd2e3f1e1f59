import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import type pg from "pg";
import {
  checkpointPath,
  checkpointTextHash,
  openCheckpoint,
  signCheckpoint,
  writeCheckpoint,
  type ChainHead,
  type SigningKey,
} from "./checkpoint";
import { fillCopies, readCopies, storeInDatabase, type Restored } from "./checkpoint-store";
import { sealCommitted } from "./seal";
import { verifyAuditLog, type VerifyOptions, type VerifyReport } from "./verify";

/** One checkpoint signed by a run. */
export interface SignedNote {
  head: ChainHead;
  /** Its number in the chain's sequence. */
  number: number;
  file: string;
  /** False when another signer wrote that chain's next checkpoint first; nothing else was written. */
  written: boolean;
  /** Whether it went into the database's copy (false when the role cannot write it). */
  inDatabase: boolean;
  /** Whether it went into the witness: null without one; false when that failed (see witnessErrors). */
  witnessed: boolean | null;
}

/** What one checkpoint run did. */
export interface CheckpointRun {
  /** Events sealed before verifying. */
  sealed: number;
  report: VerifyReport;
  /** The notes, one per chain (or per `at`). */
  notes: SignedNote[];
  /** Checkpoints one copy lacked and another held, put back before verifying. */
  restored: Restored[];
  /** Why the witness could not be read or written (it is caught up at a later run). */
  witnessErrors: string[];
}

/**
 * Seal what has committed, verify the whole log (against every copy of the checkpoints already
 * signed), and sign each chain's head as its next numbered checkpoint, naming the one before it:
 * into the folder `dir` first, then the database's copy (audit_checkpoints), then the witness
 * folder. Nothing is signed if verification fails: a checkpoint vouches for all the history before
 * it. A chain whose head has not moved is signed again, so that its newest checkpoint stays young
 * (`audit:verify` fails a chain whose newest checkpoint is too old). Before verifying, a numbered
 * checkpoint that one copy holds and another lacks is put back where it is missing (and reported):
 * a checkpoint is evidence, and the copies exist so that removing one does not lose it. Needs a
 * connection as the owner, which reads every chain and its head.
 */
export async function sealVerifyAndSign(
  client: pg.ClientBase,
  options: {
    key: SigningKey;
    dir: string;
    /** A folder the database's operators do not control, given a copy of every checkpoint. */
    witnessDir?: string | null;
    chains?: readonly string[];
    /** Sign checkpoints at these events instead of at each chain's head (to archive up to them). */
    at?: readonly { chainId: string; seq: number }[];
    parallel?: VerifyOptions["parallel"];
    onProgress?: VerifyOptions["onProgress"];
    /** The signing time (milliseconds since the epoch); default now. */
    now?: () => number;
  },
): Promise<CheckpointRun> {
  const publicKey = createPublicKey(options.key.privateKey);
  const witnessErrors: string[] = [];
  let witnessDir = options.witnessDir ?? null;
  if (witnessDir && !existsSync(witnessDir)) {
    // Checkpoints go on being signed into the folder and the database; audit:verify fails until
    // the witness is back and caught up.
    witnessErrors.push(`the witness folder ${witnessDir} does not exist`);
    witnessDir = null;
  }
  const sources = { dir: options.dir, witnessDir };
  const only = options.chains ? options.chains.map((id) => id.toLowerCase()) : null;

  const sealed = await sealCommitted(client);
  const restored = await fillCopies(
    client,
    await readCopies(client, sources, publicKey, only),
    sources,
  );
  for (const entry of restored) {
    if (entry.into === "witness" && entry.error) witnessErrors.push(entry.error);
  }
  const report = await verifyAuditLog(client, {
    ...(options.chains ? { chains: options.chains } : {}),
    ...(options.parallel ? { parallel: options.parallel } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.at ? { capture: options.at } : {}),
    checkpoints: { ...sources, publicKey },
  });
  const notes: SignedNote[] = [];
  if (!report.ok) return { sealed, report, notes, restored, witnessErrors };
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

  const newest = new Map(
    report.chains.map((chain) => [
      chain.chainId,
      chain.newestCheckpoint && {
        number: chain.newestCheckpoint.number,
        text: chain.newestCheckpoint.text,
      },
    ]),
  );
  const now = options.now ?? Date.now;
  for (const head of heads) {
    const before = newest.get(head.chainId) ?? null;
    const sequence = {
      number: (before?.number ?? 0) + 1,
      signedAt: now(),
      previous: before ? checkpointTextHash(before.text) : null,
    };
    const note = signCheckpoint(head, options.key, sequence);
    const checkpoint = openCheckpoint(note, publicKey);
    const file = checkpointPath(options.dir, checkpoint);
    const signed: SignedNote = {
      head,
      number: sequence.number,
      file,
      written: await writeCheckpoint(options.dir, checkpoint, note),
      inDatabase: false,
      witnessed: witnessDir ? false : null,
    };
    notes.push(signed);
    // Another signer (a second server on the same folder) took this number: leave the chain to it.
    if (!signed.written) continue;
    newest.set(head.chainId, { number: sequence.number, text: checkpoint.text });
    if (report.copies?.database)
      signed.inDatabase = await storeInDatabase(client, checkpoint, note);
    if (witnessDir) {
      try {
        signed.witnessed = await writeCheckpoint(witnessDir, checkpoint, note, {
          createDir: false,
        });
      } catch (error) {
        witnessErrors.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  return { sealed, report, notes, restored, witnessErrors };
}
