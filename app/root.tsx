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
import { getActor } from "./auth/session.server";
import { navigationFor } from "./navigation";
import {
  Footer,
  Header,
  Main,
  SkipLink,
  type FrameIdentity,
  type NavigationItem,
} from "./ui/frame";
import { DocumentTitle } from "./ui/document-title";
import { useNonce } from "./ui/nonce";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: "/styles/crosswalk.css" }];

export const meta: MetaFunction = ({ error }) => [
  { title: error === undefined ? "Crosswalk" : `${errorPage(error).page.title} – Crosswalk` },
];

interface FrameData {
  identity: FrameIdentity | null;
  navigation: NavigationItem[];
}

export async function loader({ request, context }: LoaderFunctionArgs): Promise<FrameData> {
  const actor = await getActor(request, context);
  if (!actor) return { identity: null, navigation: [] };
  return {
    identity: {
      displayName: actor.displayName,
      agencyName: actor.agencyName,
      roleLabel: ROLE_DESCRIPTIONS[actor.role].label,
    },
    navigation: navigationFor(actor.role),
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
  return <Outlet />;
}

const ERROR_PAGES: Record<number, { title: string; body: string }> = {
  400: {
    title: "There is a problem with your request",
    body: "The request could not be understood. Go back and try again.",
  },
  403: {
    title: "You do not have permission to do this",
    body: "If you think you should be able to, contact your agency lead or the partnership's administrator.",
  },
  404: {
    title: "Page not found",
    body: "If you typed the web address, check it is correct. If you followed a link to a young person's record, you may not have access to it.",
  },
  405: {
    title: "There is a problem with your request",
    body: "That action is not available on this page.",
  },
  429: { title: "Too many requests", body: "Wait a few minutes and try again." },
};

const SERVER_ERROR = {
  title: "Sorry, there is a problem with the service",
  body: "Try again later. Nothing you had already saved has been lost.",
};

function errorPage(error: unknown) {
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const page = ERROR_PAGES[status] ?? SERVER_ERROR;
  // A 403 may carry a reason written for the person (from the access policies).
  const reason =
    isRouteErrorResponse(error) && status === 403 && typeof error.data === "string"
      ? error.data
      : null;
  return { page, reason };
}

/** GOV.UK error pages. They never show a stack trace or the internal error. */
export function ErrorBoundary() {
  const { page, reason } = errorPage(useRouteError());
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">{page.title}</h1>
        {reason ? <p className="govuk-body">{reason}</p> : null}
        <p className="govuk-body">{page.body}</p>
        <p className="govuk-body">
          <a href="/" className="govuk-link">
            Go to the start page
          </a>
        </p>
      </div>
    </div>
  );
}
