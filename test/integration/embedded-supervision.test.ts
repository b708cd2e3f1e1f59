import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../db/embedded";
import { superviseEmbedded } from "../../server/database";
import { createLogger } from "../../server/logger";

let dataDir: string;
let embedded: EmbeddedDatabase;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-supervised-"));
  // As root the server runs as the `postgres` user, which must reach its cluster in here.
  await fs.chmod(dataDir, 0o711);
  embedded = await startEmbeddedPostgres({ dataDir, port: 0 });
});

afterAll(async () => {
  await embedded?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function postmasterPid(): Promise<number> {
  const pidFile = await fs.readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8");
  return Number(pidFile.split("\n")[0]);
}

async function answers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: embedded.superuserUrl });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves once `condition` holds, checking every 50 ms; rejects after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the embedded PostgreSQL, supervised", () => {
  it("is started again after its postmaster is killed, saying so once, and answers again", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger(
      "info",
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString("utf8")) as { level: number; msg: string });
          done();
        },
      }),
    );
    const supervisor = superviseEmbedded(embedded, logger);
    try {
      expect(await answers()).toBe(true);
      const killed = await postmasterPid();
      process.kill(killed, "SIGKILL");

      await until(
        () => lines.some((line) => line.msg === "embedded PostgreSQL stopped: restarting it"),
        2_000,
      );
      await until(() => lines.some((line) => line.msg === "embedded PostgreSQL restarted"), 30_000);
      expect(await answers()).toBe(true);
      expect(await postmasterPid()).not.toBe(killed);
      expect(
        lines.filter((line) => line.msg === "embedded PostgreSQL stopped: restarting it"),
      ).toHaveLength(1);
    } finally {
      supervisor.stop();
    }
  });

  it("stops at once when its postmaster has already died, while the package's own stop waited for an exit that had already happened", async () => {
    process.kill(await postmasterPid(), "SIGKILL");
    await until(() => !embedded.isRunning(), 2_000);

    const started = performance.now();
    await embedded.stop();
    expect(performance.now() - started).toBeLessThan(200);

    await embedded.restart();
    expect(embedded.isRunning()).toBe(true);
    expect(await answers()).toBe(true);
  });
});
