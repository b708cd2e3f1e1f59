import type pg from "pg";

/**
 * Run one `COPY ... TO STDOUT` and hand each chunk of its data to `onData` as it arrives, in order
 * and synchronously, so nothing piles up in memory (pg-copy-streams, without the dependency). If
 * `onData` throws, the rest of the data is skipped and the promise rejects with that error once the
 * server has finished the statement.
 */
export function copyOut(
  client: pg.ClientBase,
  text: string,
  onData: (chunk: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown = undefined;
    let failed = false;
    const submittable = {
      submit(connection: pg.Connection) {
        connection.query(text);
      },
      handleCopyData(message: { chunk: Buffer }) {
        if (failed) return;
        try {
          onData(message.chunk);
        } catch (error) {
          failed = true;
          failure = error;
        }
      },
      handleRowDescription() {},
      handleDataRow() {},
      handleCommandComplete() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleError(error: Error) {
        reject(error);
      },
      handleReadyForQuery() {
        if (failed) reject(failure instanceof Error ? failure : new Error(String(failure)));
        else resolve();
      },
    };
    client.query(submittable);
  });
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * Reads PostgreSQL's binary COPY format from chunks however they are split, calling `onTuple` with
 * each tuple's buffer and the start and length of each field (length -1 for NULL). The buffer is
 * only valid during the call.
 */
export class BinaryCopyReader {
  private pending: Buffer | null = null;
  private headerRead = false;
  /** True once the trailer has been read: the COPY sent everything. */
  ended = false;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;

  constructor(
    private readonly fieldCount: number,
    private readonly onTuple: (tuple: Buffer, starts: Int32Array, lengths: Int32Array) => void,
  ) {
    this.starts = new Int32Array(fieldCount);
    this.lengths = new Int32Array(fieldCount);
  }

  /** Feed the next chunk. */
  push(chunk: Buffer): void {
    let buffer = chunk;
    if (this.pending) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    if (!this.headerRead) {
      if (buffer.length < 19) {
        this.pending = Buffer.from(buffer);
        return;
      }
      if (!buffer.subarray(0, 11).equals(SIGNATURE)) throw new Error("not a binary COPY stream");
      const extension = buffer.readInt32BE(15);
      if (buffer.length < 19 + extension) {
        this.pending = Buffer.from(buffer);
        return;
      }
      at = 19 + extension;
      this.headerRead = true;
    }
    const { starts, lengths, fieldCount } = this;
    while (!this.ended && at + 2 <= buffer.length) {
      const count = buffer.readInt16BE(at);
      if (count === -1) {
        this.ended = true;
        at += 2;
        break;
      }
      if (count !== fieldCount) throw new Error(`expected ${fieldCount} fields, got ${count}`);
      let cursor = at + 2;
      let complete = true;
      for (let field = 0; field < fieldCount; field += 1) {
        if (cursor + 4 > buffer.length) {
          complete = false;
          break;
        }
        const length = buffer.readInt32BE(cursor);
        cursor += 4;
        starts[field] = cursor;
        lengths[field] = length;
        if (length > 0) cursor += length;
        if (cursor > buffer.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      this.onTuple(buffer, starts, lengths);
      at = cursor;
    }
    // The chunk may be reused by the connection once we return: keep a copy of any partial tuple.
    if (at < buffer.length && !this.ended) this.pending = Buffer.from(buffer.subarray(at));
  }
}
