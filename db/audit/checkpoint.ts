import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * Signed checkpoints of the access log's hash chains, as C2SP signed notes
 * (https://c2sp.org/signed-note) whose body follows the C2SP checkpoint layout: origin, size and
 * root hash, one per line. Here the "root hash" is the hash of a chain's newest event and the size
 * its chain_seq. The signing key lives outside the database, so whoever controls the database can
 * rewrite history but cannot sign the rewrite; a checkpoint published before it proves it.
 * Checkpoints are numbered per chain, each naming the one before it (decision 014), so that one
 * removed from the sequence is missed.
 */

/** The key name used when AUDIT_SIGNING_KEY_NAME is not set. */
export const DEFAULT_KEY_NAME = "crosswalk-audit";

/** The head of one chain at a moment: its newest event's chain_seq and hash. */
export interface ChainHead {
  chainId: string;
  seq: number;
  hash: Buffer;
}

/**
 * What places a checkpoint in its chain's sequence of checkpoints (decision 014): its number (1,
 * 2, 3, ... per chain), when it was signed, and the SHA-256 of the text of the checkpoint before
 * it, so that a checkpoint removed from the sequence leaves a gap, and one replaced a mismatch.
 */
export interface CheckpointSequence {
  number: number;
  /** When it was signed, in milliseconds since the Unix epoch (the signer's clock). */
  signedAt: number;
  /** SHA-256 of checkpoint `number - 1`'s text; null for a chain's first checkpoint. */
  previous: Buffer | null;
}

/** A checkpoint whose signature verified. */
export interface Checkpoint extends ChainHead {
  origin: string;
  /** The key name of the signature that verified. */
  keyName: string;
  /** The signed text of the note (without its signature lines). */
  text: string;
  /** Its place in the chain's sequence; null for a note signed before there was one. */
  sequence: CheckpointSequence | null;
}

/** What matching a checkpoint against the chain needs: the event it names, and who signed it. */
export type CheckpointAt = Pick<Checkpoint, "chainId" | "seq" | "hash" | "keyName">;

/** A key that signs checkpoints: a name and an Ed25519 private key. */
export interface SigningKey {
  name: string;
  privateKey: KeyObject;
}

/** Thrown when a note is malformed, names another log, or carries no valid signature. */
export class CheckpointInvalid extends Error {
  override name = "CheckpointInvalid";
}

// C2SP signed-note: the signature type byte of Ed25519 keys.
const ED25519_SIGNATURE_TYPE = 0x01;
const SIGNATURE_PREFIX = "\u2014 ";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The origin line of a chain's checkpoints: names the log so a note cannot be replayed for another. */
export function checkpointOrigin(chainId: string): string {
  return `crosswalk/${chainId}`;
}

/**
 * The checkpoint body: origin, size and base64 hash, each on its own line; then, for a checkpoint
 * in a sequence, the extension lines `checkpoint <number>`, `signed <ISO 8601 time>` and (after the
 * first) `previous <base64 SHA-256 of the previous checkpoint's text>`.
 */
export function checkpointBody(
  head: ChainHead,
  sequence: CheckpointSequence | null = null,
): string {
  const lines = [checkpointOrigin(head.chainId), String(head.seq), head.hash.toString("base64")];
  if (sequence) {
    if (!Number.isSafeInteger(sequence.number) || sequence.number < 1) {
      throw new CheckpointInvalid("a checkpoint's number is a whole number from 1");
    }
    if ((sequence.number === 1) !== (sequence.previous === null)) {
      throw new CheckpointInvalid("every checkpoint but a chain's first names the one before it");
    }
    lines.push(
      `checkpoint ${sequence.number}`,
      `signed ${new Date(sequence.signedAt).toISOString()}`,
    );
    if (sequence.previous) lines.push(`previous ${sequence.previous.toString("base64")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The SHA-256 of a checkpoint's text, by which the checkpoint after it names it. */
export function checkpointTextHash(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || !jwk.x) throw new CheckpointInvalid("the key is not an Ed25519 key");
  return Buffer.from(jwk.x, "base64url");
}

function assertKeyName(name: string): void {
  if (!name || /[\s+]/u.test(name)) {
    throw new CheckpointInvalid(
      `key name ${JSON.stringify(name)} must be non-empty, without spaces or "+"`,
    );
  }
}

/** The 4-byte key hash of C2SP signed notes: SHA-256(name || "\n" || 0x01 || public key)[:4]. */
export function keyHash(name: string, publicKey: KeyObject): Buffer {
  return createHash("sha256")
    .update(name, "utf8")
    .update(Buffer.from([0x0a, ED25519_SIGNATURE_TYPE]))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** The C2SP verifier key string (`name+hash+key`) that others can use to check our checkpoints. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  assertKeyName(name);
  const key = Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), rawPublicKey(publicKey)]);
  return `${name}+${keyHash(name, publicKey).toString("hex")}+${key.toString("base64")}`;
}

/** Sign a text (ending in a newline) as a C2SP signed note. */
export function signNote(text: string, key: SigningKey): string {
  assertKeyName(key.name);
  if (!text.endsWith("\n")) throw new CheckpointInvalid("a note's text ends with a newline");
  const publicKey = createPublicKey(key.privateKey);
  const signature = sign(null, Buffer.from(text, "utf8"), key.privateKey);
  const blob = Buffer.concat([keyHash(key.name, publicKey), signature]).toString("base64");
  return `${text}\n${SIGNATURE_PREFIX}${key.name} ${blob}\n`;
}

/**
 * Open a C2SP signed note: find a signature by `publicKey` (its key hash matches under the name on
 * its line) and check it over the text. Signatures by other keys are ignored, as the format allows;
 * a signature by this key that does not verify means the note was changed.
 */
export function openNote(note: string, publicKey: KeyObject): { text: string; keyName: string } {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new CheckpointInvalid("not a signed note");
  const text = note.slice(0, split + 1);
  for (const line of note.slice(split + 2, -1).split("\n")) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new CheckpointInvalid("malformed signature line");
    const [name, blob, ...rest] = line.slice(SIGNATURE_PREFIX.length).split(" ");
    if (!name || !blob || rest.length) throw new CheckpointInvalid("malformed signature line");
    const bytes = Buffer.from(blob, "base64");
    if (bytes.length !== 68 || bytes.toString("base64") !== blob) continue;
    if (!bytes.subarray(0, 4).equals(keyHash(name, publicKey))) continue;
    if (!verify(null, Buffer.from(text, "utf8"), publicKey, bytes.subarray(4))) {
      throw new CheckpointInvalid("the signature does not verify: the note was changed");
    }
    return { text, keyName: name };
  }
  throw new CheckpointInvalid("no signature by the audit public key");
}

/** Sign a chain head as a checkpoint note, numbered in its chain's sequence when `sequence` is given. */
export function signCheckpoint(
  head: ChainHead,
  key: SigningKey,
  sequence: CheckpointSequence | null = null,
): string {
  return signNote(checkpointBody(head, sequence), key);
}

function base64Hash(value: string | undefined, what: string): Buffer {
  const bytes = Buffer.from(value ?? "", "base64");
  if (bytes.length !== 32 || bytes.toString("base64") !== value) {
    throw new CheckpointInvalid(`malformed ${what}`);
  }
  return bytes;
}

/** The sequence extension lines of a checkpoint, if it has them. */
function readSequence(extensions: readonly string[]): CheckpointSequence | null {
  const values = new Map<string, string>();
  for (const line of extensions) {
    const [name, value, ...rest] = line.split(" ");
    if (name !== "checkpoint" && name !== "signed" && name !== "previous") continue;
    if (!value || rest.length || values.has(name)) {
      throw new CheckpointInvalid(`malformed ${name} line`);
    }
    values.set(name, value);
  }
  if (values.size === 0) return null;
  const number = values.get("checkpoint") ?? "";
  if (!/^[1-9][0-9]*$/.test(number) || !Number.isSafeInteger(Number(number))) {
    throw new CheckpointInvalid("malformed checkpoint line");
  }
  const signed = values.get("signed") ?? "";
  const signedAt = Date.parse(signed);
  if (!Number.isFinite(signedAt) || new Date(signedAt).toISOString() !== signed) {
    throw new CheckpointInvalid("malformed signed line");
  }
  const previousText = values.get("previous");
  const previous = previousText === undefined ? null : base64Hash(previousText, "previous line");
  if ((Number(number) === 1) !== (previous === null)) {
    throw new CheckpointInvalid("every checkpoint but a chain's first names the one before it");
  }
  return { number: Number(number), signedAt, previous };
}

/** Open a checkpoint note signed by `publicKey` and read the chain head it vouches for. */
export function openCheckpoint(note: string, publicKey: KeyObject): Checkpoint {
  const { text, keyName } = openNote(note, publicKey);
  const [origin, size, hash, ...extensions] = text.slice(0, -1).split("\n");
  const chainId = origin?.startsWith("crosswalk/") ? origin.slice("crosswalk/".length) : "";
  if (!UUID.test(chainId)) throw new CheckpointInvalid(`unknown origin ${JSON.stringify(origin)}`);
  if (!size || !/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new CheckpointInvalid("malformed size line");
  }
  const hashBytes = base64Hash(hash, "hash line");
  if (extensions.some((line) => line === "")) throw new CheckpointInvalid("empty extension line");
  return {
    origin: origin ?? "",
    chainId,
    seq: Number(size),
    hash: hashBytes,
    keyName,
    text,
    sequence: readSequence(extensions),
  };
}

/** A new Ed25519 key pair, as PEM: PKCS#8 private key and SPKI public key. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** The private key's file name in a key folder (`npm run audit:keygen`, or the server's first start). */
export const SIGNING_KEY_FILE_NAME = "audit-signing-key.pem";

/** Where the public key of a private key file is kept: beside it, `<name>.pub.pem`. */
export function publicKeyFileFor(privateKeyFile: string): string {
  return privateKeyFile.replace(/(\.pem)?$/, ".pub.pem");
}

/**
 * Make an Ed25519 key pair at `privateKeyFile` (mode 0600, in a folder of mode 0700 that only
 * this user can enter) with its public key beside it, unless the private key is already there.
 * Never replaces a key: the checkpoints it signed would no longer verify.
 */
export async function ensureSigningKey(
  privateKeyFile: string,
): Promise<{ created: boolean; publicKeyFile: string }> {
  const publicKeyFile = publicKeyFileFor(privateKeyFile);
  const dir = path.dirname(privateKeyFile);
  if (existsSync(privateKeyFile)) {
    // A key made by an older version, or by hand, may lack its public half: add it.
    if (!existsSync(publicKeyFile)) {
      const publicKey = createPublicKey(await fs.readFile(privateKeyFile, "utf8"));
      await fs.writeFile(publicKeyFile, publicKey.export({ format: "pem", type: "spki" }), {
        mode: 0o644,
        flag: "wx",
      });
    }
    return { created: false, publicKeyFile };
  }
  const { privateKeyPem, publicKeyPem } = generateSigningKeyPair();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing folder as it was, and its mode is subject to the umask.
  await fs.chmod(dir, 0o700);
  await fs.writeFile(privateKeyFile, privateKeyPem, { mode: 0o600, flag: "wx" });
  await fs.writeFile(publicKeyFile, publicKeyPem, { mode: 0o644, flag: "wx" });
  return { created: true, publicKeyFile };
}

/** Read an Ed25519 private key (PEM) from a file. */
export async function readSigningKey(file: string, name: string): Promise<SigningKey> {
  assertKeyName(name);
  const privateKey = createPrivateKey(await fs.readFile(file, "utf8"));
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new CheckpointInvalid(`${file} does not hold an Ed25519 private key`);
  }
  return { name, privateKey };
}

/** Read an Ed25519 public key (PEM; a private key file also works) from a file. */
export async function readPublicKey(file: string): Promise<KeyObject> {
  const publicKey = createPublicKey(await fs.readFile(file, "utf8"));
  if (publicKey.asymmetricKeyType !== "ed25519") {
    throw new CheckpointInvalid(`${file} does not hold an Ed25519 public key`);
  }
  return publicKey;
}

/**
 * Where a checkpoint is kept: `<dir>/<chain id>/<number>-<size>.note` for one in a sequence, and
 * `<dir>/<chain id>/<size>.note` for one signed without (by an earlier version, or by hand).
 */
export function checkpointPath(
  dir: string,
  checkpoint: Pick<ChainHead, "chainId" | "seq"> & { sequence?: CheckpointSequence | null },
): string {
  const name = checkpoint.sequence
    ? `${checkpoint.sequence.number}-${checkpoint.seq}.note`
    : `${checkpoint.seq}.note`;
  return path.join(dir, checkpoint.chainId, name);
}

/**
 * Write a checkpoint note. An existing note at the same path is never replaced (it is evidence);
 * returns false when one was already there. The folder for the chain is made if need be, but not
 * `dir` itself when `createDir` is false (a witness that is not mounted must not become a folder
 * on this disk).
 */
export async function writeCheckpoint(
  dir: string,
  checkpoint: Pick<ChainHead, "chainId" | "seq"> & { sequence?: CheckpointSequence | null },
  note: string,
  options: { createDir?: boolean } = {},
): Promise<boolean> {
  const file = checkpointPath(dir, checkpoint);
  if (options.createDir === false && !existsSync(dir)) {
    throw new Error(`the folder ${dir} does not exist`);
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await fs.writeFile(file, note, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** A checkpoint file that could not be used, and why. */
export interface CheckpointFileProblem {
  file: string;
  chainId: string | null;
  seq: number | null;
  problem: string;
}

/** A checkpoint read from a file, with where it was and the note as stored. */
export interface CheckpointFile extends Checkpoint {
  file: string;
  note: string;
}

const SEQUENCED_NAME = /^([1-9][0-9]*)-(0|[1-9][0-9]*)\.note$/;
const UNSEQUENCED_NAME = /^(0|[1-9][0-9]*)\.note$/;

/**
 * Read and open every checkpoint note under `dir`. A note whose signature fails, or whose body
 * does not match the chain, number and size its path names, is a problem: someone changed it.
 * `opened` caches notes already opened (the same note is often read from several copies).
 */
export async function readCheckpoints(
  dir: string,
  publicKey: KeyObject,
  opened: Map<string, Checkpoint> = new Map(),
): Promise<{ checkpoints: CheckpointFile[]; problems: CheckpointFileProblem[] }> {
  const checkpoints: CheckpointFile[] = [];
  const problems: CheckpointFileProblem[] = [];
  if (!existsSync(dir)) return { checkpoints, problems };
  for (const chainId of (await fs.readdir(dir)).sort()) {
    const chainDir = path.join(dir, chainId);
    if (!UUID.test(chainId) || !(await fs.stat(chainDir)).isDirectory()) continue;
    for (const name of (await fs.readdir(chainDir)).sort()) {
      const sequenced = SEQUENCED_NAME.exec(name);
      const unsequenced = UNSEQUENCED_NAME.exec(name);
      if (!sequenced && !unsequenced) continue;
      const file = path.join(chainDir, name);
      const seq = Number(sequenced ? sequenced[2] : unsequenced?.[1]);
      const number = sequenced ? Number(sequenced[1]) : null;
      try {
        const note = await fs.readFile(file, "utf8");
        const checkpoint = openCached(note, publicKey, opened);
        if (
          checkpoint.chainId !== chainId ||
          checkpoint.seq !== seq ||
          (checkpoint.sequence?.number ?? null) !== number
        ) {
          throw new CheckpointInvalid(
            `it signs ${checkpoint.origin} at ${checkpoint.seq}${checkpoint.sequence ? ` as checkpoint ${checkpoint.sequence.number}` : ""}, not the chain, number and size its path names`,
          );
        }
        checkpoints.push({ ...checkpoint, file, note });
      } catch (error) {
        if (!(error instanceof CheckpointInvalid)) throw error;
        problems.push({ file, chainId, seq, problem: error.message });
      }
    }
  }
  checkpoints.sort(
    (a, b) =>
      a.chainId.localeCompare(b.chainId) ||
      (a.sequence?.number ?? 0) - (b.sequence?.number ?? 0) ||
      a.seq - b.seq,
  );
  return { checkpoints, problems };
}

/** openCheckpoint, remembering notes already opened with the same key. */
export function openCached(
  note: string,
  publicKey: KeyObject,
  opened: Map<string, Checkpoint>,
): Checkpoint {
  const known = opened.get(note);
  if (known) return known;
  const checkpoint = openCheckpoint(note, publicKey);
  opened.set(note, checkpoint);
  return checkpoint;
}
