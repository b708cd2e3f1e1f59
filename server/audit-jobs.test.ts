import { describe, expect, it } from "vitest";
import { collectingLogger, ManualClock } from "../test/support/clock";
import { checkpointDelayMs, startRepeatingJob, startSealer, type RepeatingJob } from "./audit-jobs";

describe("a repeating job", () => {
  it("runs first after its first delay, then an interval after each run ends", async () => {
    const clock = new ManualClock();
    const { logger } = collectingLogger();
    const runs: number[] = [];
    const job = startRepeatingJob({
      name: "test job",
      firstDelayMs: 100,
      intervalMs: 1_000,
      logger,
      clock,
      run: () => {
        runs.push(clock.now());
        return Promise.resolve();
      },
    });
    expect(clock.pending()).toEqual([100]);
    await clock.advance(99, [job]);
    expect(runs).toEqual([]);
    await clock.advance(1, [job]);
    expect(runs).toEqual([100]);
    expect(clock.pending()).toEqual([1_000]);
    await clock.advance(3_000, [job]);
    expect(runs).toEqual([100, 1_100, 2_100, 3_100]);
    await job.stop();
    expect(clock.pending()).toEqual([]);
  });

  it("logs a failure and tries again, waiting twice as long after each failure in a row, up to a limit", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    const outcomes = ["fail", "fail", "fail", "fail", "ok", "fail"];
    const runs: number[] = [];
    const job = startRepeatingJob({
      name: "test job",
      firstDelayMs: 0,
      intervalMs: 1_000,
      retryMs: 100,
      maxRetryMs: 300,
      logger,
      clock,
      run: () => {
        runs.push(clock.now());
        return outcomes.shift() === "fail"
          ? Promise.reject(new Error("database unavailable"))
          : Promise.resolve();
      },
    });
    await clock.advance(1_950, [job]);
    // Failures at 0, 100 (+100), 300 (+200), 600 (+300, the limit); success at 900; the
    // interval again after it; then a failure retried after 100.
    expect(runs).toEqual([0, 100, 300, 600, 900, 1_900]);
    expect(clock.pending()).toEqual([50]);
    const errors = lines().filter((line) => line.level === 50);
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatchObject({
      job: "test job",
      failuresInARow: 1,
      msg: "test job failed; it will be tried again",
      err: { message: "database unavailable" },
    });
    await job.stop();
  });

  it("stops cleanly: waits for the run in progress and schedules nothing after it", async () => {
    const clock = new ManualClock();
    const { logger } = collectingLogger();
    let finishRun: () => void = () => undefined;
    let started = 0;
    const job = startRepeatingJob({
      name: "test job",
      firstDelayMs: 0,
      intervalMs: 1_000,
      logger,
      clock,
      run: () => {
        started += 1;
        return new Promise<void>((resolve) => {
          finishRun = resolve;
        });
      },
    });
    // Fire the first run by hand, without waiting for it.
    void clock.advance(0, []);
    expect(started).toBe(1);
    let stopped = false;
    const stopping = job.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    finishRun();
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pending()).toEqual([]);
    await clock.advance(10_000, [job]);
    expect(started).toBe(1);
  });
});

describe("the sealer", () => {
  it("calls audit_seal until a call seals less than a batch, every interval", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    const results = [5000, 5000, 12, 0, 3];
    const calls: { at: number; maxEvents: number }[] = [];
    const sealer = startSealer({
      intervalMs: 250,
      logger,
      clock,
      seal: (maxEvents) => {
        calls.push({ at: clock.now(), maxEvents });
        return Promise.resolve(results.shift() ?? 0);
      },
    });
    await clock.advance(0, [sealer]);
    expect(calls).toEqual([
      { at: 0, maxEvents: 5000 },
      { at: 0, maxEvents: 5000 },
      { at: 0, maxEvents: 5000 },
    ]);
    await clock.advance(500, [sealer]);
    expect(calls.map((call) => call.at)).toEqual([0, 0, 0, 250, 500]);
    expect(lines().filter((line) => line.msg === "access log events sealed")).toEqual([
      expect.objectContaining({ sealed: 10_012 }),
      expect.objectContaining({ sealed: 3 }),
    ]);
    await sealer.stop();
  });

  it("never stops the server: a failing call is logged, and sealing resumes", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    let failing = true;
    let sealed = 0;
    const sealer = startSealer({
      intervalMs: 250,
      logger,
      clock,
      seal: () => {
        if (failing) return Promise.reject(new Error("connection terminated"));
        sealed += 1;
        return Promise.resolve(1);
      },
    });
    await clock.advance(1_000, [sealer]);
    expect(
      lines().filter((line) => line.msg === "access log sealer failed; it will be tried again")
        .length,
    ).toBeGreaterThan(1);
    failing = false;
    await clock.advance(60_000, [sealer]);
    expect(sealed).toBeGreaterThan(0);
    await sealer.stop();
  });

  it("works through a backlog a batch at a time, and stops between batches on shutdown", async () => {
    const clock = new ManualClock();
    const { logger } = collectingLogger();
    let calls = 0;
    let sealer: RepeatingJob | null = null;
    const shutdown: { stopping: Promise<void> | null } = { stopping: null };
    sealer = startSealer({
      intervalMs: 250,
      logger,
      clock,
      seal: () => {
        calls += 1;
        // The server shuts down during the second batch of an endless backlog.
        if (calls === 2) shutdown.stopping = sealer?.stop() ?? null;
        return Promise.resolve(5000);
      },
    });
    await clock.advance(0, [sealer]);
    await shutdown.stopping;
    expect(calls).toBe(2);
    expect(clock.pending()).toEqual([]);
  });
});

describe("the checkpoint schedule", () => {
  const HOUR = 3_600_000;

  it("is due at once when no checkpoint was ever signed", () => {
    expect(checkpointDelayMs(null, 10 * HOUR, HOUR)).toBe(0);
  });

  it("is due an interval after the newest note, however recently the server started", () => {
    expect(checkpointDelayMs(10 * HOUR, 10 * HOUR + 20 * 60_000, HOUR)).toBe(40 * 60_000);
    expect(checkpointDelayMs(8 * HOUR, 10 * HOUR, HOUR)).toBe(0);
  });

  it("waits no longer than an interval, even for a note dated in the future", () => {
    expect(checkpointDelayMs(12 * HOUR, 10 * HOUR, HOUR)).toBe(HOUR);
  });
});
