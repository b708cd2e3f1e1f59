import { randomUUID } from "node:crypto";
import {
  createRequestHandler,
  writeReadableStreamToWritable,
  type AppLoadContext,
  type ServerBuild,
} from "@remix-run/node";
import express, {
  type Express,
  type NextFunction,
  type Request as ExpressRequest,
  type Response as ExpressResponse,
} from "express";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/types";
import type { SessionSettings } from "../app/load-context";
import { loggablePath } from "../app/loggable-path";
import { DEFAULT_MAX_FORM_BYTES, DEFAULT_PUBLIC_URL } from "./config";
import { keptSubmission, type KeptSubmission } from "../app/ui/kept-answers";
import { RETRY_AFTER_SECONDS, unavailabilityCode, watchForUnavailability } from "../db/unavailable";
import { sendErrorPage, sendUnavailablePage } from "./error-page";
import type { FormSubmission } from "../app/services/submissions.server";
import { keepWhereItWent, submissionOf } from "./form-submissions";
import { requestScope } from "./logger";
import { boundedBody, methodsServed } from "./request-limits";
import { cspNonce, noStore, sameOriginOnly, securityHeaders } from "./security";

export interface AppOptions {
  db: Kysely<Database>;
  /** A pool on the read replica (DATABASE_REPLICA_URL), when there is one. */
  replicaDb?: Kysely<Database>;
  logger: Logger;
  sessions: SessionSettings;
  build: ServerBuild | (() => Promise<ServerBuild>);
  mode: "development" | "production" | "test";
  trustProxy?: string;
  /**
   * Where people reach Crosswalk (PUBLIC_URL): links that are passed on are built on it. A
   * function when it is known only once listening (PORT=0 with no PUBLIC_URL).
   */
  publicUrl?: string | (() => string);
  /** The largest request body read (MAX_FORM_BYTES); anything larger is a 413. */
  maxBodyBytes?: number;
  /** The key that seals single sign-on client secrets (decision 016). */
  clientSecretKey?: Uint8Array;
  /** Flipped by graceful shutdown: responses then ask clients to close their connections. */
  isShuttingDown?: () => boolean;
  /**
   * /readyz's check of the database, on a connection of its own (server/database.ts
   * readinessProbe) so a full or stuck pool cannot delay it; by default a query on `db`.
   */
  readiness?: () => Promise<unknown>;
}

/** /readyz answers within this, ready or not (load balancers commonly wait a second or more). */
const READINESS_DEADLINE_MS = 700;

/**
 * The HTTP host: headers, CSRF check, request ids, logs, health checks, the methods each route
 * serves and a bound on request bodies, then Remix.
 */
export function createApp(options: AppOptions): Express {
  const { db, logger } = options;
  const app = express();
  app.disable("x-powered-by");
  if (options.trustProxy) app.set("trust proxy", parseTrustProxy(options.trustProxy));

  app.use((req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    if (options.isShuttingDown?.()) res.setHeader("Connection", "close");
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      // The path only: query strings can carry search terms, which may be personal data. A 4xx
      // is a refusal (a hidden record, a wrong method, a cross-site form...): this line says so,
      // and is the only line it gets.
      const refused =
        res.statusCode >= 400 && res.statusCode < 500
          ? ((res.locals.refusedBecause as string | undefined) ?? true)
          : undefined;
      logger.info(
        {
          requestId,
          method: req.method,
          path: loggablePath(req.path),
          status: res.statusCode,
          durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ...(refused === undefined ? {} : { refused }),
        },
        "request",
      );
    });
    requestScope.run({ requestId }, next);
  });
  app.use(cspNonce, ...securityHeaders({ development: options.mode === "development" }));

  app.get("/healthz", noStore, (_req, res) => {
    res.type("text/plain").send("ok");
  });
  let ready = true;
  app.get("/readyz", noStore, (_req, res) => {
    if (options.isShuttingDown?.()) {
      res.status(503).type("text/plain").send("shutting down");
      return;
    }
    const check = options.readiness ?? (() => sql`select 1`.execute(db));
    withinDeadline(check(), READINESS_DEADLINE_MS).then(
      () => {
        if (!ready) logger.info("database ready again");
        ready = true;
        res.type("text/plain").send("ready");
      },
      (error: unknown) => {
        // Said once when it stops being ready, not at every poll of a load balancer.
        if (ready)
          logger.warn(
            { code: unavailabilityCode(error) ?? errorCode(error) },
            "database not ready",
          );
        ready = false;
        res.status(503).type("text/plain").send("database unavailable");
      },
    );
  });

  // No icon of our own yet: answer browsers' automatic request without rendering a 404 page.
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
  app.use(
    "/build",
    express.static("public/build", { immutable: true, maxAge: "1y", index: false }),
  );
  app.use("/assets", express.static("public/assets", { maxAge: "1d", index: false }));
  app.use("/styles", express.static("public/styles", { maxAge: "1h", index: false }));

  const build = options.build;
  const currentBuild = () => Promise.resolve(typeof build === "function" ? build() : build);
  app.use(
    noStore,
    sameOriginOnly,
    methodsServed(currentBuild),
    boundedBody(options.maxBodyBytes ?? DEFAULT_MAX_FORM_BYTES),
  );
  const remix = createRequestHandler(build, options.mode);
  app.all("*", (req, res, next) => {
    const submission = submissionOf(req, res.locals.body as Uint8Array | undefined);
    const context: AppLoadContext = {
      db,
      replicaDb: options.replicaDb ?? db,
      logger,
      sessions: options.sessions,
      requestId: res.locals.requestId as string,
      clientAddress: req.ip ?? null,
      secure: req.secure,
      cspNonce: res.locals.cspNonce as string,
      publicUrl:
        typeof options.publicUrl === "function"
          ? options.publicUrl()
          : (options.publicUrl ?? DEFAULT_PUBLIC_URL),
      ...(options.clientSecretKey ? { clientSecretKey: options.clientSecretKey } : {}),
      ...(submission ? { submission } : {}),
    };
    const { record, result } = watchForUnavailability(() => remix(remixRequest(req, res), context));
    result
      .then(async (response) => {
        if (record.code !== null && response.status >= 500)
          return answerUnavailable(req, res, response, record.code, submission);
        await keepWhereItWent(db, logger, submission, response);
        return sendResponse(req, res, response);
      })
      .catch(next);
  });
  /**
   * The database was unavailable or too slow and Remix's answer is a fault (serviceCall, the
   * session or handleError noted it): one warn line, no stack, and a 503 with Retry-After. A page
   * gets the GOV.UK page from here (entry.server renders none), and a form sent as a page (no
   * script) comes back on it with everything the person typed, from the body already read, which
   * Remix's page could not see. Answers to Remix's script go as they are: the browser keeps the
   * form itself (app/entry.client.tsx).
   */
  async function answerUnavailable(
    req: ExpressRequest,
    res: ExpressResponse,
    response: Response,
    code: string,
    submission: FormSubmission | null,
  ) {
    logUnavailable(req, res, code);
    if (req.path.endsWith(".data")) {
      if (response.status === 503) response.headers.set("Retry-After", String(RETRY_AFTER_SECONDS));
      return sendResponse(req, res, response);
    }
    // A form whose save had committed before a later step failed is not "Nothing was saved".
    const kept = submission?.claimedBy ? null : await formSent(req, res);
    // Read to its end, not cancelled: a page React is still streaming reports a cut as an error.
    await response.arrayBuffer().catch(() => undefined);
    const cookies = response.headers.getSetCookie();
    if (cookies.length) res.setHeader("Set-Cookie", cookies);
    sendUnavailablePage(res, kept);
  }

  function logUnavailable(req: ExpressRequest, res: ExpressResponse, code: string) {
    logger.warn(
      { requestId: res.locals.requestId as string, path: loggablePath(req.path), code },
      "database unavailable",
    );
  }

  // A fault outside Remix (which answers its own with the error page): one error line, and the
  // GOV.UK page without any detail; the database unavailable is a 503 as above.
  app.use((error: unknown, req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
    const code = unavailabilityCode(error);
    if (code === null)
      logger.error({ err: error, path: loggablePath(req.path) }, "unhandled error");
    else logUnavailable(req, res, code);
    if (res.headersSent) res.destroy();
    else if (code === null) sendErrorPage(res, 500);
    else void formSent(req, res).then((kept) => sendUnavailablePage(res, kept));
  });
  return app;
}

