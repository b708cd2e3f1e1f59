import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { findFreePort } from "../../e2e/support/server";

/**
 * Debian's PostgreSQL 15 (`/usr/lib/postgresql/15/bin`), started by a test in a temporary
 * directory: a primary, and a hot standby streaming from it made by pg_basebackup -R. The embedded
 * PostgreSQL 18 has no pg_basebackup, and a standby must be the primary's major version.
 *
 * PostgreSQL refuses to run as root: as root, every command runs as the `postgres` user (which
 * Debian's package creates) through runuser, and the directory is given to that user.
 */

export const POSTGRES_15_BIN = "/usr/lib/postgresql/15/bin";

const run = promisify(execFile);
const SUPERUSER = "postgres";

export interface PostgresServer {
  port: number;
  dataDir: string;
  /** The superuser on the `postgres` database. */
  superuserUrl: string;
  /** The server's log, for failure messages. */
  log(): Promise<string>;
  /** Stop at once (immediate shutdown); safe to call twice. */
  stop(): Promise<void>;
}

export interface Postgres15Cluster {
  root: string;
  primary: PostgresServer;
  standby: PostgresServer | null;
  /** Make the standby from the primary now (pg_basebackup -R) and start it streaming. */
  startStandby(): Promise<PostgresServer>;
  /** Stop both servers and remove the directory, even after a failure part-way. */
  stop(): Promise<void>;
}

export function postgres15Available(): boolean {
  return ["initdb", "pg_ctl", "pg_basebackup"].every((tool) =>
    existsSync(path.join(POSTGRES_15_BIN, tool)),
  );
}

const asRoot = process.getuid?.() === 0;

/** Run one of PostgreSQL's programs, as the `postgres` user when we are root. */
async function postgresTool(tool: string, args: string[]): Promise<string> {
  const program = path.join(POSTGRES_15_BIN, tool);
  const [file, argv] = asRoot
    ? ["runuser", ["-u", "postgres", "--", program, ...args]]
    : [program, args];
  try {
    const { stdout } = await run(file, argv, { timeout: 120_000 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(`${tool} failed: ${failed.message}\n${failed.stderr ?? ""}`);
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Start a primary with wal_level=replica on a free loopback port, in a new temporary directory. */
export async function startPostgres15(): Promise<Postgres15Cluster> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-pg15-"));
  const owner = asRoot ? await postgresUser() : null;
  if (owner) await fs.chown(root, owner.uid, owner.gid);
  const password = randomBytes(18).toString("base64url");
  const passwordFile = path.join(root, "superuser-password");
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) await fs.chown(passwordFile, owner.uid, owner.gid);

  const servers: PostgresServer[] = [];
  const cluster: Postgres15Cluster = {
    root,
    primary: undefined as unknown as PostgresServer,
    standby: null,
    async startStandby() {
      const port = await findFreePort();
      const dataDir = path.join(root, "standby");
      await postgresTool("pg_basebackup", [
        "--pgdata",
        dataDir,
        "--write-recovery-conf",
        "--wal-method=stream",
        "--checkpoint=fast",
        "--dbname",
        `host=127.0.0.1 port=${cluster.primary.port} user=${SUPERUSER} password=${password}`,
      ]);
      const standby = await startServer(root, dataDir, port, password);
      servers.push(standby);
      cluster.standby = standby;
      await waitUntilStreaming(cluster.primary);
      return standby;
    },
    async stop() {
      for (const server of [...servers].reverse()) await server.stop().catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  try {
    const dataDir = path.join(root, "primary");
    await postgresTool("initdb", [
      "--pgdata",
      dataDir,
      "--username",
      SUPERUSER,
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
    const primary = await startServer(root, dataDir, await findFreePort(), password, [
      "-c",
      "wal_level=replica",
      "-c",
      "max_wal_senders=4",
    ]);
    servers.push(primary);
    cluster.primary = primary;
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function startServer(
  root: string,
  dataDir: string,
  port: number,
  password: string,
  settings: string[] = [],
): Promise<PostgresServer> {
  const logFile = path.join(root, `${path.basename(dataDir)}.log`);
  const options = [
    "-c",
    `port=${port}`,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${root}`,
    // A test's data: speed over durability.
    "-c",
    "fsync=off",
    ...settings,
  ];
  await postgresTool("pg_ctl", [
    "--pgdata",
    dataDir,
    "--log",
    logFile,
    "--wait",
    "--timeout=60",
    "--options",
    options.join(" "),
    "start",
  ]);
  let stopped = false;
  return {
    port,
    dataDir,
    superuserUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    log: () => fs.readFile(logFile, "utf8").catch(() => ""),
    async stop() {
      if (stopped) return;
      stopped = true;
      await postgresTool("pg_ctl", ["--pgdata", dataDir, "--mode=immediate", "--wait", "stop"]);
    },
  };
}

/** Wait (up to 30 s) until a standby streams from the primary. */
async function waitUntilStreaming(primary: PostgresServer): Promise<void> {
  const client = new pg.Client({ connectionString: primary.superuserUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await client.query<{ streaming: number }>(
        "select count(*)::int as streaming from pg_stat_replication where state = 'streaming'",
      );
      if ((rows[0]?.streaming ?? 0) > 0) return;
      if (Date.now() > deadline) throw new Error("the standby did not start streaming in 30 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}
