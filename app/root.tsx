import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  LiveReload,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useEffect, type ReactNode } from "react";
import { ROLE_DESCRIPTIONS } from "../policies";
import { getActor, requestMeta } from "./auth/session.server";
import { unreadNotificationCount } from "./services/notifications.server";
import { serviceCall } from "./http.server";
import { newSubmissionId } from "./services/submissions.server";
import { navigationFor } from "./navigation";
import {
  Footer,
  Header,
  Main,
  SkipLink,
  type FrameIdentity,
  type NavigationItem,
} from "./ui/frame";
import { AlreadySavedNotice } from "./ui/already-saved-notice";
import { DocumentTitle } from "./ui/document-title";
import { errorPageFor } from "./ui/error-pages";
import { FaultPage, failedSubmission } from "./ui/kept-answers";
import { IdleWarning } from "./ui/idle-warning";
import { useNonce } from "./ui/nonce";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: "/styles/crosswalk.css" }];

export const meta: MetaFunction = ({ error }) => [
  { title: error === undefined ? "Crosswalk" : `${errorPage(error).page.title} – Crosswalk` },
];

interface FrameData {
  identity: FrameIdentity | null;
  navigation: NavigationItem[];
  /** The session's idle timeout, for the warning before it (null when no one is signed in). */
  idleTimeoutMs: number | null;
  /**
   * The one-time id the page's forms are sent with (decision 018): made here, on the server, once
   * per render, so hydration keeps it, and made afresh whenever the loaders run again after a form.
   */
  submissionId: string;
}

export async function loader({ request, context }: LoaderFunctionArgs): Promise<FrameData> {
  const actor = await getActor(request, context);
  const submissionId = newSubmissionId();
  if (!actor) return { identity: null, navigation: [], idleTimeoutMs: null, submissionId };
  // The database away is a 503 for the frame too, as for the page it surrounds.
  const unreadNotifications = await serviceCall(() =>
    unreadNotificationCount({ db: context.db, actor, ...requestMeta(context) }),
  );
  return {
    identity: {
      displayName: actor.displayName,
      agencyName: actor.agencyName,
      roleLabel: ROLE_DESCRIPTIONS[actor.role].label,
      unreadNotifications,
    },
    navigation: navigationFor(actor.role),
    idleTimeoutMs: context.sessions.idleTimeoutMs,
    submissionId,
  };
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const frame = useRouteLoaderData<typeof loader>("root");
  const location = useLocation();
  useEffect(() => {
    void import("govuk-frontend").then(({ initAll }) => initAll());
  }, []);
  return (
    <html lang="en-GB" className="govuk-template">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="robots" content="noindex, nofollow" />
        <DocumentTitle />
        <Links />
      </head>
      <body className="govuk-template__body">
        <script
          nonce={nonce}
          // GOV.UK Frontend's hook for styles that apply only when JavaScript runs.
          dangerouslySetInnerHTML={{
            __html:
              "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');",
          }}
        />
        <SkipLink />
        <Header
          identity={frame?.identity ?? null}
          navigation={frame?.navigation ?? []}
          currentPath={location.pathname}
        />
        {frame?.identity && frame.idleTimeoutMs ? (
          <IdleWarning idleTimeoutMs={frame.idleTimeoutMs} />
        ) : null}
        <Main>{children}</Main>
        <Footer />
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
        <LiveReload nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return (
    <>
      <AlreadySavedNotice />
      <Outlet />
    </>
  );
}

/** The statuses whose text, when there is one, is written for the person and shown. */
const EXPLAINED = new Set([400, 403, 409]);

function errorPage(error: unknown) {
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const page = errorPageFor(status);
  // A 403 may carry a reason from the access policies; a 400 or 409 what was wrong.
  const reason =
    isRouteErrorResponse(error) && EXPLAINED.has(status) && typeof error.data === "string"
      ? error.data
      : null;
  return { page, reason };
}

/**
 * GOV.UK error pages. They never show a stack trace or the internal error. When a form sent by the
 * app's script failed to save (the database unavailable, 503, or a fault, 500), the page replaced
 * what the person typed: the same page as the HTTP host's gives it back from the form the browser
 * kept (app/entry.client.tsx).
 */
export function ErrorBoundary() {
  const error = useRouteError();
  const location = useLocation();
  const { page, reason } = errorPage(error);
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const kept = status === 503 || status === 500 ? failedSubmission(location.pathname) : null;
  return <FaultPage page={page} reason={reason} kept={kept} />;
}
