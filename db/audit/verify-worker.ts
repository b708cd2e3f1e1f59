import { parentPort, workerData } from "node:worker_threads";
import {
  openSnapshotClient,
  reviveSpec,
  type SnapshotConnection,
  type WorkerReply,
  type WorkerRequest,
} from "./verify-parallel";
import { verifyRange } from "./verify-range";

/**
 * A verification thread (started by ThreadRunner in db/audit/verify-parallel.ts through
 * verify-thread.js): joins the verifier's snapshot on a connection of its own, then verifies the
 * stretches it is sent, one at a time, until it is told to close.
 */
const port = parentPort;
if (!port) throw new Error("verify-worker runs in a worker thread");
const reply = (message: WorkerReply) => port.postMessage(message);
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

try {
  const client = await openSnapshotClient(workerData as SnapshotConnection);
  let queue = Promise.resolve();
  port.on("message", (request: WorkerRequest) => {
    queue = queue.then(async () => {
      if (request.type === "close") {
        await client.query("rollback").catch(() => undefined);
        await client.end();
        port.close();
        return;
      }
      try {
        const segment = await verifyRange(client, reviveSpec(request.spec), (events, seq) =>
          reply({ type: "progress", events, seq }),
        );
        reply({ type: "result", segment });
      } catch (error) {
        reply({ type: "error", message: errorMessage(error) });
      }
    });
  });
  reply({ type: "ready" });
} catch (error) {
  reply({ type: "error", message: errorMessage(error) });
}
