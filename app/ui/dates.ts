/** How Crosswalk shows dates and times: GOV.UK style, in UK time. */

const LONDON = "Europe/London";

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: LONDON,
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
  // "h12": 12:30pm, never 0:30pm (Node and browsers disagree on hour12 for en-GB).
  hourCycle: "h12",
});

/** "Wednesday 27 November 2026 at 3:05pm" (and "at 3pm", "at midday", "at midnight"). */
export function formatDateTime(moment: Date): string {
  const parts = DATE_TIME.formatToParts(moment);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((candidate) => candidate.type === type)?.value ?? "";
  const hour = part("hour");
  const minute = part("minute");
  const period = part("dayPeriod").toLowerCase().replace(/\W/g, "");
  const time =
    hour === "12" && minute === "00"
      ? period === "pm"
        ? "midday"
        : "midnight"
      : `${hour}${minute === "00" ? "" : `:${minute}`}${period}`;
  return `${part("weekday")} ${part("day")} ${part("month")} ${part("year")} at ${time}`;
}

const DATE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  day: "numeric",
  month: "long",
  year: "numeric",
});

/** "27 November 2026", from an ISO calendar date (YYYY-MM-DD), which has no time zone. */
export function formatDate(isoDate: string): string {
  return DATE.format(new Date(`${isoDate}T00:00:00Z`));
}

/** Today's date in the UK, as an ISO calendar date (YYYY-MM-DD). */
export function todayInLondon(now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: LONDON }).format(now);
}
