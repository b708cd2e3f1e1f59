import { formatDateTime } from "./dates";
import { NotificationBanner } from "./notification-banner";

/** Shown on every case page a person opens under emergency access, for as long as it lasts. */
export function EmergencyAccessBanner({ access }: { access: { expiresAt: string } | null }) {
  if (!access) return null;
  return (
    <NotificationBanner title="Emergency access">
      <p className="govuk-notification-banner__heading">
        You are viewing this record under emergency access until{" "}
        {formatDateTime(new Date(access.expiresAt))}.
      </p>
      <p className="govuk-body">
        Every page you open is recorded and will be reviewed by the partnership lead.
      </p>
    </NotificationBanner>
  );
}
