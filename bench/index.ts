import os from "node:os";
import { benchAccessLogSearch, describeSearchBench } from "./access-log-search";
import { benchAuditChain, describeAuditChainBench } from "./audit-chain";
import { benchCaseVisibility, describeCaseVisibilityBench } from "./case-visibility";
import { benchOversight, describeOversightBench } from "./oversight";

/** BENCH_ONLY=chain,search (or oversight, visibility) runs just those; every benchmark runs by default. */
const only = new Set((process.env.BENCH_ONLY ?? "").split(",").filter(Boolean));
const runs = (name: string) => only.size === 0 || only.has(name);

/** `npm run bench`: Crosswalk's benchmarks, one after the other; results on standard output. */
async function main(): Promise<void> {
  const load = () =>
    os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" ");
  process.stdout.write(
    `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${load()}\n`,
  );
  if (runs("chain")) {
    const result = await benchAuditChain();
    process.stdout.write(`${describeAuditChainBench(result).join("\n")}\n`);
  }
  if (runs("search")) {
    const result = await benchAccessLogSearch();
    process.stdout.write(`${describeSearchBench(result).join("\n")}\n`);
  }
  if (runs("oversight")) {
    process.stdout.write(`${describeOversightBench(await benchOversight()).join("\n")}\n`);
  }
  if (runs("visibility")) {
    process.stdout.write(
      `${describeCaseVisibilityBench(await benchCaseVisibility()).join("\n")}\n`,
    );
  }
  // Other work on the machine skews every figure: say how busy it was.
  process.stdout.write(`load average at the end: ${load()}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
