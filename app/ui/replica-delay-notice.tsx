import { NotificationBanner } from "./notification-banner";

/** A replica this far behind, or less, is as good as current: nothing is said. */
export const DELAY_SHOWN_AFTER_SECONDS = 5;

/** "12 seconds", "3 minutes", "2 hours": how far behind, as a person would say it. */
export function describeDelay(seconds: number): string {
  const say = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`;
  if (seconds < 120) return say(seconds, "second");
  if (seconds < 2 * 3600) return say(Math.ceil(seconds / 60), "minute");
  return say(Math.ceil(seconds / 3600), "hour");
}

/**
 * Said at the top of a page whose figures or search results were read from a replica that is
 * behind (docs/SCALING.md): how old they may be, so nobody mistakes them for the latest.
 */
export function ReplicaDelayNotice({
  seconds,
  subject,
  consequence,
}: {
  /** How far behind the reads may be (readDelaySeconds). */
  seconds: number;
  /** "These figures", "These results". */
  subject: string;
  /** What it means, e.g. "The newest events may not be listed yet." */
  consequence?: string;
}) {
  if (seconds <= DELAY_SHOWN_AFTER_SECONDS) return null;
  return (
    <NotificationBanner title="Important">
      <p className="govuk-notification-banner__heading">
        {`${subject} may be up to ${describeDelay(seconds)} out of date.`}
      </p>
      {consequence ? <p className="govuk-body">{consequence}</p> : null}
    </NotificationBanner>
  );
}
