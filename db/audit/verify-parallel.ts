import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import pg from "pg";
import type { CheckpointAt } from "./checkpoint";
import { preferChainIndex, verifyRange, type RangeSpec, type Segment } from "./verify-range";

/**
 * Stretches of chains verified side by side, each on a connection of its own that has joined the
 * verifier's snapshot (`SET TRANSACTION SNAPSHOT`), so every stretch sees exactly the log the
 * verifier sees. A runner verifies one stretch at a time, in a worker thread (hashing is CPU work
 * that one thread cannot spread) or, for tests, on this thread.
 */

/** How a runner reaches the database, and the snapshot it joins. */
export interface SnapshotConnection {
  url: string;
  /** A role to `SET ROLE` to after connecting (the owner, for the embedded database). */
  role: string | null;
  /** From `pg_export_snapshot()` in the verifier's transaction. */
  snapshot: string;
  /** The partnership to scope row-level security to (the application role verifies one). */
  partnershipId: string | null;
}

export interface StretchRunner {
  run(spec: RangeSpec, onProgress: (events: number, seq: number) => void): Promise<Segment>;
  close(): Promise<void>;
}

/** Open a connection inside the verifier's snapshot. */
export async function openSnapshotClient(connection: SnapshotConnection): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: connection.url,
    application_name: "crosswalk-audit-verify",
  });
  await client.connect();
  try {
    if (connection.role) await client.query(`set role ${pg.escapeIdentifier(connection.role)}`);
    await client.query("begin isolation level repeatable read read only");
    await client.query(`set transaction snapshot ${pg.escapeLiteral(connection.snapshot)}`);
    await client.query("set local client_encoding = 'UTF8'");
    await preferChainIndex(client);
    if (connection.partnershipId) {
      await client.query("select set_config('app.partnership_id', $1, true)", [
        connection.partnershipId,
      ]);
    }
    return client;
  } catch (error) {
    await client.end();
    throw error;
  }
}

/** Verifies stretches on this thread, over a connection of its own. */
export class InProcessRunner implements StretchRunner {
  private constructor(private readonly client: pg.Client) {}

  static async open(connection: SnapshotConnection): Promise<InProcessRunner> {
    return new InProcessRunner(await openSnapshotClient(connection));
  }

  run(spec: RangeSpec, onProgress: (events: number, seq: number) => void): Promise<Segment> {
    return verifyRange(this.client, spec, onProgress);
  }

  async close(): Promise<void> {
    await this.client.query("rollback").catch(() => undefined);
    await this.client.end();
  }
}

// What crosses between threads: Buffers arrive as plain Uint8Arrays.
type Wire<T> = T extends Buffer
  ? Uint8Array
  : T extends readonly (infer U)[]
    ? readonly Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type WorkerRequest = { type: "range"; spec: Wire<RangeSpec> } | { type: "close" };
export type WorkerReply =
  | { type: "ready" }
  | { type: "progress"; events: number; seq: number }
  | { type: "result"; segment: Wire<Segment> }
  | { type: "error"; message: string }
  | { type: "closed" };

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function reviveSpec(spec: Wire<RangeSpec>): RangeSpec {
  return {
    ...spec,
    start: spec.start ? { seq: spec.start.seq, prevHash: toBuffer(spec.start.prevHash) } : null,
    checkpoints: spec.checkpoints.map((checkpoint): CheckpointAt => ({
      ...checkpoint,
      hash: toBuffer(checkpoint.hash),
    })),
  };
}

export function reviveSegment(segment: Wire<Segment>): Segment {
  return {
    ...segment,
    captured: segment.captured.map((entry) => ({ seq: entry.seq, hash: toBuffer(entry.hash) })),
    first: segment.first ? { ...segment.first, prevHash: toBuffer(segment.first.prevHash) } : null,
    last: segment.last ? { ...segment.last, hash: toBuffer(segment.last.hash) } : null,
  };
}

const WORKER_BOOTSTRAP = fileURLToPath(new URL("./verify-thread.js", import.meta.url));

/** Verifies stretches in a worker thread (db/audit/verify-worker.ts). */
export class ThreadRunner implements StretchRunner {
  private pending: {
    resolve: (segment: Segment) => void;
    reject: (error: Error) => void;
    onProgress: (events: number, seq: number) => void;
  } | null = null;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WorkerReply) => {
      const pending = this.pending;
      if (reply.type === "progress") pending?.onProgress(reply.events, reply.seq);
      else if (reply.type === "result") {
        this.pending = null;
        pending?.resolve(reviveSegment(reply.segment));
      } else if (reply.type === "error") this.fail(new Error(reply.message));
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => {
      if (this.pending) this.fail(new Error(`a verification thread stopped (exit code ${code})`));
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  static open(connection: SnapshotConnection): Promise<ThreadRunner> {
    const worker = new Worker(WORKER_BOOTSTRAP, { workerData: connection });
    return new Promise((resolve, reject) => {
      const onReady = (reply: WorkerReply) => {
        if (reply.type === "ready") {
          cleanUp();
          resolve(new ThreadRunner(worker));
        } else if (reply.type === "error") {
          cleanUp();
          void worker.terminate();
          reject(new Error(reply.message));
        }
      };
      const onError = (error: Error) => {
        cleanUp();
        reject(error);
      };
      const cleanUp = () => {
        worker.off("message", onReady);
        worker.off("error", onError);
      };
      worker.on("message", onReady);
      worker.on("error", onError);
    });
  }

  run(spec: RangeSpec, onProgress: (events: number, seq: number) => void): Promise<Segment> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, onProgress };
      this.worker.postMessage({ type: "range", spec } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    await new Promise<void>((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.postMessage({ type: "close" } satisfies WorkerRequest);
    });
  }
}
