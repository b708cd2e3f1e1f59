import type { KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import type pg from "pg";
import {
  CheckpointInvalid,
  openCached,
  readCheckpoints,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointFileProblem,
} from "./checkpoint";

/**
 * The copies of the signed checkpoints (docs/decisions/014-default-signed-checkpoints.md): the
 * checkpoint folder (AUDIT_CHECKPOINT_DIR), the database's copy (the table audit_checkpoints,
 * which only the owner reaches), and a witness folder the database's operators do not control
 * (AUDIT_WITNESS_DIR). Each copy can be changed by different people; verification requires them
 * to agree, so that a checkpoint removed from one is still found in another.
 */

/** Which copy: the checkpoint folder, the witness folder, or the database's. */
export type CopyName = "folder" | "witness" | "database";

/** A checkpoint as one copy holds it. */
export interface StoredCheckpoint extends Checkpoint {
  /** Where it is, for messages: a file, or the table and row. */
  location: string;
  /** The note as stored (text and signature lines). */
  note: string;
}

/** One copy's checkpoints, opened with the audit public key. */
export interface CheckpointCopy {
  name: CopyName;
  /** Where the copy is: a folder, or the table. */
  where: string;
  /** False for a witness folder that does not exist (not mounted, say). */
  present: boolean;
  checkpoints: StoredCheckpoint[];
  /** Notes that could not be trusted: a bad signature, or a body its place disagrees with. */
  problems: CheckpointFileProblem[];
}

/** Every copy that could be read. */
export interface CheckpointCopies {
  folder: CheckpointCopy;
  /** Null when no witness is configured. */
  witness: CheckpointCopy | null;
  /** Null when the connected role cannot read audit_checkpoints (or it does not exist yet). */
  database: CheckpointCopy | null;
}

/** Where the copies are. */
export interface CheckpointSources {
  dir: string;
  witnessDir?: string | null;
}

/** The table that holds the database's copy. */
export const CHECKPOINT_TABLE = "audit_checkpoints";

/** Read one folder of checkpoint notes as a copy. */
export async function readFolderCopy(
  name: "folder" | "witness",
  dir: string,
  publicKey: KeyObject,
  opened: Map<string, Checkpoint>,
): Promise<CheckpointCopy> {
  const { checkpoints, problems } = await readCheckpoints(dir, publicKey, opened);
  return {
    name,
    where: dir,
    present: existsSync(dir),
    checkpoints: checkpoints.map(({ file, ...checkpoint }) => ({ ...checkpoint, location: file })),
    problems,
  };
}

/** Whether the connected role can read the database's copy of the checkpoints. */
export async function canReadDatabaseCopy(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ readable: boolean }>(
    `select to_regclass('public.${CHECKPOINT_TABLE}') is not null
        and has_table_privilege('public.${CHECKPOINT_TABLE}', 'select') as readable`,
  );
  return result.rows[0]?.readable === true;
}

/** Read the database's copy of the checkpoints (some chains, or all); null when unreadable. */
export async function readDatabaseCopy(
  client: pg.ClientBase,
  publicKey: KeyObject,
  opened: Map<string, Checkpoint>,
  only: readonly string[] | null = null,
): Promise<CheckpointCopy | null> {
  if (!(await canReadDatabaseCopy(client))) return null;
  const rows = await client.query<{
    chain_id: string;
    number: string;
    chain_seq: string;
    signed_at: Date;
    note: string;
  }>(
    `select chain_id::text as chain_id, number::text as number, chain_seq::text as chain_seq,
            signed_at, note
     from ${CHECKPOINT_TABLE} ${only ? "where chain_id = any($1::uuid[])" : ""}
     order by chain_id, number`,
    only ? [only] : [],
  );
  const copy: CheckpointCopy = {
    name: "database",
    where: CHECKPOINT_TABLE,
    present: true,
    checkpoints: [],
    problems: [],
  };
  for (const row of rows.rows) {
    const location = `${CHECKPOINT_TABLE} (chain ${row.chain_id}, checkpoint ${row.number})`;
    try {
      const checkpoint = openCached(row.note, publicKey, opened);
      // The columns are for reading the table; the note is what counts, and they must agree.
      if (
        checkpoint.chainId !== row.chain_id ||
        checkpoint.sequence?.number !== Number(row.number) ||
        checkpoint.seq !== Number(row.chain_seq) ||
        checkpoint.sequence.signedAt !== row.signed_at.getTime()
      ) {
        throw new CheckpointInvalid("its row's columns disagree with its signed note");
      }
      copy.checkpoints.push({ ...checkpoint, location, note: row.note });
    } catch (error) {
      if (!(error instanceof CheckpointInvalid)) throw error;
      copy.problems.push({
        file: location,
        chainId: row.chain_id,
        seq: Number(row.chain_seq),
        problem: error.message,
      });
    }
  }
  return copy;
}

