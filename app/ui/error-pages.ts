/** A refusal's or fault's page: what happened, and what the person can do next. */
export interface ErrorPage {
  title: string;
  body: string;
}

const ERROR_PAGES: Readonly<Record<number, ErrorPage>> = {
  400: {
    title: "There is a problem with your request",
    body: "Crosswalk could not use what was sent. Go back, reload the page and try again. If it keeps happening, contact your partnership's administrator.",
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
    title: "This page cannot do that",
    body: "The page does not accept that kind of request. Go back to the page you were on and use its buttons and links.",
  },
  409: {
    title: "Someone else has changed this record",
    body: "Go back and reload the page to see the latest version, then make your change again.",
  },
  413: {
    title: "What you sent is too large",
    body: "Nothing was saved. Go back, make your longer answers shorter and try again.",
  },
  429: { title: "Too many requests", body: "Wait a few minutes and try again." },
  // The database is unavailable or too slow (503, with Retry-After): nothing is wrong with what the
  // person did, and it is worth trying again soon.
  503: {
    title: "Sorry, the service is unavailable",
    body: "Try again in a few minutes. Nothing you had already saved has been lost.",
  },
};

const SERVER_ERROR: ErrorPage = {
  title: "Sorry, there is a problem with the service",
  body: "Try again later. Nothing you had already saved has been lost.",
};

/**
 * The page for a status, for the root error boundary and for the refusals the HTTP host answers
 * itself: any other 4xx is a problem with the request, anything else a problem with the service.
 */
export function errorPageFor(status: number): ErrorPage {
  return (
    ERROR_PAGES[status] ??
    (status >= 400 && status < 500 ? ERROR_PAGES[400] : undefined) ??
    SERVER_ERROR
  );
}
