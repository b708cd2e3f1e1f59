import { describe, expect, it } from "vitest";
import {
  recordFailure,
  recordSuccess,
  retryAfterMs,
  THROTTLE_RULES,
} from "../../app/auth/throttle.server";
import { createKysely, createPool } from "../../db/connection";
import { action as signInAction } from "../../app/routes/sign-in";
import { useTestDatabase } from "../support/database";
import { createWorld, TEST_PASSWORD } from "../support/factories";
import { formRequest, loadContext, settle } from "../support/remix";

const db = useTestDatabase();

function attempt(email: string, password: string, address: string) {
  return settle(() =>
    signInAction({
      request: formRequest("/sign-in", { email, password }),
      params: {},
      context: loadContext(db.app, { clientAddress: address }),
    }),
  );
}

async function failTimes(email: string, address: string, times: number, at: Date) {
  for (let i = 0; i < times; i++) {
    await db.app.transaction().execute((trx) => recordFailure(trx, email, address, at));
  }
}

async function wait(email: string, address: string, at: Date) {
  return db.app.transaction().execute((trx) => retryAfterMs(trx, email, address, at));
}

describe("sign-in throttling", () => {
  it("pauses an account at one address after five failures, even for the right password", async () => {
    const { user } = await createWorld(db.owner);
    for (let i = 0; i < THROTTLE_RULES.accountAddress.free; i++) {
      const reply = (await attempt(user.email, `wrong-${i}`, "198.51.100.1")) as {
        init: { status: number };
      };
      expect(reply.init.status).toBe(401);
    }
    await attempt(user.email, "wrong-again", "198.51.100.1");
    const blocked = (await attempt(user.email, TEST_PASSWORD, "198.51.100.1")) as {
      init: { status: number };
      data: { errors: { message: string }[] };
    };
    expect(blocked.init.status).toBe(429);
    expect(blocked.data.errors[0]?.message).toMatch(/^Too many attempts to sign in/);
  });

  it("pauses an unknown email exactly as it pauses a real one", async () => {
    for (let i = 0; i <= THROTTLE_RULES.accountAddress.free; i++) {
      await attempt("ghost@nowhere.test", `wrong-${i}`, "198.51.100.2");
    }
    const blocked = (await attempt("ghost@nowhere.test", "again", "198.51.100.2")) as {
      init: { status: number };
    };
    expect(blocked.init.status).toBe(429);
  });

  it("doubles the pause with each further failure", async () => {
    const now = new Date("2026-11-24T10:00:00Z");
    const free = THROTTLE_RULES.accountAddress.free;
    await failTimes("doubling@nowhere.test", "198.51.100.3", free + 1, now);
    expect(await wait("doubling@nowhere.test", "198.51.100.3", now)).toBe(1000);
    await failTimes("doubling@nowhere.test", "198.51.100.3", 3, now);
    expect(await wait("doubling@nowhere.test", "198.51.100.3", now)).toBe(8000);
  });

  it("never lets failures from other addresses lock the person out for more than a minute", async () => {
    const now = new Date("2026-11-24T11:00:00Z");
    for (let i = 0; i < 60; i++) {
      await failTimes("target@nowhere.test", `203.0.113.${i}`, 1, now);
    }
    const fromOwnAddress = await wait("target@nowhere.test", "192.0.2.99", now);
    expect(fromOwnAddress).toBeGreaterThan(0);
    expect(fromOwnAddress).toBeLessThanOrEqual(60_000);
  });

  it("pauses an address that tries many accounts", async () => {
    const now = new Date("2026-11-24T12:00:00Z");
    for (let i = 0; i <= THROTTLE_RULES.address.free; i++) {
      await failTimes(`spray-${i}@nowhere.test`, "198.51.100.4", 1, now);
    }
    expect(await wait("fresh-account@nowhere.test", "198.51.100.4", now)).toBeGreaterThan(0);
  });

  it("forgets failures after an hour without one", async () => {
    const then = new Date("2026-11-24T13:00:00Z");
    const later = new Date(then.getTime() + 61 * 60_000);
    await failTimes(
      "forgetful@nowhere.test",
      "198.51.100.5",
      THROTTLE_RULES.accountAddress.free,
      then,
    );
    await failTimes("forgetful@nowhere.test", "198.51.100.5", 1, later);
    expect(await wait("forgetful@nowhere.test", "198.51.100.5", later)).toBe(0);
  });

  it("clears the account's counters when the person signs in", async () => {
    const now = new Date("2026-11-24T14:00:00Z");
    await failTimes(
      "cleared@nowhere.test",
      "198.51.100.6",
      THROTTLE_RULES.accountAddress.free + 2,
      now,
    );
    await db.app
      .transaction()
      .execute((trx) => recordSuccess(trx, "cleared@nowhere.test", "198.51.100.6"));
    expect(await wait("cleared@nowhere.test", "198.51.100.6", now)).toBe(0);
  });

  it("survives a restart: a new connection pool sees the same pause", async () => {
    const now = new Date();
    await failTimes(
      "restart@nowhere.test",
      "198.51.100.7",
      THROTTLE_RULES.accountAddress.free + 3,
      now,
    );
    const fresh = createKysely(
      createPool(
        db.appUrl,
        {
          max: 1,
          connectTimeoutMs: 5000,
          statementTimeoutMs: 5000,
          idleInTransactionTimeoutMs: 5000,
        },
        () => undefined,
      ),
    );
    try {
      const pause = await fresh
        .transaction()
        .execute((trx) => retryAfterMs(trx, "restart@nowhere.test", "198.51.100.7", now));
      expect(pause).toBe(4000);
    } finally {
      await fresh.destroy();
    }
  });

  it("stores no email or address, only hashes", async () => {
    const now = new Date();
    await failTimes("private@nowhere.test", "198.51.100.8", 1, now);
    const rows = await db.superuser.selectFrom("sign_in_throttle").select("key").execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.key).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
