import { hasEmbeddedCluster, startEmbeddedPostgres } from "../../db/embedded";
import { hostEntry } from "./app-server";
import { freePort, onCleanup, startChild, waitUntilReady } from "./processes";

export interface BenchDatabase {
  dataDir: string;
  port: number;
  appUrl: string;
  ownerUrl: string;
  superuserUrl: string;
  /** Every line PostgreSQL writes to its log goes here too (the statement capture reads it). */
  onLogLine(listener: ((line: string) => void) | null): void;
  stop(): Promise<void>;
}

/**
 * The embedded PostgreSQL of a data directory (what `npm run serve` with that DATA_DIR starts),
 * started here rather than by the application so the run holds the superuser URL for the statement
 * capture, and so the application and the baseline reach the same database. A directory with no
 * cluster yet gets the demo partnership (`seedDemo`): the application is started on it once as
 * `npm run serve` starts it, which creates, migrates and seeds its own embedded database.
 */
export async function startBenchDatabase(
  dataDir: string,
  options: { seedDemo: boolean },
): Promise<BenchDatabase> {
  if (!hasEmbeddedCluster(dataDir)) {
    if (!options.seedDemo) {
      throw new Error(
        `${dataDir} holds no database: generate it first (npm run db:generate -- --scale …) or give another --data-dir`,
      );
    }
    await seedDemoDirectory(dataDir);
  }
  let listener: ((line: string) => void) | null = null;
  let partial = "";
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: 0,
    onLog: (message) => {
      if (!listener) return;
      // The server's output arrives in chunks that need not end at a line's end.
      const lines = (partial + message).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) listener(line);
    },
  });
  const unregister = onCleanup(() => embedded.stop());
  return {
    dataDir,
    port: embedded.port,
    appUrl: embedded.appUrl,
    ownerUrl: embedded.ownerUrl,
    superuserUrl: embedded.superuserUrl,
    onLogLine: (next) => {
      partial = "";
      listener = next;
    },
    stop: async () => {
      unregister();
      await embedded.stop();
    },
  };
}

/** Start the application once on an empty data directory, so it makes and seeds its database. */
async function seedDemoDirectory(dataDir: string): Promise<void> {
  const port = await freePort();
  const app = startChild(
    hostEntry(),
    {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      // Empty counts as unset: the embedded database, not one the environment names.
      DATABASE_URL: "",
      DATABASE_OWNER_URL: "",
      LOG_LEVEL: "warn",
    },
    "the application (seeding the demo)",
  );
  try {
    await waitUntilReady(app, `http://127.0.0.1:${port}/readyz`, 300_000);
  } finally {
    await app.stop(30_000);
  }
}
