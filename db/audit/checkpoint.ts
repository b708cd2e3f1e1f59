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
 */

/** The key name used when AUDIT_SIGNING_KEY_NAME is not set. */
export const DEFAULT_KEY_NAME = "crosswalk-audit";

/** The head of one chain at a moment: its newest event's chain_seq and hash. */
export interface ChainHead {
  chainId: string;
  seq: number;
  hash: Buffer;
}

/** A checkpoint whose signature verified. */
export interface Checkpoint extends ChainHead {
  origin: string;
  /** The key name of the signature that verified. */
  keyName: string;
}

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

/** The checkpoint body: origin, size and base64 hash, each on its own line. */
export function checkpointBody(head: ChainHead): string {
  return `${checkpointOrigin(head.chainId)}\n${head.seq}\n${head.hash.toString("base64")}\n`;
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

/** Sign a chain head as a checkpoint note. */
export function signCheckpoint(head: ChainHead, key: SigningKey): string {
  return signNote(checkpointBody(head), key);
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
  const hashBytes = Buffer.from(hash ?? "", "base64");
  if (hashBytes.length !== 32 || hashBytes.toString("base64") !== hash) {
    throw new CheckpointInvalid("malformed hash line");
  }
  if (extensions.some((line) => line === "")) throw new CheckpointInvalid("empty extension line");
  return { origin: origin ?? "", chainId, seq: Number(size), hash: hashBytes, keyName };
}

/** A new Ed25519 key pair, as PEM: PKCS#8 private key and SPKI public key. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
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

/** Where a chain's checkpoint at a size is kept: `<dir>/<chain id>/<size>.note`. */
export function checkpointPath(dir: string, head: Pick<ChainHead, "chainId" | "seq">): string {
  return path.join(dir, head.chainId, `${head.seq}.note`);
}

/**
 * Write a checkpoint note. An existing note for the same chain and size is never replaced (it is
 * evidence); returns false when one was already there.
 */
export async function writeCheckpoint(
  dir: string,
  head: ChainHead,
  note: string,
): Promise<boolean> {
  const file = checkpointPath(dir, head);
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

/**
 * Read and open every checkpoint note under `dir`. A note whose signature fails, or whose body
 * does not match the chain and size its path names, is a problem: someone changed it.
 */
export async function readCheckpoints(
  dir: string,
  publicKey: KeyObject,
): Promise<{ checkpoints: Checkpoint[]; problems: CheckpointFileProblem[] }> {
  const checkpoints: Checkpoint[] = [];
  const problems: CheckpointFileProblem[] = [];
  if (!existsSync(dir)) return { checkpoints, problems };
  for (const chainId of (await fs.readdir(dir)).sort()) {
    const chainDir = path.join(dir, chainId);
    if (!UUID.test(chainId) || !(await fs.stat(chainDir)).isDirectory()) continue;
    for (const name of (await fs.readdir(chainDir)).sort()) {
      const match = /^(0|[1-9][0-9]*)\.note$/.exec(name);
      if (!match) continue;
      const file = path.join(chainDir, name);
      const seq = Number(match[1]);
      try {
        const checkpoint = openCheckpoint(await fs.readFile(file, "utf8"), publicKey);
        if (checkpoint.chainId !== chainId || checkpoint.seq !== seq) {
          throw new CheckpointInvalid(
            `it signs ${checkpoint.origin} at ${checkpoint.seq}, not the chain and size its path names`,
          );
        }
        checkpoints.push(checkpoint);
      } catch (error) {
        if (!(error instanceof CheckpointInvalid)) throw error;
        problems.push({ file, chainId, seq, problem: error.message });
      }
    }
  }
  checkpoints.sort((a, b) => a.chainId.localeCompare(b.chainId) || a.seq - b.seq);
  return { checkpoints, problems };
}
