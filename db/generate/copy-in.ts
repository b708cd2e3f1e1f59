import type { Writable } from "node:stream";
import type pg from "pg";

/** The parts of pg's connection (not in its types) that a COPY FROM STDIN uses. */
interface CopyConnection {
  stream: Writable;
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * Run one `COPY ... FROM STDIN` and send it the chunks `source` yields, waiting whenever the
 * socket's buffer is full, so a large load streams through a little memory (pg-copy-streams,
 * without the dependency; db/audit/copy-out.ts is the other direction). If `source` throws, the
 * COPY is abandoned (CopyFail) and the promise rejects with that error. Resolves with the number
 * of rows the server copied.
 */
export function copyIn(
  client: pg.ClientBase,
  text: string,
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let rows = 0;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error instanceof Error ? error : new Error("the COPY failed"));
    };
    const submittable = {
      submit(connection: CopyConnection) {
        connection.query(text);
      },
      handleCopyInResponse(connection: CopyConnection) {
        const stream = connection.stream;
        void (async () => {
          try {
            for await (const chunk of source) {
              // After the server's error it discards the rest: stop sending.
              if (settled) return;
              connection.sendCopyFromChunk(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
              if (stream.writableNeedDrain) {
                await new Promise<void>((drained) => stream.once("drain", () => drained()));
              }
            }
            connection.endCopyFrom();
          } catch (error) {
            connection.sendCopyFail(error instanceof Error ? error.message : "the source failed");
            fail(error);
          }
        })();
      },
      handleCommandComplete(message: { text: string }) {
        const match = /^COPY (\d+)/.exec(message.text);
        if (match) rows = Number(match[1]);
      },
      handleCopyData() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      // pg stops treating this as the active query on an error, so no ReadyForQuery reaches it.
      handleError(error: Error) {
        fail(error);
      },
      handleReadyForQuery() {
        if (settled) return;
        settled = true;
        resolve(rows);
      },
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}

/** A value in COPY's text format: NULL as \N, and backslashes, tabs and line breaks escaped. */
export function copyText(value: string | null): string {
  if (value === null) return "\\N";
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value
    .replaceAll("\\", "\\\\")
    .replaceAll("\t", "\\t")
    .replaceAll("\n", "\\n")
    .replaceAll("\r", "\\r");
}