/**
 * The form a request sent as a page (url-encoded or multipart), from the body the host has read,
 * to give back to the person: null for anything else.
 */
async function formSent(req: ExpressRequest, res: ExpressResponse): Promise<KeptSubmission | null> {
  const body = res.locals.body as Uint8Array<ArrayBuffer> | undefined;
  if (req.method !== "POST" || !body) return null;
  const type = req.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return null;
  try {
    const form = await new Response(body, { headers: { "Content-Type": type } }).formData();
    return keptSubmission(req.originalUrl, form.entries());
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}

/** Settle as `work` does, or reject once `ms` have passed. */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error("no answer in time"), { code: "READINESS_TIMEOUT" })),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The Fetch API request Remix serves, made as @remix-run/express makes it (its host respects
 * "trust proxy"), but with the body boundedBody has already read rather than the socket's stream.
 */
function remixRequest(req: ExpressRequest, res: ExpressResponse): Request {
  const portOf = (header: string) => Number.parseInt(req.get(header)?.split(":")[1] ?? "", 10);
  const port = [portOf("X-Forwarded-Host"), portOf("host")].find(Number.isSafeInteger);
  const url = new URL(
    `${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`,
  );
  let controller: AbortController | null = new AbortController();
  // Loaders and actions stop once the answer can no longer be sent.
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : value ? [value] : [])
      headers.append(name, one);
  }
  const body = res.locals.body as Uint8Array<ArrayBuffer> | undefined;
  return new Request(url.href, {
    method: req.method,
    headers,
    signal: controller.signal,
    ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
  });
}

/**
 * Send Remix's answer. An error from a resource route (a download, an export) comes back bare,
 * without the app's error boundary: the person gets the GOV.UK page for its status instead.
 * Single-fetch answers (`.data`) are for Remix's own script and go as they are.
 */
async function sendResponse(req: ExpressRequest, res: ExpressResponse, response: Response) {
  const bare =
    response.status >= 400 &&
    !req.path.endsWith(".data") &&
    !(response.headers.get("Content-Type") ?? "").startsWith("text/html");
  if (!bare) {
    res.statusMessage = response.statusText;
    res.status(response.status);
    for (const [name, value] of response.headers) res.append(name, value);
    if (response.body && isPage(response)) {
      // A page is read whole and sent in one write with its length: React renders it in many
      // small chunks, and writing each to the socket (chunk-encoded) cost more than rendering.
      const page = Buffer.from(await response.arrayBuffer());
      res.setHeader("Content-Length", page.length);
      res.end(page);
    } else if (response.body) await writeReadableStreamToWritable(response.body, res);
    else res.end();
    return;
  }
  await response.body?.cancel();
  const cookie = response.headers.get("Set-Cookie");
  if (cookie) res.setHeader("Set-Cookie", cookie);
  sendErrorPage(res, response.status);
}

/** An HTML page (not a download, an export or an answer to Remix's script, which may be long). */
function isPage(response: Response): boolean {
  return (response.headers.get("Content-Type") ?? "").startsWith("text/html");
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false") return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
