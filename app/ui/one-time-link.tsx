import type { ReactNode } from "react";
import { Panel } from "./panel";
import { WarningText } from "./warning-text";

/** A set-password link as the administrator sees it, once, in the response to their action. */
export interface OneTimeLinkView {
  url: string;
  /** When it stops working, already formatted for people ("Wednesday 27 November 2026 at 3:05pm"). */
  expires: string;
}

/**
 * The one-time set-password link, shown once: a confirmation panel, the link in a read-only field
 * to copy, when it expires, and how to pass it on. It is never put in a URL or stored.
 */
export function OneTimeLink({
  title,
  displayName,
  link,
  children,
}: {
  title: string;
  /** Whose link it is. */
  displayName: string;
  link: OneTimeLinkView;
  children?: ReactNode;
}) {
  return (
    <>
      <Panel title={title} />
      <div className="govuk-form-group">
        <label className="govuk-label govuk-label--m" htmlFor="set-password-link">
          One-time set-password link
        </label>
        <div id="set-password-link-hint" className="govuk-hint">
          It expires on {link.expires}.
        </div>
        <textarea
          className="govuk-textarea app-one-time-link"
          id="set-password-link"
          rows={2}
          readOnly
          value={link.url}
          spellCheck={false}
          autoComplete="off"
          aria-describedby="set-password-link-hint"
        />
      </div>
      <WarningText>
        Give this link to {displayName} by a secure route. It works once and expires after 72 hours.
        You will not be able to see it again.
      </WarningText>
      <p className="govuk-body">
        When they open it, they choose their own password. You never choose or see it.
      </p>
      {children}
    </>
  );
}
