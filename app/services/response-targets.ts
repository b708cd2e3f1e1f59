import { z } from "zod";
import type { ResponseTarget, ResponseTargets } from "../../db/types";

export type { ResponseTarget, ResponseTargets };
import type { RagRating } from "../../policies";

/** Response targets when a partnership has not set its own (DOMAIN.md section 3). */
export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = {
  red: { hours: 4 },
  amber: { workingDays: 1 },
  green: { workingDays: 3 },
};

const LONDON_WEEKDAY = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  weekday: "short",
});

function isWeekendInLondon(moment: Date): boolean {
  const day = LONDON_WEEKDAY.format(moment);
  return day === "Sat" || day === "Sun";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `days` working days after `from`: the same time of day on the `days`-th UK weekday after it, so
 * one working day after a Friday or a Saturday is the Monday. Bank holidays are not yet known to
 * Crosswalk.
 */
export function addWorkingDays(from: Date, days: number): Date {
  let moment = new Date(from.getTime());
  let remaining = days;
  while (remaining > 0) {
    moment = new Date(moment.getTime() + DAY_MS);
    if (!isWeekendInLondon(moment)) remaining -= 1;
  }
  while (isWeekendInLondon(moment)) moment = new Date(moment.getTime() + DAY_MS);
  return moment;
}

/** When a response is due, `target` after `from`. */
export function dueAfter(from: Date, target: ResponseTarget): Date {
  return "hours" in target
    ? new Date(from.getTime() + target.hours * 60 * 60 * 1000)
    : addWorkingDays(from, target.workingDays);
}

/**
 * Before screening there is no RAG rating yet: an urgent referral is held to the red target and a
 * routine one to the green target, so nothing waits longer than the slowest target.
 */
export function screeningTarget(
  targets: ResponseTargets,
  urgency: "urgent" | "routine",
): ResponseTarget {
  return urgency === "urgent" ? targets.red : targets.green;
}

/** The target for a rated referral. */
export function ratedTarget(targets: ResponseTargets, rag: RagRating): ResponseTarget {
  return targets[rag];
}

/** A target in words, for the referral page: "4 hours", "1 working day". */
export function describeTarget(target: ResponseTarget): string {
  if ("hours" in target) return `${target.hours} hour${target.hours === 1 ? "" : "s"}`;
  return `${target.workingDays} working day${target.workingDays === 1 ? "" : "s"}`;
}

const TargetSchema = z.union([
  z
    .object({
      hours: z
        .number()
        .positive()
        .max(24 * 30),
    })
    .strict(),
  z.object({ workingDays: z.number().int().positive().max(30) }).strict(),
]);
const TargetsSchema = z.object({ red: TargetSchema, amber: TargetSchema, green: TargetSchema });

/** A partnership's stored targets, or the defaults where the stored value is not usable. */
export function readResponseTargets(stored: unknown): ResponseTargets {
  const parsed = TargetsSchema.safeParse(stored);
  return parsed.success ? parsed.data : DEFAULT_RESPONSE_TARGETS;
}
