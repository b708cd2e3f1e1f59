import { useId, type ReactNode } from "react";

/** GOV.UK notification banner; `success` for the outcome of something the person just did. */
export function NotificationBanner({
  title,
  children,
  variant = "important",
}: {
  title: string;
  children: ReactNode;
  variant?: "important" | "success";
}) {
  const success = variant === "success";
  // A page may show more than one banner: each title needs its own id.
  const titleId = `notification-banner-title${useId().replace(/:/g, "-")}`;
  return (
    <div
      className={`govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`}
      role={success ? "alert" : "region"}
      aria-labelledby={titleId}
      data-module="govuk-notification-banner"
    >
      <div className="govuk-notification-banner__header">
        <h2 className="govuk-notification-banner__title" id={titleId}>
          {title}
        </h2>
      </div>
      <div className="govuk-notification-banner__content">{children}</div>
    </div>
  );
}
