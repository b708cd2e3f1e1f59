import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CheckpointInvalid,
  checkpointBody,
  checkpointPath,
  checkpointTextHash,
  ensureSigningKey,
  keyHash,
  openCheckpoint,
  openNote,
  readCheckpoints,
  signCheckpoint,
  signNote,
  verifierKey,
  writeCheckpoint,
  type ChainHead,
  type SigningKey,
} from "./checkpoint";

// The example of golang.org/x/mod/sumdb/note (also in the C2SP signed-note tests): Ed25519 is
// deterministic, so signing its text with its key must give its signature byte for byte.
const GO_SIGNER_KEY =
  "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function goKey(): SigningKey {
  // The seed follows the 0x01 type byte; PKCS#8 wraps it behind a fixed Ed25519 prefix.
  const seed = Buffer.from(GO_SIGNER_KEY.split("+").slice(4).join("+"), "base64").subarray(1);
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return {
    name: "PeterNeumann",
    privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }),
  };
}

function newKey(name = "crosswalk-audit-test"): SigningKey {
  return { name, privateKey: generateKeyPairSync("ed25519").privateKey };
}

const HEAD: ChainHead = {
  chainId: "6f1c1a52-5b0e-4c64-9d43-0c3b1f6e2a11",
  seq: 1234,
  hash: createHash("sha256").update("an event").digest(),
};

describe("signed notes", () => {
  it("sign the Go reference text exactly as golang.org/x/mod/sumdb/note does", () => {
    expect(signNote(GO_TEXT, goKey())).toBe(GO_NOTE);
  });

  it("give the Go reference key its published verifier key and key hash", () => {
    const publicKey = createPublicKey(goKey().privateKey);
    expect(verifierKey("PeterNeumann", publicKey)).toBe(GO_VERIFIER_KEY);
    expect(keyHash("PeterNeumann", publicKey).toString("hex")).toBe("c74f20a3");
  });

  it("open the Go reference note and refuse it with one letter changed", () => {
    const publicKey = createPublicKey(goKey().privateKey);
    expect(openNote(GO_NOTE, publicKey)).toEqual({ text: GO_TEXT, keyName: "PeterNeumann" });
    expect(() => openNote(GO_NOTE.replace("cryptography", "cryptographY"), publicKey)).toThrow(
      /does not verify/,
    );
  });
});

