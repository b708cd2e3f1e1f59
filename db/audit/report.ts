import os from "node:os";
import type { VerifyFailure, VerifyReport } from "./verify";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The chains named by `--chain <id>` arguments (repeatable), or null for every chain. */
export function parseChainArguments(args: readonly string[]): string[] | null {
  const chains: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] !== "--chain") continue;
    const value = args[index + 1]?.toLowerCase();
    if (!value || !UUID.test(value)) {
      throw new Error(
        "--chain needs a partnership id (a UUID), or the zero UUID for the deployment chain",
      );
    }
    chains.push(value);
    index += 1;
  }
  return chains.length ? chains : null;
}

/**
 * Chain positions named by `<flag> <chain id>:<seq>` arguments (repeatable): `--start` (verify a
 * chain from a signed checkpoint) and `--at` (sign a checkpoint at that event).
 */
export function parseChainSeqArguments(
  args: readonly string[],
  flag: "--start" | "--at",
): { chainId: string; seq: number }[] {
  const positions: { chainId: string; seq: number }[] = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] !== flag) continue;
    const match = /^([0-9a-f-]{36}):([1-9][0-9]*)$/.exec(args[index + 1]?.toLowerCase() ?? "");
    const [, chainId, seq] = match ?? [];
    if (!chainId || !seq || !UUID.test(chainId) || !Number.isSafeInteger(Number(seq))) {
      throw new Error(`${flag} needs <chain id>:<seq>, a chain and a position in it`);
    }
    positions.push({ chainId, seq: Number(seq) });
    index += 1;
  }
  return positions;
}

/**
 * How many stretches to verify at once unless told: half the machine's cores (up to 8), since each
 * worker keeps a PostgreSQL backend busy too when the database runs on the same machine. On two
 * cores that is one: on this project's two-core machine more workers were no faster
 * (docs/PERFORMANCE.md). Where the database has cores of its own, pass `--workers`.
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, Math.floor(os.availableParallelism() / 2)));
}

/** `--workers <n>`: how many stretches to verify at once (1 verifies on one connection). */
export function parseWorkersArgument(args: readonly string[], fallback: number): number {
  const index = args.indexOf("--workers");
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error("--workers needs a whole number from 1 to 64");
  }
  return value;
}

/** The first problem, said precisely: which chain, which seq, which event, what is wrong. */
export function describeFailure(failure: VerifyFailure): string {
  const where = [
    failure.chainId ? `chain ${failure.chainId}` : null,
    failure.seq !== null ? `seq ${failure.seq}` : null,
    failure.eventId ? `event ${failure.eventId}` : null,
  ].filter(Boolean);
  return `FAILED${where.length ? ` at ${where.join(", ")}` : ""}: ${failure.problem}`;
}

/** One summary line: how much was verified, how fast, and what it was checked against. */
export function describeReport(report: VerifyReport, options: { publicKey: boolean }): string {
  const seconds = report.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(report.events / seconds) : 0;
  const { unsealed } = report;
  const started = report.chains.filter((chain) => chain.startedAt !== null);
  const parts = [
    `${report.ok ? "OK" : "Stopped"}: ${report.events.toLocaleString("en-GB")} events in ${report.chains.length} chain${report.chains.length === 1 ? "" : "s"} verified in ${seconds.toFixed(2)} s (${rate.toLocaleString("en-GB")} events/s${report.workers > 1 ? `, ${report.workers} workers` : ""})`,
    ...started.map(
      (chain) => `chain ${chain.chainId} verified from its checkpoint at seq ${chain.startedAt}`,
    ),
    unsealed.events === 0 || unsealed.oldestAgeMs === null
      ? "no events waiting to be sealed"
      : `${unsealed.events.toLocaleString("en-GB")} event${unsealed.events === 1 ? "" : "s"} waiting to be sealed (the oldest for ${(unsealed.oldestAgeMs / 1000).toFixed(1)} s)`,
    report.headsChecked
      ? "chain heads checked"
      : "chain heads not readable by this role (a removed tail shows only against a checkpoint)",
    options.publicKey
      ? `${report.checkpoints} signed checkpoint${report.checkpoints === 1 ? "" : "s"} matched${describeCopies(report)}`
      : "checkpoints not checked (no audit public key: set AUDIT_PUBLIC_KEY_FILE, or start the server once to make the default key)",
    report.maxCheckpointAgeMs === null
      ? "checkpoint ages not checked (AUDIT_MAX_CHECKPOINT_AGE_MINUTES is 0)"
      : report.ok
        ? `every chain's newest checkpoint younger than ${minutes(report.maxCheckpointAgeMs)}${report.stalestCheckpointAgeMs === null ? "" : ` (the oldest of them ${minutes(report.stalestCheckpointAgeMs)})`}`
        : null,
  ].filter((part): part is string => part !== null);
  return parts.join("; ");
}

function minutes(ms: number): string {
  const value = ms / 60_000;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} min`;
}

/** Which copies of the checkpoints were compared. */
function describeCopies(report: VerifyReport): string {
  const copies = report.copies;
  if (!copies) return "";
  const compared = [
    "the checkpoint folder",
    copies.database ? "the database's copy" : null,
    copies.witness ? `the witness ${copies.witness}` : null,
  ].filter(Boolean);
  const unread = copies.database ? "" : " (the database's copy is not readable by this role)";
  const list =
    compared.length > 1
      ? `${compared.slice(0, -1).join(", ")} and ${compared.at(-1)}`
      : "the checkpoint folder";
  if (!report.ok) return `; copies read: ${list}${unread}`;
  return compared.length > 1
    ? `, ${list} agreeing${unread}`
    : `, in the checkpoint folder${unread}`;
}
