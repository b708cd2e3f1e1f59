import { sealAll, sealThrough } from "../../db/audit/seal";
import { defaultWorkers, parseWorkersArgument } from "../../db/audit/report";
import { ConfigurationError } from "../../db/config";
import { createKysely, createPool } from "../../db/connection";
import { signGeneratedLog } from "../../db/generate/checkpoint";
import { openGenerateDatabase } from "../../db/generate/database";
import { AlreadyGenerated, generateData, type GenerateReport } from "../../db/generate/generate";
import { GENERATED_ACCOUNTS } from "../../db/generate/population";
import { SCALE_NAMES, type ScaleName } from "../../db/generate/scales";
import { DEMO_PARTNERSHIP_NAME } from "../../db/seed/demo";
import { seedDemoPartnership } from "./demo-seed.server";

/**
 * `npm run db:generate -- --scale small|medium|large [--seed N] [--until <ISO time>]`: grow the
 * database the app serves (the embedded one in DATA_DIR, or DATABASE_OWNER_URL / DATABASE_URL)
 * with a generated partnership beside the demo and realistic caseloads for the demo accounts
 * (db/generate/), then sign the access log's chains so that `npm run audit:verify` passes. Seeds
 * the demo partnership first when it is missing, through the services (which is why this command
 * lives in app/). Refuses a database that has been generated into before.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const scale = value("--scale");
  if (!scale || !(SCALE_NAMES as readonly string[]).includes(scale)) {
    throw new ConfigurationError(
      `Pass --scale ${SCALE_NAMES.join("|")} (npm run db:generate -- --scale small [--seed 1])`,
    );
  }
  const seed = value("--seed") ?? "1";
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(seed)) {
    throw new ConfigurationError("--seed must be letters, digits, - or _ (at most 40)");
  }
  const untilText = value("--until");
  const until = untilText ? new Date(untilText) : undefined;
  if (until && Number.isNaN(until.getTime())) {
    throw new ConfigurationError("--until must be a date and time, such as 2026-11-30T17:00:00Z");
  }
  const workers = parseWorkersArgument(args, Math.max(2, defaultWorkers()));
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const started = performance.now();
  const database = await openGenerateDatabase();
  try {
    out(`Generating into ${database.description}`);
    const { url, role } = database.connection;
    const db = createKysely(
      createPool(
        url,
        {
          max: 1,
          connectTimeoutMs: 10_000,
          statementTimeoutMs: 600_000,
          idleInTransactionTimeoutMs: 600_000,
        },
        (message, error) => process.stderr.write(`${message}: ${error.message}\n`),
        role ? { role } : {},
      ),
    );
    try {
      if (await seedDemoPartnership(db)) {
        await sealAll(sealThrough(db));
        out(`Seeded ${DEMO_PARTNERSHIP_NAME} first.`);
      }
    } finally {
      await db.destroy();
    }

    const second = await database.connect();
    const third = await database.connect();
    let report: GenerateReport;
    try {
      report = await generateData(
        { main: database.client, second, third },
        { scale: scale as ScaleName, seed, ...(until ? { until } : {}), onProgress: out },
      );
    } finally {
      await second.end();
      await third.end();
    }
    out("Signing the access log's chains (seal, verify, sign)");
    const signStarted = performance.now();
    const signed = await signGeneratedLog(database.client, database.connection, workers);
    for (const line of signed.lines) out(`  ${line}`);
    out(
      `  ${"checkpoints".padEnd(30)} ${"".padStart(11)}  ${((performance.now() - signStarted) / 1000).toFixed(1).padStart(6)} s`,
    );

    const size = await database.client.query<{ bytes: string }>(
      "select pg_database_size(current_database())::text as bytes",
    );
    out("");
    out(
      `${"table".padEnd(24)} ${report.partnershipName.padStart(30)} ${"demo partnership, whole".padStart(24)}`,
    );
    for (const row of report.counts) {
      out(
        `${row.table.padEnd(24)} ${row.generated.toLocaleString("en-GB").padStart(30)} ${row.demo.toLocaleString("en-GB").padStart(24)}`,
      );
    }
    out("");
    out(
      `Access log: ${report.events.built.toLocaleString("en-GB")} events in ${report.events.builtMonths} built months, ${report.events.live.toLocaleString("en-GB")} through the log's own path (this month, timed now).`,
    );
    out(
      `Database size ${(Number(size.rows[0]?.bytes ?? 0) / 2 ** 30).toFixed(2)} GiB; ${((performance.now() - started) / 1000).toFixed(1)} s in all.`,
    );
    out(
      `Sign in as ${GENERATED_ACCOUNTS.lead} (partnership lead of ${report.partnershipName}) or any demo account, with the demo password and authenticator key.`,
    );
    return signed.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof AlreadyGenerated || error instanceof ConfigurationError ? "" : "Generation failed: "}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
