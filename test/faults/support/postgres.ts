import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../../db/embedded";

/** The passwords a data directory's embedded cluster was made with (credentials.json). */
export interface ClusterCredentials {
  superuser: string;
  owner: string;
  app: string;
}

export async function credentialsOf(dataDir: string): Promise<ClusterCredentials> {
  return JSON.parse(
    await fs.readFile(path.join(dataDir, "credentials.json"), "utf8"),
  ) as ClusterCredentials;
}

function clusterDirOf(dataDir: string): string {
  return path.join(dataDir, "postgres");
}

/** The postmaster running on a data directory's cluster (from postmaster.pid), or null. */
export async function postmasterOf(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const pidFile = path.join(clusterDirOf(dataDir), "postmaster.pid");
  const lines = await fs
    .readFile(pidFile, "utf8")
    .then((text) => text.split("\n"))
    .catch(() => null);
  if (!lines) return null;
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return { pid, port };
}

/** `kill -9` the postmaster of a data directory's cluster; returns its pid. */
export async function killPostmaster(dataDir: string): Promise<number> {
  const postmaster = await postmasterOf(dataDir);
  if (!postmaster) throw new Error(`No PostgreSQL is running on ${dataDir}`);
  process.kill(postmaster.pid, "SIGKILL");
  return postmaster.pid;
}

/**
 * Every PostgreSQL process working on a data directory's cluster: the postmaster and each of its
 * children change into the cluster directory, so their working directory says which cluster they
 * serve, whatever their command line was rewritten to.
 */
export async function postgresProcessesOn(dataDir: string): Promise<number[]> {
  const clusterDir = await fs.realpath(clusterDirOf(dataDir)).catch(() => clusterDirOf(dataDir));
  const pids: number[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await fs.readlink(`/proc/${entry}/cwd`).catch(() => null);
    if (cwd === clusterDir) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Stop whatever PostgreSQL still runs on a data directory: a fast shutdown of its postmaster, then
 * SIGKILL for any process of it still there after ten seconds. For cleaning up after a scenario.
 */
export async function stopPostgresOn(dataDir: string): Promise<void> {
  if (!existsSync(clusterDirOf(dataDir))) return;
  const postmaster = await postmasterOf(dataDir);
  if (postmaster) {
    process.kill(postmaster.pid, "SIGINT");
    await waitFor(() => !isAlive(postmaster.pid), 10_000);
  }
  for (const pid of await postgresProcessesOn(dataDir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/**
 * A superuser connection to the data directory's cluster, for looking at what was saved and for
 * holding locks. Its errors (the server killed underneath it) are kept, not thrown: a scenario
 * that kills PostgreSQL must not take the test process down with it.
 */
export async function superuserClient(dataDir: string, port: number): Promise<pg.Client> {
  const credentials = await credentialsOf(dataDir);
  return connectedClient({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: credentials.superuser,
    database: "crosswalk",
  });
}

export async function connectedClient(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, application_name: "crosswalk-faults" });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** End a client, whatever state its server is in. */
export async function endQuietly(client: pg.Client | undefined): Promise<void> {
  await client?.end().catch(() => undefined);
}

/**
 * Start a PostgreSQL of our own on a data directory's cluster (a copy of the seeded template), on
 * a given port, as an operator's separate database server would run: the test can kill it and
 * start it again. A just-killed cluster may refuse to start while its old backends still hold
 * its shared memory, so a failed start is tried again for a while.
 */
export async function startSeparatePostgres(
  dataDir: string,
  port: number,
): Promise<EmbeddedDatabase> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await startEmbeddedPostgres({ dataDir, port });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
