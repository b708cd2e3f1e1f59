import { test } from "vitest";

/**
 * Parts of the reliability contract Crosswalk does not meet yet, each with what fails
 * (docs/RELIABILITY.md, "Not met yet"). Their tests run and fail everywhere but in CI (CI=true),
 * where they are skipped with the gap in their name, so that one open gap does not stop every
 * other change from landing. Remove an entry once its test passes: the test then runs in CI too.
 */
export const KNOWN_GAPS = {
  "render-error-after-503":
    "answering 503 cancels the page Remix was still rendering, which logs a render error with its stack",
  "frozen-database":
    "a database that stops answering holds a request for ever: no client-side deadline on queries",
  "readyz-under-storm":
    "/readyz waits behind a hundred requests' 503 pages on two cores and takes over a second",
} as const;

export type KnownGap = keyof typeof KNOWN_GAPS;

/** `test`, or in CI `test.skip` naming the gap, for a test that shows a known gap. */
export function testOfGap(
  gap: KnownGap,
  name: string,
  body: () => Promise<void> | void,
  timeoutMs?: number,
): void {
  if (process.env.CI) test.skip(`${name} [known gap: ${KNOWN_GAPS[gap]}]`, body);
  else test(name, body, timeoutMs);
}
