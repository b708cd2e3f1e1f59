import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANONICAL_TEXT_SELECT_SQL, eventHash } from "../../db/audit/canonical";
import { signCheckpoint, writeCheckpoint, type SigningKey } from "../../db/audit/checkpoint";
import { type VerifyOptions } from "../../db/audit/verify";
import {
  asAttacker,
  chainEvents,
  chainOf,
  rechainFrom,
  recordEvents,
  seal,
  verifyAs,
  verifyInStretches,
} from "../support/audit";
import { useTestDatabase } from "../support/database";

const db = useTestDatabase();

let key: SigningKey;
let publicKey: KeyObject;
let checkpointDir: string;

beforeAll(async () => {
  const pair = generateKeyPairSync("ed25519");
  key = { name: "crosswalk-audit-test", privateKey: pair.privateKey };
  publicKey = pair.publicKey;
  checkpointDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-tamper-"));
});

afterAll(async () => {
  await fs.rm(checkpointDir, { recursive: true, force: true });
});

/** A chain of 20 events, and its events as stored. */
async function twentyEvents() {
  const partnership = await chainOf(db, 20);
  const events = await chainEvents(db, partnership.id);
  return { chainId: partnership.id, events };
}

/**
 * How the log is verified: on one connection, chain after chain; or with each chain cut into
 * stretches of three events verified side by side on three connections and joined at their edges
 * (what `npm run audit:verify` does on a large log), so that every tampering below also lands on
 * or next to a stretch's edge.
 */
const MODES = {
  "one connection": (options: VerifyOptions) => verifyAs(db.ownerUrl, options),
  "stretches side by side": (options: VerifyOptions) => verifyInStretches(db.ownerUrl, options),
} as const;
type Mode = keyof typeof MODES;
let mode: Mode = "one connection";

function verifyChain(chainId: string, withCheckpoints = false) {
  return MODES[mode]({
    chains: [chainId],
    ...(withCheckpoints ? { checkpoints: { dir: checkpointDir, publicKey } } : {}),
  });
}

/** Sign the chain's head as it is now, as `npm run audit:checkpoint` would. */
async function checkpointNow(chainId: string) {
  const report = await verifyChain(chainId, true);
  const head = report.chains[0]?.head;
  if (!report.ok || !head) throw new Error("cannot checkpoint a chain that does not verify");
  await writeCheckpoint(checkpointDir, head, signCheckpoint(head, key));
  return head;
}

