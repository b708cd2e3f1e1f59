import { useSearchParams } from "@remix-run/react";
import { NotificationBanner } from "./notification-banner";

/**
 * The GOV.UK success banner after a change, chosen by a `?done=` flag from a fixed list of
 * messages. The flag never carries names or other data: only the key of a message.
 */
export function SuccessBanner({ messages }: { messages: Readonly<Record<string, string>> }) {
  const [searchParams] = useSearchParams();
  const done = searchParams.get("done");
  const message = done && Object.hasOwn(messages, done) ? messages[done] : undefined;
  if (!message) return null;
  return (
    <NotificationBanner title="Success" variant="success">
      <h3 className="govuk-notification-banner__heading">{message}</h3>
    </NotificationBanner>
  );
}
