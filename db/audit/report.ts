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
  const parts = [
    `${report.ok ? "OK" : "Stopped"}: ${report.events.toLocaleString("en-GB")} events in ${report.chains.length} chain${report.chains.length === 1 ? "" : "s"} verified in ${seconds.toFixed(2)} s (${rate.toLocaleString("en-GB")} events/s)`,
    report.headsChecked
      ? "chain heads checked"
      : "chain heads not readable by this role (a removed tail shows only against a checkpoint)",
    options.publicKey
      ? `${report.checkpoints} signed checkpoint${report.checkpoints === 1 ? "" : "s"} matched`
      : "checkpoints not checked (AUDIT_PUBLIC_KEY_FILE is not set)",
  ];
  return parts.join("; ");
}