describe("checkpoints", () => {
  it("put origin, size and base64 hash on three lines", () => {
    expect(checkpointBody(HEAD)).toBe(
      `crosswalk/${HEAD.chainId}\n1234\n${HEAD.hash.toString("base64")}\n`,
    );
  });

  it("round-trip: a signed head opens to the same head", () => {
    const key = newKey();
    const note = signCheckpoint(HEAD, key);
    const lines = note.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      `crosswalk/${HEAD.chainId}`,
      "1234",
      HEAD.hash.toString("base64"),
      "",
    ]);
    expect(lines[4]).toMatch(/^\u2014 crosswalk-audit-test [A-Za-z0-9+/]{91}=$/);
    expect(openCheckpoint(note, createPublicKey(key.privateKey))).toEqual({
      ...HEAD,
      origin: `crosswalk/${HEAD.chainId}`,
      keyName: "crosswalk-audit-test",
      text: checkpointBody(HEAD),
      sequence: null,
    });
  });

  it("number a checkpoint in its chain's sequence, with its time and its predecessor's text hash", () => {
    const key = newKey();
    const first = { number: 1, signedAt: Date.UTC(2026, 10, 24, 9, 30), previous: null };
    const firstNote = signCheckpoint(HEAD, key, first);
    expect(firstNote.split("\n").slice(3, 6)).toEqual([
      "checkpoint 1",
      "signed 2026-11-24T09:30:00.000Z",
      "",
    ]);
    const publicKey = createPublicKey(key.privateKey);
    const opened = openCheckpoint(firstNote, publicKey);
    expect(opened.sequence).toEqual(first);

    const second = {
      number: 2,
      signedAt: first.signedAt + 600_000,
      previous: checkpointTextHash(opened.text),
    };
    const secondNote = signCheckpoint(HEAD, key, second);
    expect(secondNote.split("\n")[5]).toBe(`previous ${second.previous.toString("base64")}`);
    expect(openCheckpoint(secondNote, publicKey).sequence).toEqual(second);
    expect(checkpointPath("/notes", { ...HEAD, sequence: second })).toBe(
      `/notes/${HEAD.chainId}/2-1234.note`,
    );
  });

  it.each([
    [
      "a checkpoint after the first that names no predecessor",
      "checkpoint 2\nsigned 2026-11-24T09:30:00.000Z\n",
    ],
    [
      "a first checkpoint that names one",
      `checkpoint 1\nsigned 2026-11-24T09:30:00.000Z\nprevious ${Buffer.alloc(32).toString("base64")}\n`,
    ],
    ["a time that is not ISO 8601 UTC", "checkpoint 1\nsigned 24/11/2026\n"],
    ["no time", "checkpoint 1\n"],
    ["number 0", "checkpoint 0\nsigned 2026-11-24T09:30:00.000Z\n"],
    ["two numbers", "checkpoint 1\ncheckpoint 2\nsigned 2026-11-24T09:30:00.000Z\n"],
  ])("refuse a signed note with %s", (_case, extension) => {
    const key = newKey();
    const note = signNote(`${checkpointBody(HEAD)}${extension}`, key);
    expect(() => openCheckpoint(note, createPublicKey(key.privateKey))).toThrow(CheckpointInvalid);
  });

  it.each([
    ["a different size", (note: string) => note.replace("\n1234\n", "\n1235\n")],
    [
      "a different hash",
      (note: string) =>
        note.replace(HEAD.hash.toString("base64"), Buffer.alloc(32, 7).toString("base64")),
    ],
    [
      "another chain",
      (note: string) => note.replace(HEAD.chainId, "00000000-0000-0000-0000-000000000000"),
    ],
    [
      "a flipped signature byte",
      (note: string) => {
        const [body, signature] = note.split("\n\n") as [string, string];
        const blob = Buffer.from(signature.split(" ")[2] as string, "base64");
        blob[10] = (blob[10] as number) ^ 1;
        return `${body}\n\n\u2014 crosswalk-audit-test ${blob.toString("base64")}\n`;
      },
    ],
  ])("refuse a note changed to %s", (_change, tamper) => {
    const key = newKey();
    const note = tamper(signCheckpoint(HEAD, key));
    expect(() => openCheckpoint(note, createPublicKey(key.privateKey))).toThrow(CheckpointInvalid);
  });

  it("refuse a note signed by another key", () => {
    const note = signCheckpoint(HEAD, newKey());
    expect(() =>
      openCheckpoint(
        note,
        createPublicKey(newKey().privateKey.export({ format: "pem", type: "pkcs8" })),
      ),
    ).toThrow(/no signature by the audit public key/);
  });

  it("refuse a note signed under another key name", () => {
    const key = newKey();
    const note = signCheckpoint(HEAD, key).replace(
      "\u2014 crosswalk-audit-test ",
      "\u2014 someone-else ",
    );
    expect(() => openCheckpoint(note, createPublicKey(key.privateKey))).toThrow(CheckpointInvalid);
  });

  it("accept a note that a second key also signed", () => {
    const key = newKey();
    const note = signCheckpoint(HEAD, key);
    const cosigned = `${note}${signNote(checkpointBody(HEAD), newKey("witness")).split("\n\n")[1]}`;
    expect(openCheckpoint(cosigned, createPublicKey(key.privateKey)).seq).toBe(1234);
  });

  it("are written once, never replaced, and read back with a problem for a note whose path disagrees", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-checkpoints-"));
    try {
      const key = newKey();
      const publicKey = createPublicKey(key.privateKey);
      expect(await writeCheckpoint(dir, HEAD, signCheckpoint(HEAD, key))).toBe(true);
      const other = { ...HEAD, hash: Buffer.alloc(32, 1) };
      expect(await writeCheckpoint(dir, other, signCheckpoint(other, key))).toBe(false);
      expect((await readCheckpoints(dir, publicKey)).checkpoints).toEqual([
        expect.objectContaining({ chainId: HEAD.chainId, seq: 1234, hash: HEAD.hash }),
      ]);

      const moved = path.join(dir, HEAD.chainId, "999.note");
      await fs.copyFile(path.join(dir, HEAD.chainId, "1234.note"), moved);
      const { problems } = await readCheckpoints(dir, publicKey);
      expect(problems).toEqual([
        expect.objectContaining({ file: moved, chainId: HEAD.chainId, seq: 999 }),
      ]);
      await fs.rm(moved);

      // A numbered checkpoint is kept under its number and size, and must be read back there.
      const sequence = { number: 1, signedAt: Date.now(), previous: null };
      const numbered = signCheckpoint(HEAD, key, sequence);
      expect(await writeCheckpoint(dir, { ...HEAD, sequence }, numbered)).toBe(true);
      const read = await readCheckpoints(dir, publicKey);
      expect(read.problems).toEqual([]);
      expect(read.checkpoints.map((checkpoint) => checkpoint.sequence?.number ?? null)).toEqual([
        null,
        1,
      ]);
      const renamed = path.join(dir, HEAD.chainId, "2-1234.note");
      await fs.rename(path.join(dir, HEAD.chainId, "1-1234.note"), renamed);
      expect((await readCheckpoints(dir, publicKey)).problems).toEqual([
        expect.objectContaining({
          file: renamed,
          problem: expect.stringMatching(
            /not the chain, number and size its path names/,
          ) as unknown,
        }),
      ]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the signing key made at first start", () => {
  it("is made once, private to this user, with its public key beside it, and never replaced", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-keys-"));
    try {
      const file = path.join(dir, "audit-keys", "audit-signing-key.pem");
      expect(await ensureSigningKey(file)).toEqual({
        created: true,
        publicKeyFile: path.join(dir, "audit-keys", "audit-signing-key.pub.pem"),
      });
      expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      const pem = await fs.readFile(file, "utf8");
      const publicPem = await fs.readFile(
        path.join(dir, "audit-keys", "audit-signing-key.pub.pem"),
        "utf8",
      );
      expect(createPublicKey(pem).export({ format: "pem", type: "spki" })).toBe(publicPem);

      expect((await ensureSigningKey(file)).created).toBe(false);
      expect(await fs.readFile(file, "utf8")).toBe(pem);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
