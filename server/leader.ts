import pg from "pg";
import type { Logger } from "pino";
import { systemClock, type Clock } from "./audit-jobs";

/**
 * The leader lease: when several Crosswalk processes share one database, the background work that
 * must run on one of them at a time (the access log's sealer, partitions and checkpoints, and the
 * notification emails) runs on whichever holds this lease.
 *
 * The lease is a PostgreSQL session-level advisory lock, held by a connection of its own. PostgreSQL
 * frees it exactly when that connection ends, however it ends (the process killed, the machine
 * gone, the backend terminated), so a dead leader's lease frees itself and no clock or expiry is
 * trusted. Every process tries to take it at start and then every few seconds; the holder runs the
 * work; when its lease connection fails (or stops answering), it stops the work at once and goes
 * back to trying. The lease connection must reach PostgreSQL directly or through a pooler in
 * session mode: a transaction-mode pooler does not keep session locks.
 */

/** The advisory lock of the lease: any fixed number, beside the sealer's 7369000001 (migration 0007). */
export const LEADER_LOCK_KEY = "7369000002";

/** How often a process that does not lead tries to take the lease, and the leader checks it still holds it. */
export const LEADER_RETRY_MS = 3_000;

/** Work started on becoming the leader, stopped on losing the lease or shutting down. */
export interface LeaderWork {
  stop(): Promise<void>;
}

export interface LeaderLease {
  /** Whether this process holds the lease (and runs the work) now. */
  isLeader(): boolean;
  /** Stop the work if leading, and give the lease up (its connection is closed). */
  stop(): Promise<void>;
}

export interface LeaderLeaseOptions {
  /** Where the lease connection goes: the primary database, as any role. */
  connectionString: string;
  /** Start the work that must run on one process only. A failure is logged and the lease given up. */
  lead: () => Promise<LeaderWork>;
  logger: Logger;
  /** How often to try to take the lease, and to check the leader's connection (default 3 s). */
  retryMs?: number;
  /** The lock's key (tests use their own). */
  key?: string;
  clock?: Clock;
}

/** Start taking part in the election: the first attempt is made at once. */
export function startLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  const clock = options.clock ?? systemClock;
  const retryMs = options.retryMs ?? LEADER_RETRY_MS;
  const key = options.key ?? LEADER_LOCK_KEY;
  const { logger } = options;

  let client: pg.Client | null = null;
  let work: Promise<LeaderWork | null> | null = null;
  let leading = false;
  let stopped = false;
  let timer: unknown = null;
  let attempt: Promise<void> | null = null;
  // A process that has just lost the lease sits out two periods, so that a process whose
  // connection is healthy (it tries every period) takes the lease first.
  let sitOutUntil = 0;

  const schedule = (ms: number) => {
    if (stopped || timer !== null) return;
    timer = clock.setTimeout(() => {
      timer = null;
      attempt = tick().finally(() => {
        attempt = null;
        schedule(retryMs);
      });
    }, ms);
  };

  /** Close the lease connection (which frees the lock, if held) and forget it. */
  const dropConnection = (lost: pg.Client) => {
    if (client === lost) client = null;
    lost.removeAllListeners("end");
    // A broken connection may still report an error while it closes: it is already handled.
    lost.on("error", () => undefined);
    void lost.end().catch(() => undefined);
  };

  /** Stop the work, if any is running or starting; resolves when it has stopped. */
  const stopWork = async () => {
    const running = work;
    work = null;
    const started = await running;
    await started?.stop();
  };

  const loseLease = (lost: pg.Client, reason: string) => {
    if (client !== lost) return;
    dropConnection(lost);
    if (!leading) return;
    leading = false;
    sitOutUntil = clock.now() + retryMs * 2;
    logger.warn({ lease: "leader", reason }, "lost the leader lease: background work stopped");
    void stopWork().catch((error: unknown) => {
      logger.error({ err: error }, "background work did not stop cleanly");
    });
  };

  const connect = async (): Promise<pg.Client> => {
    const fresh = new pg.Client({
      connectionString: options.connectionString,
      application_name: "crosswalk-leader-lease",
      keepAlive: true,
      connectionTimeoutMillis: retryMs * 2,
      // A leader whose connection stops answering must stop leading: another may take over.
      query_timeout: retryMs * 2,
    });
    fresh.on("error", (error) => loseLease(fresh, error.message));
    fresh.on("end", () => loseLease(fresh, "the lease connection closed"));
    try {
      await fresh.connect();
    } catch (error) {
      dropConnection(fresh);
      throw error;
    }
    return fresh;
  };

  const tick = async () => {
    try {
      if (leading && client) {
        // Still holding it? Any failure here ends the lease (loseLease, through the listeners).
        await client.query("select 1");
        return;
      }
      if (clock.now() < sitOutUntil) return;
      client ??= await connect();
      const current = client;
      const result = await current.query<{ locked: boolean }>(
        "select pg_try_advisory_lock($1::bigint) as locked",
        [key],
      );
      if (!result.rows[0]?.locked || stopped || client !== current) return;
      leading = true;
      logger.info(
        { lease: "leader", pid: process.pid },
        "took the leader lease: running the background work",
      );
      work = options.lead().catch((error: unknown) => {
        logger.error({ err: error }, "background work could not start: giving the leader lease up");
        loseLease(current, "the background work could not start");
        return null;
      });
      await work;
    } catch (error) {
      if (client && leading)
        loseLease(client, error instanceof Error ? error.message : String(error));
      else if (client) dropConnection(client);
      logger.debug({ err: error }, "leader lease: attempt failed");
    }
  };

  schedule(0);

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await attempt;
      const wasLeading = leading;
      leading = false;
      await stopWork();
      // Closing the connection frees the lock, now that the work has stopped.
      if (client) {
        const last = client;
        client = null;
        last.removeAllListeners("end");
        await last.end().catch(() => undefined);
      }
      if (wasLeading) logger.info({ lease: "leader" }, "gave the leader lease up");
    },
  };
}
