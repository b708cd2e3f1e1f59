import { checkpointTextHash, type CheckpointAt } from "./checkpoint";
import type { CheckpointCopies, CheckpointCopy, StoredCheckpoint } from "./checkpoint-store";
import type { VerifyFailure } from "./verify-range";

/**
 * What the copies of the checkpoints must say before the chains are read against them
 * (docs/decisions/014-default-signed-checkpoints.md). Each chain's checkpoints are numbered 1, 2,
 * 3, ... and each names the text of the one before it, so:
 *
 * - no note in any copy may be untrustworthy (a bad signature, a body its place disagrees with);
 * - a number that appears in two copies has the same text in both (else two histories were signed);
 * - the numbers run from 1 to the newest without a gap, each naming its predecessor's text;
 * - the checkpoint folder holds every one of them: one found only in the database's copy or the
 *   witness was removed from the folder;
 * - the database's copy, when it can be read, holds every one but perhaps the newest (which may be
 *   being written while the copies are read): one found only in the folders was removed there.
 *
 * The witness may lag (it is told of each checkpoint after the folder and the database, and may be
 * unreachable for a while); what it holds must agree, and how fresh it is is checked with the age.
 */

function hex(bytes: Buffer): string {
  return bytes.toString("hex");
}

function where(copy: CheckpointCopy): string {
  switch (copy.name) {
    case "folder":
      return `the checkpoint folder ${copy.where}`;
    case "witness":
      return `the witness ${copy.where}`;
    case "database":
      return `the database's copy (${copy.where})`;
  }
}

function describe(checkpoint: StoredCheckpoint): string {
  return `checkpoint ${checkpoint.sequence?.number} (seq ${checkpoint.seq}, signed ${new Date(checkpoint.sequence?.signedAt ?? 0).toISOString()})`;
}

function failure(chainId: string | null, problem: string): VerifyFailure {
  return { chainId, seq: null, eventId: null, problem };
}

/** The first thing wrong with the copies of the checkpoints, or null when they agree. */
export function checkCopies(copies: CheckpointCopies): VerifyFailure | null {
  const all = [copies.folder, copies.database, copies.witness].filter(
    (copy): copy is CheckpointCopy => copy !== null,
  );
  for (const copy of all) {
    const [problem] = copy.problems;
    if (problem) {
      return {
        chainId: problem.chainId,
        seq: problem.seq,
        eventId: null,
        problem: `checkpoint ${problem.file} cannot be trusted: ${problem.problem}`,
      };
    }
  }
  if (copies.witness && !copies.witness.present) {
    return failure(
      null,
      `the witness folder ${copies.witness.where} (AUDIT_WITNESS_DIR) does not exist: the checkpoints cannot be compared with the witness's copy`,
    );
  }

  // Every numbered checkpoint, by chain and number, with the copies that hold it.
  const chains = new Map<string, Map<number, Map<CheckpointCopy, StoredCheckpoint>>>();
  for (const copy of all) {
    for (const checkpoint of copy.checkpoints) {
      const number = checkpoint.sequence?.number;
      if (number === undefined) continue;
      const numbers =
        chains.get(checkpoint.chainId) ?? new Map<number, Map<CheckpointCopy, StoredCheckpoint>>();
      chains.set(checkpoint.chainId, numbers);
      const held = numbers.get(number) ?? new Map<CheckpointCopy, StoredCheckpoint>();
      numbers.set(number, held);
      for (const [other, theirs] of held) {
        if (theirs.text !== checkpoint.text) {
          return failure(
            checkpoint.chainId,
            `${where(other)} and ${where(copy)} hold different checkpoints numbered ${number} (${theirs.location}, ${checkpoint.location}): two histories were signed`,
          );
        }
      }
      held.set(copy, checkpoint);
    }
  }

  for (const chainId of [...chains.keys()].sort()) {
    const numbers = chains.get(chainId) as Map<number, Map<CheckpointCopy, StoredCheckpoint>>;
    const newest = Math.max(...numbers.keys());
    let previous: StoredCheckpoint | null = null;
    for (let number = 1; number <= newest; number += 1) {
      const held = numbers.get(number);
      if (!held) {
        const next = [...numbers.keys()].filter((n) => n > number).sort((a, b) => a - b)[0];
        const after = [...(numbers.get(next ?? 0)?.entries() ?? [])][0];
        return failure(
          chainId,
          `checkpoint ${number} is in no copy, yet ${after ? `${describe(after[1])} in ${where(after[0])}` : `checkpoint ${next}`} comes after it: checkpoints were removed`,
        );
      }
      const checkpoint = [...held.values()][0] as StoredCheckpoint;
      if (previous && checkpoint.sequence?.previous) {
        const expected = checkpointTextHash(previous.text);
        if (!checkpoint.sequence.previous.equals(expected)) {
          return failure(
            chainId,
            `${describe(checkpoint)} names a checkpoint before it whose text hashes to ${hex(checkpoint.sequence.previous)}, but checkpoint ${number - 1} hashes to ${hex(expected)}: the checkpoints were replaced`,
          );
        }
      }
      if (!held.has(copies.folder)) {
        const other = [...held.keys()][0] as CheckpointCopy;
        return failure(
          chainId,
          `${describe(checkpoint)} is in ${where(other)} but not in ${where(copies.folder)}: it was removed from the checkpoint folder`,
        );
      }
      if (copies.database && !held.has(copies.database) && number !== newest) {
        return failure(
          chainId,
          `${describe(checkpoint)} is in ${where(copies.folder)} but not in ${where(copies.database)}: it was removed from the database`,
        );
      }
      previous = checkpoint;
    }
  }
  return null;
}

