import { useFetchers, useLocation, useNavigation } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState, type SyntheticEvent } from "react";
import { SubmissionIdField } from "./post-form";

/** How long before the idle timeout the warning appears. */
const WARN_BEFORE_MS = 2 * 60_000;
// The server restarts a session's idle clock at most once a minute, so a session can end up to a
// minute sooner than a whole idle timeout after the page last heard from the server.
const SERVER_SLACK_MS = 60_000;
// Tabs of one browser share one session: each tells the others when it last reached the server.
const STORAGE_KEY = "crosswalk:last-server-contact";

function spokenTime(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds >= 60) {
    const minutes = Math.floor(seconds / 60);
    const rest = seconds % 60;
    const minutesText = `${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
    return rest === 0 ? minutesText : `${minutesText} ${rest} ${rest === 1 ? "second" : "seconds"}`;
  }
  return `${seconds} ${seconds === 1 ? "second" : "seconds"}`;
}

function remember(at: number): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, String(at));
  } catch {
    // Storage refused (private browsing, a policy): each tab keeps its own time.
  }
}

/**
 * The GOV.UK timeout warning: where JavaScript runs, two minutes before a signed-in session would
 * end for being idle, a dialog says so and offers to stay signed in (a request that restarts the
 * session's idle clock). Once the time has passed it says the person has been signed out, without
 * leaving the page, so nothing typed into it is thrown away. Without JavaScript nothing is shown
 * and nothing changes.
 */
export function IdleWarning({ idleTimeoutMs }: { idleTimeoutMs: number }) {
  const navigation = useNavigation();
  const fetchers = useFetchers();
  const location = useLocation();
  const busy = navigation.state !== "idle" || fetchers.some((fetcher) => fetcher.state !== "idle");
  // Null until the page runs in a browser: the server renders nothing.
  const [lastContact, setLastContact] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [phase, setPhase] = useState<"quiet" | "warning" | "signed-out">("quiet");
  const dialog = useRef<HTMLDialogElement>(null);

  const heardFromServer = useCallback((at: number) => {
    setLastContact(at);
    remember(at);
  }, []);

  // Every navigation and form the router sends reaches the server, and so keeps the session.
  useEffect(() => {
    if (!busy) heardFromServer(Date.now());
  }, [busy, heardFromServer]);

  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== STORAGE_KEY || !event.newValue) return;
      const at = Number(event.newValue);
      if (Number.isFinite(at))
        setLastContact((known) => (known === null || at > known ? at : known));
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, []);

  const endsAt = lastContact === null ? null : lastContact + idleTimeoutMs - SERVER_SLACK_MS;

  useEffect(() => {
    if (endsAt === null) return;
    const warnAt = endsAt - WARN_BEFORE_MS;
    let ticking: number | undefined;
    const update = () => {
      const at = Date.now();
      setNow(at);
      if (at >= endsAt) {
        setPhase("signed-out");
        window.clearInterval(ticking);
      } else {
        setPhase(at >= warnAt ? "warning" : "quiet");
      }
    };
    update();
    // Timers are slowed in background tabs: each tick reads the clock rather than counting.
    const waiting = window.setTimeout(
      () => {
        update();
        ticking = window.setInterval(update, 1000);
      },
      Math.max(0, warnAt - Date.now()),
    );
    return () => {
      window.clearTimeout(waiting);
      window.clearInterval(ticking);
    };
  }, [endsAt]);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (phase === "quiet") {
      if (element.open) element.close();
    } else if (!element.open) {
      if (typeof element.showModal === "function") element.showModal();
      else element.setAttribute("open", "");
    }
  }, [phase, lastContact]);

  const staySignedIn = async () => {
    try {
      const response = await fetch("/account/stay-signed-in", {
        method: "POST",
        credentials: "same-origin",
        // A redirect means the session had already ended: it is sent to sign in.
        redirect: "manual",
      });
      if (response.status === 204) heardFromServer(Date.now());
      else setPhase("signed-out");
    } catch {
      // No connection: leave the warning up, so the person can try again.
    }
  };

  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    // Escape closes a dialog: before the time is up that means "stay signed in", as the GOV.UK
    // pattern has it; afterwards it only closes, so what is on the page can still be copied.
    if (phase !== "warning") return;
    event.preventDefault();
    void staySignedIn();
  };

  if (lastContact === null || endsAt === null) return null;
  const returnTo = encodeURIComponent(`${location.pathname}${location.search}`);
  const remaining = endsAt - now;
  return (
    <dialog
      ref={dialog}
      className="app-idle-warning"
      aria-labelledby="idle-warning-title"
      aria-describedby="idle-warning-body"
      onCancel={onCancel}
    >
      {phase === "signed-out" ? (
        <>
          <h2 className="govuk-heading-m" id="idle-warning-title">
            You have been signed out
          </h2>
          <div id="idle-warning-body">
            <p className="govuk-body">
              You were signed out because you had not done anything for {spokenTime(idleTimeoutMs)}.
              This keeps the records in Crosswalk safe on a computer left unattended.
            </p>
            <p className="govuk-body">Anything you typed on this page has not been saved yet.</p>
          </div>
          <div className="govuk-button-group">
            <a className="govuk-button" href={`/sign-in?returnTo=${returnTo}`}>
              Sign in again
            </a>
            <button
              type="button"
              className="govuk-button govuk-button--secondary"
              onClick={() => dialog.current?.close()}
            >
              Close
            </button>
          </div>
        </>
      ) : (
        <>
          <h2 className="govuk-heading-m" id="idle-warning-title">
            You will be signed out soon
          </h2>
          <div id="idle-warning-body">
            <p className="govuk-body">
              To keep records safe, we will sign you out in{" "}
              <strong aria-hidden="true">{spokenTime(remaining)}</strong>
              <span className="govuk-visually-hidden">
                {remaining > 60_000 ? "about 2 minutes" : "less than a minute"}
              </span>{" "}
              if you do not do anything.
            </p>
            <p className="govuk-body">
              Anything on this page that you have not saved will be lost.
            </p>
          </div>
          <div className="govuk-button-group">
            <button type="button" className="govuk-button" onClick={() => void staySignedIn()}>
              Stay signed in
            </button>
            <form method="post" action="/sign-out" className="app-idle-warning__sign-out">
              <SubmissionIdField />
              <button type="submit" className="govuk-button govuk-button--secondary">
                Sign out
              </button>
            </form>
          </div>
        </>
      )}
    </dialog>
  );
}
