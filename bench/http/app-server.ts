import fs from "node:fs";
import type { BenchDatabase } from "./database";
import { freePort, startChild, waitUntilReady, type Child } from "./processes";

/** The application's database pool size (DB_POOL_MAX, as the server reads it); the baseline's too. */
export const POOL_MAX = Number(process.env.DB_POOL_MAX ?? 10);

export interface RunningApp {
  url: string;
  child: Child;
}

/**
 * What `npm run serve` runs: the compiled host when the build has one (build/host/index.js),
 * else the TypeScript host through tsx, as it was served before the host was compiled.
 */
export function hostEntry(): string[] {
  return fs.existsSync("build/host/index.js")
    ? ["build/host/index.js"]
    : ["--import", "tsx", "server/index.ts"];
}

/**
 * The production build served as `npm run serve` serves it (NODE_ENV=production, the same
 * entry point), on a free port, on the benchmark's database. Its log lines go to a pipe this
 * process drains, as they would go to a log collector.
 */
export async function startApp(
  database: BenchDatabase,
  extraEnv: Record<string, string> = {},
  options: { cpuProfileDir?: string } = {},
): Promise<RunningApp> {
  const port = await freePort();
  const args = [
    ...(options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    ...hostEntry(),
  ];
  const child = startChild(
    args,
    {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
      DATA_DIR: database.dataDir,
      DB_POOL_MAX: String(POOL_MAX),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      ...extraEnv,
    },
    "the application",
    { stdout: () => undefined },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(child, `${url}/readyz`);
  return { url, child };
}