describe.each(Object.keys(MODES) as Mode[])("verified on %s", (current) => {
  beforeAll(() => {
    mode = current;
  });

  describe("verification of an untouched log", () => {
    it("passes, checking the chain's head", async () => {
      const { chainId } = await twentyEvents();
      const report = await verifyChain(chainId);
      expect(report.failure).toBeNull();
      expect(report).toMatchObject({ ok: true, events: 20, headsChecked: true });
      expect(report.chains).toHaveLength(1);
      expect(report.chains[0]).toMatchObject({ chainId, events: 20, checkpoints: 0 });
      expect(report.chains[0]?.head?.seq).toBe(20);
    });
  });

  describe("verification catches a superuser who", () => {
    it("edits a field of an event", async () => {
      const { chainId, events } = await twentyEvents();
      const target = events[6];
      await asAttacker(db, async (trx) => {
        await sql`update audit_events set reason = 'nothing to see' where id = ${target?.id}`.execute(
          trx,
        );
      });
      const report = await verifyChain(chainId);
      expect(report.ok).toBe(false);
      expect(report.failure).toMatchObject({ chainId, seq: 7, eventId: target?.id });
      expect(report.failure?.problem).toMatch(/the event was changed/);
    });

    it("edits an event's time by a microsecond", async () => {
      const { chainId, events } = await twentyEvents();
      const target = events[11];
      await asAttacker(db, async (trx) => {
        await sql`update audit_events set occurred_at = occurred_at + interval '1 microsecond' where id = ${target?.id}`.execute(
          trx,
        );
      });
      expect((await verifyChain(chainId)).failure).toMatchObject({ seq: 12, eventId: target?.id });
    });

    it("deletes an event", async () => {
      const { chainId, events } = await twentyEvents();
      await asAttacker(db, async (trx) => {
        await sql`delete from audit_events where id = ${events[4]?.id}`.execute(trx);
      });
      const report = await verifyChain(chainId);
      expect(report.failure).toMatchObject({ chainId, seq: 5, eventId: events[5]?.id });
      expect(report.failure?.problem).toMatch(/expected seq 5 but found seq 6: event 5 is missing/);
    });

    it("deletes the newest events", async () => {
      const { chainId, events } = await twentyEvents();
      await asAttacker(db, async (trx) => {
        await sql`delete from audit_events where id in (${sql.join(events.slice(17).map((event) => event.id))})`.execute(
          trx,
        );
      });
      const report = await verifyChain(chainId);
      expect(report.failure).toMatchObject({ chainId, seq: 18, eventId: null });
      expect(report.failure?.problem).toMatch(/ends at seq 17 but its head is at seq 20/);
    });

    it("inserts a forged event", async () => {
      const { chainId, events } = await twentyEvents();
      const forgedId = randomUUID();
      await asAttacker(db, async (trx) => {
        await sql`
          insert into audit_events (id, partnership_id, action, outcome, chain_seq, prev_hash, hash)
          values (${forgedId}, ${chainId}, 'referral.view', 'allowed', 21, ${events[19]?.hash}, ${Buffer.alloc(32, 9)})
        `.execute(trx);
      });
      const report = await verifyChain(chainId);
      expect(report.failure).toMatchObject({ chainId, seq: 21, eventId: forgedId });
      expect(report.failure?.problem).toMatch(/the event was changed/);
    });

    it("inserts a forged event with a correct hash but leaves the head alone", async () => {
      const { chainId, events } = await twentyEvents();
      const forgedId = randomUUID();
      await asAttacker(db, async (trx) => {
        await sql`
          insert into audit_events (id, partnership_id, action, outcome, chain_seq, prev_hash, hash)
          values (${forgedId}, ${chainId}, 'referral.view', 'allowed', 21, ${events[19]?.hash}, ${Buffer.alloc(32)})
        `.execute(trx);
        const fields = await sql<{ fields: (string | null)[] }>`
          select array[${sql.raw(CANONICAL_TEXT_SELECT_SQL)}] as fields from audit_events where id = ${forgedId}
        `.execute(trx);
        const hash = eventHash(events[19]?.hash ?? Buffer.alloc(32), fields.rows[0]?.fields ?? []);
        await sql`update audit_events set hash = ${hash} where id = ${forgedId}`.execute(trx);
      });
      const report = await verifyChain(chainId);
      expect(report.failure?.problem).toMatch(/runs to seq 21 but its head is at seq 20/);
    });

    it("repoints an event's prev_hash", async () => {
      const { chainId, events } = await twentyEvents();
      await asAttacker(db, async (trx) => {
        await sql`update audit_events set prev_hash = ${events[1]?.hash} where id = ${events[9]?.id}`.execute(
          trx,
        );
      });
      const report = await verifyChain(chainId);
      expect(report.failure).toMatchObject({ seq: 10, eventId: events[9]?.id });
      expect(report.failure?.problem).toMatch(
        /prev_hash .* is not the hash of the event before it/,
      );
    });

    it("numbers two events the same (no index can refuse it across partitions)", async () => {
      const { chainId, events } = await twentyEvents();
      await asAttacker(db, async (trx) => {
        await sql`update audit_events set chain_seq = 10 where id = ${events[10]?.id}`.execute(trx);
      });
      const report = await MODES[mode]({ chains: [chainId], pageSize: 2 });
      expect(report.failure).toMatchObject({ seq: 10 });
      // The two events numbered 10 come back in either order: read second, the renumbered one is
      // a repeated seq; read first, its prev_hash is the hash of the event it no longer follows.
      expect(report.failure?.problem).toMatch(
        /seq 10 appears more than once|prev_hash .* is not the hash of the event before it/,
      );
    });

    it("gives an unsealed event a hash, past the sealer and the constraint that forbids it", async () => {
      const { chainId, events } = await twentyEvents();
      await recordEvents(db.app, chainId, 1, "test.unsealed");
      try {
        await asAttacker(db, async (trx) => {
          await sql`alter table audit_events drop constraint audit_events_sealed_whole`.execute(
            trx,
          );
          await sql`
            update audit_events set prev_hash = ${events[19]?.hash}, hash = ${Buffer.alloc(32, 1)}
            where partnership_id = ${chainId} and chain_seq is null
          `.execute(trx);
        });
        const report = await verifyChain(chainId);
        expect(report.failure?.problem).toMatch(/has a prev_hash or hash but no chain_seq/);
      } finally {
        // The sealer cannot seal that event (and stops there): remove it for the tests after.
        await asAttacker(db, async (trx) => {
          await sql`delete from audit_events where partnership_id = ${chainId} and chain_seq is null`.execute(
            trx,
          );
          await sql`alter table audit_events add constraint audit_events_sealed_whole check (
            (chain_seq is null) = (prev_hash is null) and (chain_seq is null) = (hash is null)) not valid`.execute(
            trx,
          );
        });
      }
    });

    it("rewrites the tail consistently, which only a checkpoint taken before shows", async () => {
      const { chainId, events } = await twentyEvents();
      const checkpoint = await checkpointNow(chainId);
      expect(checkpoint.seq).toBe(20);
      await asAttacker(db, async (trx) => {
        await sql`update audit_events set outcome = 'allowed', reason = 'rewritten' where id = ${events[15]?.id}`.execute(
          trx,
        );
        await rechainFrom(trx, chainId, 16);
      });

      const withoutCheckpoints = await verifyChain(chainId);
      expect(withoutCheckpoints.failure).toBeNull();

      const report = await verifyChain(chainId, true);
      expect(report.failure).toMatchObject({ chainId, seq: 20, eventId: events[19]?.id });
      expect(report.failure?.problem).toMatch(/history was rewritten after the checkpoint/);
    });

    it("removes events past a checkpoint and moves the head back", async () => {
      const { chainId, events } = await twentyEvents();
      await checkpointNow(chainId);
      await asAttacker(db, async (trx) => {
        await sql`delete from audit_events where id in (${sql.join(events.slice(18).map((event) => event.id))})`.execute(
          trx,
        );
        await rechainFrom(trx, chainId, 19);
      });
      expect((await verifyChain(chainId)).failure).toBeNull();
      const report = await verifyChain(chainId, true);
      expect(report.failure).toMatchObject({ chainId, seq: 19 });
      expect(report.failure?.problem).toMatch(
        /checkpoint covers seq 20, but the chain ends at seq 18/,
      );
    });

    it("edits a checkpoint note to match a rewrite", async () => {
      const { chainId } = await twentyEvents();
      const head = await checkpointNow(chainId);
      const file = path.join(checkpointDir, chainId, `${head.seq}.note`);
      const note = await fs.readFile(file, "utf8");
      await fs.writeFile(
        file,
        note.replace(head.hash.toString("base64"), Buffer.alloc(32, 3).toString("base64")),
      );
      const report = await verifyChain(chainId, true);
      expect(report.failure).toMatchObject({ chainId, seq: 20, eventId: null });
      expect(report.failure?.problem).toMatch(/cannot be trusted: the signature does not verify/);
    });
  });

  describe("verification with checkpoints", () => {
    it("matches every checkpoint taken as the chain grew", async () => {
      const partnership = await chainOf(db, 5);
      await checkpointNow(partnership.id);
      await recordEvents(db.app, partnership.id, 3);
      await seal(db);
      await checkpointNow(partnership.id);
      const report = await verifyChain(partnership.id, true);
      expect(report.failure).toBeNull();
      expect(report.checkpoints).toBe(2);
      expect(report.chains[0]?.checkpoints).toBe(2);
    });
  });
});
