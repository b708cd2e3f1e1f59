import type { Response } from "express";
import { errorPageFor, type ErrorPage } from "../app/ui/error-pages";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (character) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character] ?? "",
  );

/**
 * The GOV.UK page for a refusal or fault the HTTP host answers itself, before or instead of Remix
 * (a cross-site form, a method the route does not serve, a body too large, a resource route's
 * error, a crash): the same words as the app's error boundary, in the same frame, with no script
 * and never a stack trace.
 */
export function errorPageHtml(status: number, page: ErrorPage = errorPageFor(status)): string {
  const title = escapeHtml(page.title);
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
<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
<h1 class="govuk-heading-l">${title}</h1>
<p class="govuk-body">${escapeHtml(page.body)}</p>
<p class="govuk-body"><a href="/" class="govuk-link">Go to the start page</a></p>
</div></div>
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
