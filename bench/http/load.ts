import autocannon from "autocannon";
import type { PageRequest } from "./client";

/** What one side (the application or the baseline) did over all its slices of one comparison. */
export interface SideResult {
  requests: number;
  seconds: number;
  /** Every response's time, in milliseconds. */
  latencies: number[];
  /** Responses with another status than the one expected, and connection errors and timeouts. */
  errors: number;
  /** A few of the unexpected statuses seen, for the error message. */
  unexpected: Map<number, number>;
}

export function emptySide(): SideResult {
  return { requests: 0, seconds: 0, latencies: [], errors: 0, unexpected: new Map() };
}

/**
 * Drive `url` with `connections` connections for `seconds` (one slice), adding what happened to
 * `into`. A response counts when its status is `expected`; anything else, and any connection
 * error or timeout, is an error.
 */
export async function runSlice(
  url: string,
  request: PageRequest,
  connections: number,
  seconds: number,
  expected: number,
  into: SideResult,
): Promise<void> {
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(request.path, url).href,
        method: request.method,
        // A form's Origin is the server's own, whichever server this is.
        headers:
          "origin" in request.headers
            ? { ...request.headers, origin: new URL(url).origin }
            : request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        connections,
        duration: seconds,
        timeout: 30,
      },
      (error: unknown, done: autocannon.Result) => (error ? reject(toError(error)) : resolve(done)),
    );
    // The instance's own event carries the client first (autocannon's types leave it out).
    (instance as unknown as NodeJS.EventEmitter).on(
      "response",
      (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        into.requests += 1;
        into.latencies.push(responseTime);
        if (statusCode !== expected) {
          into.errors += 1;
          into.unexpected.set(statusCode, (into.unexpected.get(statusCode) ?? 0) + 1);
        }
      },
    );
  });
  into.errors += result.errors;
  into.seconds += Number(process.hrtime.bigint() - started) / 1e9;
}

/** The value below which `fraction` of the sorted values fall (nearest rank). */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface SideSummary {
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  requests: number;
}

export function summarise(side: SideResult): SideSummary {
  const sorted = [...side.latencies].sort((a, b) => a - b);
  return {
    requestsPerSecond: side.seconds > 0 ? side.requests / side.seconds : 0,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    errors: side.errors,
    requests: side.requests,
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
