import { useSearchParams } from "@remix-run/react";
import { NotificationBanner } from "./notification-banner";

/** The `notice` a page is opened with after a form was sent again and saved nothing more. */
const ALREADY_SAVED = "already-saved";

/**
 * The page that shows what a form saved, opened with the notice that this sending saved nothing
 * more. The page's own success flag (`done`) is dropped: its message was for the first sending.
 */
export function alreadySavedPath(location: string): string {
  const url = new URL(location, "http://crosswalk.invalid");
  url.searchParams.delete("done");
  url.searchParams.set("notice", ALREADY_SAVED);
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * On any page: the form the person sent had been saved already (the first sending's answer was
 * lost, or they pressed the button twice), so this one saved nothing and here is what was saved.
 */
export function AlreadySavedNotice() {
  const [searchParams] = useSearchParams();
  if (searchParams.get("notice") !== ALREADY_SAVED) return null;
  return (
    <NotificationBanner title="Success" variant="success">
      <h3 className="govuk-notification-banner__heading">This was already saved</h3>
      <p className="govuk-body">
        It was saved the first time you sent it, so it was not saved again. This page shows it.
      </p>
    </NotificationBanner>
  );
}
