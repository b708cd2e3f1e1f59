import { randomBytes } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import helmet from "helmet";
import { sendErrorPage } from "./error-page";

/** A fresh nonce per response, for the inline scripts Remix and GOV.UK Frontend need. */
export const cspNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString("base64");
  next();
};

/**
 * Security headers on every response: an enforced Content-Security-Policy with the response's
 * nonce, no framing, no plugins, no <base>, no referrer, no MIME sniffing. HSTS only over HTTPS
 * (a browser ignores it over HTTP, and sending it from a developer's http://localhost misleads).
 */
export function securityHeaders(options: { development: boolean }): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: [
            "'self'",
            (_req, res) => `'nonce-${String((res as Response).locals.cspNonce)}'`,
          ],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'"],
          // The development server's live reload talks over a websocket.
          connectSrc: options.development ? ["'self'", "ws:"] : ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      strictTransportSecurity: false,
      referrerPolicy: { policy: "no-referrer" },
      xContentTypeOptions: true,
      xFrameOptions: { action: "deny" },
    }),
    (req, res, next) => {
      if (req.secure)
        res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
      next();
    },
  ];
}

/**
 * Pages can show personal data, so by default nothing is stored by the browser or any cache.
 * Static assets (which hold no data) set their own caching below this.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * Cross-site request forgery defence for every request that is not GET or HEAD. Browsers say where
 * a request came from in Sec-Fetch-Site; only `same-origin` passes. Older clients that omit it
 * must send an Origin equal to ours. A request with neither is refused. See
 * docs/decisions/004-same-origin-check.md.
 */
export function sameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const site = req.get("sec-fetch-site");
  if (site !== undefined) {
    if (site !== "same-origin") return refuse(res, "cross-site request");
    // Under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` with a same-origin form
    // POST. The browser has vouched for the origin above, so the opaque value is dropped rather
    // than tripping Remix's own origin comparison further in.
    if (req.headers.origin === "null") delete req.headers.origin;
    return next();
  }
  const origin = req.get("origin");
  if (origin !== undefined && origin === `${req.protocol}://${req.get("host") ?? ""}`)
    return next();
  return refuse(res, origin === undefined ? "no origin" : "origin mismatch");
}

function refuse(res: Response, why: string): void {
  res.locals.refusedBecause = why;
  sendErrorPage(res, 403, {
    title: "This request was refused",
    body: "It did not come from a Crosswalk page. Go back, reload the page and try again.",
  });
}
