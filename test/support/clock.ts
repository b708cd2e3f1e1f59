import { Writable } from "node:stream";
import type { Logger } from "pino";
import type { Clock, RepeatingJob } from "../../server/audit-jobs";
import { createLogger } from "../../server/logger";

/**
 * A clock whose time moves only when a test says so: timers fire from advance(), in the order
 * they are due, and each job's run is awaited before time moves on. Schedules are tested by what
 * runs when, never by waiting.
 */
export class ManualClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId;
    this.nextId += 1;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** How far ahead each pending timer is due, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way (including those the
   * runs schedule), each at its own time, and wait for `jobs` to finish each run.
   */
  async advance(ms: number, jobs: readonly RepeatingJob[]): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= until)
        .sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.time = timer.at;
      timer.callback();
      await Promise.all(jobs.map((job) => job.whenIdle()));
    }
    this.time = until;
  }
}

/** A logger whose lines a test can read. */
export function collectingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger("debug", destination), lines: () => lines };
}
