import type { ReactNode } from "react";

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
  return (
    <div
      className={`govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`}
      role={success ? "alert" : "region"}
      aria-labelledby="notification-banner-title"
      data-module="govuk-notification-banner"
    >
      <div className="govuk-notification-banner__header">
        <h2 className="govuk-notification-banner__title" id="notification-banner-title">
          {title}
        </h2>
      </div>
      <div className="govuk-notification-banner__content">{children}</div>
    </div>
  );
}
