import { describe, expect, it } from "vitest";
import { describeReport, parseChainSeqArguments, parseWorkersArgument } from "./report";
import type { VerifyReport } from "./verify";

const CHAIN = "6f1c1a52-5b0e-4c64-9d43-0c3b1f6e2a11";

describe("the audit commands' arguments", () => {
  it("read chain positions for --start and --at, each repeatable", () => {
    expect(
      parseChainSeqArguments(
        ["--start", `${CHAIN}:12`, "--start", `${CHAIN.toUpperCase()}:3`],
        "--start",
      ),
    ).toEqual([
      { chainId: CHAIN, seq: 12 },
      { chainId: CHAIN, seq: 3 },
    ]);
    expect(parseChainSeqArguments(["--start", `${CHAIN}:12`], "--at")).toEqual([]);
  });

  it.each([`${CHAIN}`, `${CHAIN}:0`, `${CHAIN}:-1`, "not-a-chain:4", ""])(
    "refuse a position that is not <chain id>:<seq>: %j",
    (value) => {
      expect(() => parseChainSeqArguments(["--at", value], "--at")).toThrow(
        /--at needs <chain id>:<seq>/,
      );
    },
  );

  it("read --workers, within 1 to 64", () => {
    expect(parseWorkersArgument([], 3)).toBe(3);
    expect(parseWorkersArgument(["--workers", "2"], 3)).toBe(2);
    for (const bad of ["0", "65", "two", "1.5"]) {
      expect(() => parseWorkersArgument(["--workers", bad], 3)).toThrow(/--workers needs/);
    }
  });
});

describe("the summary line", () => {
  const report: VerifyReport = {
    ok: true,
    failure: null,
    chains: [
      {
        chainId: CHAIN,
        events: 10,
        head: null,
        checkpoints: 1,
        newestCheckpoint: null,
        startedAt: 4,
      },
    ],
    events: 10,
    checkpoints: 1,
    headsChecked: true,
    unsealed: { events: 3, oldestAgeMs: 1_250 },
    workers: 2,
    captured: [],
    copies: { folder: "/srv/checkpoints", database: true, witness: "/mnt/witness" },
    maxCheckpointAgeMs: 30 * 60_000,
    stalestCheckpointAgeMs: 4 * 60_000,
    elapsedMs: 500,
  };

  it("says what waits to be sealed, where a chain started and how many workers verified", () => {
    const line = describeReport(report, { publicKey: true });
    expect(line).toContain("OK: 10 events in 1 chain verified in 0.50 s (20 events/s, 2 workers)");
    expect(line).toContain(`chain ${CHAIN} verified from its checkpoint at seq 4`);
    expect(line).toContain("3 events waiting to be sealed (the oldest for 1.3 s)");
    expect(line).toContain(
      "1 signed checkpoint matched, the checkpoint folder, the database's copy and the witness /mnt/witness agreeing",
    );
    expect(line).toContain(
      "every chain's newest checkpoint younger than 30 min (the oldest of them 4.0 min)",
    );
  });

  it("says when checkpoints and their ages were not checked", () => {
    const line = describeReport(
      { ...report, copies: null, maxCheckpointAgeMs: null, stalestCheckpointAgeMs: null },
      { publicKey: false },
    );
    expect(line).toContain("checkpoints not checked (no audit public key");
    expect(line).toContain("checkpoint ages not checked (AUDIT_MAX_CHECKPOINT_AGE_MINUTES is 0)");
  });

  it("says so when nothing waits", () => {
    const line = describeReport(
      { ...report, unsealed: { events: 0, oldestAgeMs: null } },
      { publicKey: false },
    );
    expect(line).toContain("no events waiting to be sealed");
  });
});
