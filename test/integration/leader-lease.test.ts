import { randomInt } from "node:crypto";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { startLeaderLease, type LeaderLease } from "../../server/leader";
import { collectingLogger } from "../support/clock";
import { useTestDatabase } from "../support/database";

const db = useTestDatabase();

/** One process's part in the election, with what its work did. */
interface Candidate {
  lease: LeaderLease;
  starts: number;
  stops: number;
  running: boolean;
  messages: () => string[];
}

const RETRY_MS = 200;
let candidates: Candidate[] = [];

afterEach(async () => {
  await Promise.all(candidates.map((candidate) => candidate.lease.stop()));
  candidates = [];
});

function candidate(key: string): Candidate {
  const { logger, lines } = collectingLogger();
  const entry: Candidate = {
    lease: undefined as unknown as LeaderLease,
    starts: 0,
    stops: 0,
    running: false,
    messages: () => lines().map((line) => String(line.msg)),
  };
  entry.lease = startLeaderLease({
    connectionString: db.appUrl,
    logger,
    key,
    retryMs: RETRY_MS,
    lead: () => {
      entry.starts += 1;
      entry.running = true;
      return Promise.resolve({
        stop: () => {
          entry.stops += 1;
          entry.running = false;
          return Promise.resolve();
        },
      });
    },
  });
  candidates.push(entry);
  return entry;
}

/** Wait until `condition` holds, checking every 20 ms, for at most `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Whether a lease connection other than the lock's holder has asked for the lock (the holder's
 * last query may be its check that it still holds it).
 */
async function followerAsked(key: string): Promise<boolean> {
  const holder = await holderPid(key);
  const { rows } = await sql<{ asked: number }>`
    select count(*)::int as asked from pg_stat_activity
    where datname = current_database() and application_name = 'crosswalk-leader-lease'
      and query like '%pg_try_advisory_lock%' and pid is distinct from ${holder}
  `.execute(db.superuser);
  return (rows[0]?.asked ?? 0) > 0;
}

/** The backend holding the lease's lock in this database, if any. */
async function holderPid(key: string): Promise<number | null> {
  const { rows } = await sql<{ pid: number }>`
    select l.pid from pg_locks l join pg_database d on d.oid = l.database
    where l.locktype = 'advisory' and l.granted and d.datname = current_database()
      and l.classid::bigint = ${key}::bigint >> 32
      and l.objid::bigint = ${key}::bigint & 4294967295 and l.objsubid = 1
  `.execute(db.superuser);
  return rows[0]?.pid ?? null;
}

const freshKey = () => String(8_000_000_000 + randomInt(1_000_000_000));

describe("the leader lease", () => {
  it("lets exactly one of two processes run the background work", async () => {
    const key = freshKey();
    const first = candidate(key);
    const second = candidate(key);
    await until(() => first.lease.isLeader() || second.lease.isLeader());
    await until(() => followerAsked(key));

    const leaders = [first, second].filter((entry) => entry.lease.isLeader());
    expect(leaders).toHaveLength(1);
    expect(first.starts + second.starts).toBe(1);
    expect(await holderPid(key)).not.toBeNull();
    expect(leaders[0]?.messages()).toContain("took the leader lease: running the background work");
  });

  it("moves to the other process within seconds when the leader's connection is terminated", async () => {
    const key = freshKey();
    const first = candidate(key);
    await until(() => first.lease.isLeader());
    const second = candidate(key);
    await until(() => followerAsked(key));
    expect(second.lease.isLeader()).toBe(false);

    const pid = await holderPid(key);
    expect(pid).not.toBeNull();
    const terminatedAt = Date.now();
    await sql`select pg_terminate_backend(${pid})`.execute(db.superuser);

    await until(() => second.lease.isLeader(), 5_000);
    expect(Date.now() - terminatedAt).toBeLessThan(5_000);
    // The old leader stopped its work as soon as its connection failed, and says so once.
    expect(first.lease.isLeader()).toBe(false);
    expect(first.running).toBe(false);
    expect(first.stops).toBe(1);
    expect(
      first.messages().filter((message) => message.startsWith("lost the leader lease")),
    ).toHaveLength(1);
    expect(second.running).toBe(true);

    // The old leader tries again, and follows while the new one leads.
    await until(() => followerAsked(key));
    expect(first.lease.isLeader()).toBe(false);
    expect(first.starts).toBe(1);
  });

  it("moves to the other process when the leader stops", async () => {
    const key = freshKey();
    const first = candidate(key);
    await until(() => first.lease.isLeader());
    const second = candidate(key);
    await until(() => followerAsked(key));

    await first.lease.stop();
    expect(first.stops).toBe(1);
    expect(first.messages()).toContain("gave the leader lease up");

    await until(() => second.lease.isLeader(), 5_000);
    expect(second.starts).toBe(1);
  });

  it("waits while another connection holds the lock, and leads once it is let go", async () => {
    const key = freshKey();
    await db.superuser.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${key}::bigint)`.execute(connection);
      const waiting = candidate(key);
      await until(() => followerAsked(key));
      expect(waiting.lease.isLeader()).toBe(false);
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(connection);
      await until(() => waiting.lease.isLeader(), 5_000);
    });
  });
});
