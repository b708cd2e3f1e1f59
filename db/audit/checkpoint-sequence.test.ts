import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkpointTextHash, openCheckpoint, signCheckpoint, type SigningKey } from "./checkpoint";
import { checkCopies, checkpointsToMatch } from "./checkpoint-sequence";
import type { CheckpointCopies, CheckpointCopy, StoredCheckpoint } from "./checkpoint-store";

const CHAIN = "6f1c1a52-5b0e-4c64-9d43-0c3b1f6e2a11";
const key: SigningKey = {
  name: "sequence-test",
  privateKey: generateKeyPairSync("ed25519").privateKey,
};
const publicKey = createPublicKey(key.privateKey);
const hashOf = (seq: number) => createHash("sha256").update(`event ${seq}`).digest();

/** Checkpoints 1..count of CHAIN, each at seq 10 × its number, each naming the one before. */
function sequence(count: number): StoredCheckpoint[] {
  const checkpoints: StoredCheckpoint[] = [];
  for (let number = 1; number <= count; number += 1) {
    const before = checkpoints.at(-1);
    const note = signCheckpoint(
      { chainId: CHAIN, seq: number * 10, hash: hashOf(number * 10) },
      key,
      {
        number,
        signedAt: Date.UTC(2026, 10, 24, 9, number * 10),
        previous: before ? checkpointTextHash(before.text) : null,
      },
    );
    checkpoints.push({ ...openCheckpoint(note, publicKey), note, location: `note ${number}` });
  }
  return checkpoints;
}

function copy(name: CheckpointCopy["name"], checkpoints: StoredCheckpoint[]): CheckpointCopy {
  return { name, where: `/${name}`, present: true, checkpoints, problems: [] };
}

function copies(
  parts: Partial<CheckpointCopies> & Pick<CheckpointCopies, "folder">,
): CheckpointCopies {
  return { witness: null, database: null, ...parts };
}

describe("the copies of a chain's checkpoints", () => {
  const five = sequence(5);

  it("pass when they agree and run 1..N, the witness lagging and the database one behind", () => {
    expect(
      checkCopies(
        copies({
          folder: copy("folder", five),
          database: copy("database", five.slice(0, 4)),
          witness: copy("witness", five.slice(1, 3)),
        }),
      ),
    ).toBeNull();
  });

  it("fail when the newest is gone from the folder but the database or the witness holds it", () => {
    for (const other of ["database", "witness"] as const) {
      const failure = checkCopies(
        copies({ folder: copy("folder", five.slice(0, 4)), [other]: copy(other, five) }),
      );
      expect(failure).toMatchObject({ chainId: CHAIN });
      expect(failure?.problem).toMatch(
        /^checkpoint 5 \(seq 50, signed 2026-11-24T09:50:00.000Z\) is in .* but not in the checkpoint folder \/folder: it was removed from the checkpoint folder$/,
      );
    }
  });

  it("fail when one is gone from the database but not the newest", () => {
    const failure = checkCopies(
      copies({
        folder: copy("folder", five),
        database: copy("database", [...five.slice(0, 2), ...five.slice(3)]),
      }),
    );
    expect(failure?.problem).toMatch(
      /^checkpoint 3 .* is in the checkpoint folder \/folder but not in the database's copy/,
    );
  });

  it("fail at a gap that no copy fills, and when the first checkpoints are gone", () => {
    const gap = checkCopies(
      copies({ folder: copy("folder", [...five.slice(0, 2), ...five.slice(3)]) }),
    );
    expect(gap?.problem).toMatch(
      /^checkpoint 3 is in no copy, yet checkpoint 4 .* comes after it: checkpoints were removed$/,
    );
    const start = checkCopies(copies({ folder: copy("folder", five.slice(2)) }));
    expect(start?.problem).toMatch(/^checkpoint 1 is in no copy/);
  });

  it("fail when two copies hold different checkpoints under one number", () => {
    const renumbered = signCheckpoint({ chainId: CHAIN, seq: 55, hash: hashOf(55) }, key, {
      number: 5,
      signedAt: Date.UTC(2026, 10, 24, 10),
      previous: checkpointTextHash((five[3] as StoredCheckpoint).text),
    });
    const fork = { ...openCheckpoint(renumbered, publicKey), note: renumbered, location: "fork" };
    const failure = checkCopies(
      copies({ folder: copy("folder", five), witness: copy("witness", [fork]) }),
    );
    expect(failure?.problem).toMatch(
      /hold different checkpoints numbered 5 .*: two histories were signed/,
    );
  });

  it("fail when a checkpoint names another predecessor than the one in the copies", () => {
    const stranger = signCheckpoint({ chainId: CHAIN, seq: 60, hash: hashOf(60) }, key, {
      number: 6,
      signedAt: Date.UTC(2026, 10, 24, 11),
      previous: Buffer.alloc(32, 1),
    });
    const sixth = { ...openCheckpoint(stranger, publicKey), note: stranger, location: "sixth" };
    const failure = checkCopies(copies({ folder: copy("folder", [...five, sixth]) }));
    expect(failure?.problem).toMatch(
      /^checkpoint 6 .* names a checkpoint before it whose text hashes to 0101/,
    );
  });

  it("fail when the witness folder is not there", () => {
    const failure = checkCopies(
      copies({ folder: copy("folder", five), witness: { ...copy("witness", []), present: false } }),
    );
    expect(failure?.problem).toMatch(
      /^the witness folder \/witness \(AUDIT_WITNESS_DIR\) does not exist/,
    );
  });

  it("give the chain one checkpoint per size, and fail two that disagree about one", () => {
    const again = sequence(5).map((checkpoint) => ({ ...checkpoint, location: "again" }));
    const { byChain, failure } = checkpointsToMatch(
      copies({ folder: copy("folder", five), database: copy("database", again) }),
    );
    expect(failure).toBeNull();
    expect(byChain.get(CHAIN)?.map((checkpoint) => checkpoint.seq)).toEqual([10, 20, 30, 40, 50]);
    const liar = { ...(five[2] as StoredCheckpoint), hash: Buffer.alloc(32, 2), location: "liar" };
    expect(
      checkpointsToMatch(copies({ folder: copy("folder", five), witness: copy("witness", [liar]) }))
        .failure?.problem,
    ).toMatch(/two signed checkpoints give seq 30 different hashes/);
  });
});
