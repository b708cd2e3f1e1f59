import type { Response } from "express";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { RETRY_AFTER_SECONDS } from "../db/unavailable";
import { errorPageFor, type ErrorPage } from "../app/ui/error-pages";
import { FaultPage, type KeptSubmission } from "../app/ui/kept-answers";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (character) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character] ?? "",
  );

/**
 * The GOV.UK page for a refusal or fault the HTTP host answers itself, before or instead of Remix
 * (a cross-site form, a method the route does not serve, a body too large, a resource route's
 * error, a crash, an unavailable database): the app's error boundary's own page (FaultPage), in the
 * same frame, with no script and never a stack trace. `kept` gives back a form that was not saved.
 */
export function errorPageHtml(
  status: number,
  page: ErrorPage = errorPageFor(status),
  kept: KeptSubmission | null = null,
): string {
  const title = escapeHtml(page.title);
  const main = renderToStaticMarkup(createElement(FaultPage, { page, kept }));
  return `<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<title>${title} – Crosswalk</title>
<link rel="stylesheet" href="/styles/crosswalk.css">
</head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="govuk-template__header"><div class="govuk-generic-header"><div class="govuk-generic-header__container govuk-width-container"><div class="govuk-generic-header__logo"><a href="/" class="govuk-generic-header__homepage-link">Crosswalk</a></div></div></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
${main}
</main></div>
<footer class="govuk-footer"><div class="govuk-width-container"><div class="govuk-footer__meta"><div class="govuk-footer__meta-item govuk-footer__meta-item--grow"><p class="govuk-body-s govuk-!-margin-bottom-0">Crosswalk helps partner agencies keep young people safe from serious violence. Every access to a young person&#39;s record is recorded.</p></div></div></div></footer>
</body>
</html>
`;
}

/** Answer with the GOV.UK page for `status` (or the page given). */
export function sendErrorPage(res: Response, status: number, page?: ErrorPage): void {
  res.status(status).type("html").send(errorPageHtml(status, page));
}

/**
 * Answer 503 because the database is unavailable or too slow: the GOV.UK page, a Retry-After, and
 * the person's answers when a form was sent (nothing of it was saved).
 */
export function sendUnavailablePage(res: Response, kept: KeptSubmission | null = null): void {
  res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
  res
    .status(503)
    .type("html")
    .send(errorPageHtml(503, undefined, kept));
}
