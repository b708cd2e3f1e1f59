import { describe, expect, it } from "vitest";
import {
  isDatabaseUnavailable,
  noteUnavailable,
  PoolQueueFull,
  unavailabilityCode,
  watchForUnavailability,
} from "./unavailable";

/** An error as node-postgres gives it: a message and, from the server or the socket, a code. */
function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

describe("which failures mean the database is unavailable or too slow", () => {
  it.each([
    ["08006", "connection failure"],
    ["08001", "cannot connect"],
    ["53100", "disk full"],
    ["53200", "out of memory"],
    ["53300", "too many connections"],
    ["57P01", "terminated by an administrator"],
    ["57P02", "crash shutdown"],
    ["57P03", "cannot connect now (starting up)"],
    ["57014", "statement timeout"],
    ["55P03", "lock timeout"],
    ["58030", "I/O error"],
    ["ECONNREFUSED", "nothing listening"],
    ["ECONNRESET", "connection reset"],
    ["ETIMEDOUT", "network timeout"],
    ["EPIPE", "broken pipe"],
    ["ENOTFOUND", "unknown host"],
  ])("%s (%s) is unavailability, with its code", (code, what) => {
    expect(unavailabilityCode(pgError(what, code))).toBe(code);
  });

  it.each([
    ["Connection terminated unexpectedly", "CONNECTION_LOST"],
    ["Connection terminated due to connection timeout", "CONNECTION_LOST"],
    ["timeout exceeded when trying to connect", "CONNECT_TIMEOUT"],
    ["Query read timeout", "QUERY_TIMEOUT"],
    ["Client has encountered a connection error and is not queryable", "CONNECTION_LOST"],
  ])("node-postgres's code-less %j is unavailability (%s)", (message, code) => {
    expect(unavailabilityCode(new Error(message))).toBe(code);
  });

  it("a full wait queue for connections is unavailability", () => {
    expect(unavailabilityCode(new PoolQueueFull(50))).toBe("POOL_QUEUE_FULL");
  });

  it("is found in an error's cause, and in every error of an AggregateError", () => {
    expect(unavailabilityCode(new Error("query failed", { cause: pgError("x", "57014") }))).toBe(
      "57014",
    );
    const refusedTwice = new AggregateError([
      pgError("connect ECONNREFUSED ::1:5432", "ECONNREFUSED"),
      pgError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
    ]);
    expect(unavailabilityCode(refusedTwice)).toBe("ECONNREFUSED");
  });

  it.each([
    ["23505", "unique violation"],
    ["23503", "foreign key violation"],
    ["42501", "insufficient privilege (row-level security)"],
    ["42P01", "undefined table"],
    ["40001", "serialization failure"],
    ["22P02", "invalid text representation"],
    ["57P04", "database dropped"],
  ])("%s (%s) is not: it is a bug or a conflict", (code, what) => {
    expect(isDatabaseUnavailable(pgError(what, code))).toBe(false);
  });

  it("a plain error, a string and nothing are not", () => {
    expect(isDatabaseUnavailable(new TypeError("cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe("noting unavailability for the request being served", () => {
  it("records the first code seen within the request's scope, and only there", async () => {
    const { record, result } = watchForUnavailability(async () => {
      await Promise.resolve();
      expect(noteUnavailable("55P03")).toBe(true);
      noteUnavailable("57014");
    });
    await result;
    expect(record.code).toBe("55P03");
    expect(noteUnavailable("08006")).toBe(false);
  });
});