/**
 * Every chain's checkpoints to read the chain against, one per size, in ascending size: a chain
 * head that did not move between two checkpoints is signed by both, and they must agree.
 */
export function checkpointsToMatch(copies: CheckpointCopies): {
  byChain: Map<string, CheckpointAt[]>;
  failure: VerifyFailure | null;
} {
  const bySeq = new Map<string, Map<number, StoredCheckpoint>>();
  for (const copy of [copies.folder, copies.database, copies.witness]) {
    for (const checkpoint of copy?.checkpoints ?? []) {
      const seqs = bySeq.get(checkpoint.chainId) ?? new Map<number, StoredCheckpoint>();
      bySeq.set(checkpoint.chainId, seqs);
      const other = seqs.get(checkpoint.seq);
      if (other && !other.hash.equals(checkpoint.hash)) {
        return {
          byChain: new Map(),
          failure: {
            chainId: checkpoint.chainId,
            seq: checkpoint.seq,
            eventId: null,
            problem: `two signed checkpoints give seq ${checkpoint.seq} different hashes (${other.location}: ${hex(other.hash)}; ${checkpoint.location}: ${hex(checkpoint.hash)}): history was rewritten between them`,
          },
        };
      }
      if (!other) seqs.set(checkpoint.seq, checkpoint);
    }
  }
  const byChain = new Map<string, CheckpointAt[]>();
  for (const [chainId, seqs] of bySeq) {
    byChain.set(
      chainId,
      [...seqs.values()]
        .sort((a, b) => a.seq - b.seq)
        .map(({ seq, hash, keyName }) => ({ chainId, seq, hash, keyName })),
    );
  }
  return { byChain, failure: null };
}

/** The newest numbered checkpoint of each chain that a copy holds. */
export function newestOf(copy: CheckpointCopy | null): Map<string, StoredCheckpoint> {
  const newest = new Map<string, StoredCheckpoint>();
  for (const checkpoint of copy?.checkpoints ?? []) {
    if (!checkpoint.sequence) continue;
    const known = newest.get(checkpoint.chainId);
    if (!known || (known.sequence?.number ?? 0) < checkpoint.sequence.number) {
      newest.set(checkpoint.chainId, checkpoint);
    }
  }
  return newest;
}
