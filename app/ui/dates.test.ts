import { describe, expect, it } from "vitest";
import { formatDateTime } from "./dates";

describe("formatDateTime", () => {
  it.each([
    ["2026-11-24T12:30:00Z", "Tuesday 24 November 2026 at 12:30pm"],
    ["2026-11-24T12:00:00Z", "Tuesday 24 November 2026 at midday"],
    ["2026-11-24T00:00:00Z", "Tuesday 24 November 2026 at midnight"],
    ["2026-11-24T00:05:00Z", "Tuesday 24 November 2026 at 12:05am"],
    ["2026-07-01T14:00:00Z", "Wednesday 1 July 2026 at 3pm"],
  ])("shows %s as %s (UK time, a 12-hour clock that starts at 12)", (iso, expected) => {
    expect(formatDateTime(new Date(iso))).toBe(expected);
  });
});