/**
 * Read every copy, in the order the signer writes them backwards (database, witness, folder),
 * so that a checkpoint signed while they are read is never found in a later copy but missing
 * from an earlier one: the signer writes the folder first, then the database, then the witness.
 */
export async function readCopies(
  client: pg.ClientBase,
  sources: CheckpointSources,
  publicKey: KeyObject,
  only: readonly string[] | null = null,
): Promise<CheckpointCopies> {
  const opened = new Map<string, Checkpoint>();
  const keep = (copy: CheckpointCopy): CheckpointCopy =>
    only
      ? {
          ...copy,
          checkpoints: copy.checkpoints.filter((checkpoint) => only.includes(checkpoint.chainId)),
          problems: copy.problems.filter(
            (problem) => problem.chainId !== null && only.includes(problem.chainId),
          ),
        }
      : copy;
  const database = await readDatabaseCopy(client, publicKey, opened, only);
  const witness = sources.witnessDir
    ? keep(await readFolderCopy("witness", sources.witnessDir, publicKey, opened))
    : null;
  const folder = keep(await readFolderCopy("folder", sources.dir, publicKey, opened));
  return { folder, witness, database };
}

/** Add a checkpoint to the database's copy; false when that chain's number is already there. */
export async function storeInDatabase(
  client: pg.ClientBase,
  checkpoint: Checkpoint,
  note: string,
): Promise<boolean> {
  if (!checkpoint.sequence) throw new Error("only a numbered checkpoint is kept in the database");
  const result = await client.query(
    `insert into ${CHECKPOINT_TABLE} (chain_id, number, chain_seq, signed_at, note)
     values ($1::uuid, $2, $3, $4, $5)
     on conflict (chain_id, number) do nothing`,
    [
      checkpoint.chainId,
      checkpoint.sequence.number,
      checkpoint.seq,
      new Date(checkpoint.sequence.signedAt),
      note,
    ],
  );
  return result.rowCount === 1;
}

/** A checkpoint one copy lacks and another holds, put back (or not) where it was missing. */
export interface Restored {
  chainId: string;
  number: number;
  /** The copy it was missing from, and the one it was copied from. */
  into: CopyName;
  from: CopyName;
  /** Null when it was put back; otherwise why it could not be. */
  error: string | null;
}

/**
 * Put every numbered checkpoint that one copy holds into the copies that lack it, never
 * replacing one that is there (a different checkpoint under the same number is for verification
 * to report). The witness folder itself is never created: one that is not mounted is an error.
 */
export async function fillCopies(
  client: pg.ClientBase | null,
  copies: CheckpointCopies,
  sources: CheckpointSources,
): Promise<Restored[]> {
  const restored: Restored[] = [];
  const all = [copies.folder, copies.database, copies.witness].filter(
    (copy): copy is CheckpointCopy => copy !== null && copy.present,
  );
  const key = (checkpoint: Checkpoint) => `${checkpoint.chainId}:${checkpoint.sequence?.number}`;
  const held = new Map(all.map((copy) => [copy.name, new Set(copy.checkpoints.map(key))]));
  const union = new Map<string, { checkpoint: StoredCheckpoint; from: CopyName }>();
  for (const copy of all) {
    for (const checkpoint of copy.checkpoints) {
      if (checkpoint.sequence && !union.has(key(checkpoint))) {
        union.set(key(checkpoint), { checkpoint, from: copy.name });
      }
    }
  }
  for (const { checkpoint, from } of union.values()) {
    for (const copy of all) {
      if (held.get(copy.name)?.has(key(checkpoint))) continue;
      const entry: Restored = {
        chainId: checkpoint.chainId,
        number: checkpoint.sequence?.number ?? 0,
        into: copy.name,
        from,
        error: null,
      };
      try {
        if (copy.name === "database") {
          if (client) await storeInDatabase(client, checkpoint, checkpoint.note);
        } else {
          const dir = copy.name === "folder" ? sources.dir : (sources.witnessDir ?? "");
          await writeCheckpoint(dir, checkpoint, checkpoint.note, {
            createDir: copy.name === "folder",
          });
        }
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
      }
      restored.push(entry);
    }
  }
  return restored;
}
