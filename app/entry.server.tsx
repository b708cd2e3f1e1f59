import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { noteUnavailable, unavailabilityCode, unavailabilityNoted } from "../db/unavailable";
import { loggablePath } from "./loggable-path";
import { NonceProvider } from "./ui/nonce";

const ABORT_DELAY = 5_000;
export const streamTimeout = ABORT_DELAY;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // The database was unavailable: the HTTP host answers with its own page (and gives a form's
  // answers back), so a page rendered here would be thrown away, at a cost the service can least
  // afford while it sheds load.
  if (responseStatusCode >= 500 && unavailabilityNoted())
    return new Response(null, { status: responseStatusCode, headers: responseHeaders });
  const nonce = loadContext.cspNonce;
  // Crawlers and no-JavaScript clients get the whole document at once.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer
          context={remixContext}
          url={request.url}
          abortDelay={ABORT_DELAY}
          nonce={nonce}
        />
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error instanceof Error ? error : new Error("render failed"));
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) loadContext.logger.error({ err: error }, "render error");
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

/** Errors a service raises on purpose, should one ever reach Remix without serviceCall. */
const REFUSALS: Record<string, number> = { AccessRefused: 403, RecordNotFound: 404 };

/**
 * A refusal (a 4xx thrown on purpose: a hidden record, a refused role, a malformed form, an
 * address no route serves) is the service working, not a fault: the HTTP host's request line
 * already records it (status, path without its query, request id, `refused`), so here it is a
 * debug line only, never a stack. Anything else is a fault: one error line with its name, code and
 * stack, never request data.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  const status = isRouteErrorResponse(error)
    ? error.status
    : error instanceof Error
      ? REFUSALS[error.name]
      : undefined;
  const fields = {
    requestId: context.requestId,
    method: request.method,
    path: loggablePath(new URL(request.url).pathname),
  };
  if (status !== undefined && status >= 400 && status < 500) {
    context.logger.debug({ ...fields, status, refused: true }, "request refused");
    return;
  }
  // A 5xx error response carries the error it wraps, if any: log that.
  const fault = isRouteErrorResponse(error) && "error" in error ? error.error : error;
  // The database unavailable or too slow is not a bug: the HTTP host answers 503 and logs it once,
  // without a stack (a request served without the host is logged here instead).
  const unavailable = unavailabilityCode(fault);
  if (unavailable) {
    if (!noteUnavailable(unavailable))
      context.logger.warn({ ...fields, code: unavailable }, "database unavailable");
    return;
  }
  context.logger.error({ ...fields, err: fault }, "unhandled error");
};
