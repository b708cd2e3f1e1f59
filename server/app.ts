import { randomUUID } from "node:crypto";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express, { type Express } from "express";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/types";
import type { SessionSettings } from "../app/load-context";
import { requestScope } from "./logger";
import { cspNonce, noStore, sameOriginOnly, securityHeaders } from "./security";

export interface AppOptions {
  db: Kysely<Database>;
  logger: Logger;
  sessions: SessionSettings;
  build: ServerBuild | (() => Promise<ServerBuild>);
  mode: "development" | "production" | "test";
  trustProxy?: string;
  /** Flipped by graceful shutdown: responses then ask clients to close their connections. */
  isShuttingDown?: () => boolean;
}

/** The HTTP host: headers, CSRF check, request ids, logs, health checks, then Remix. */
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
      // The path only: query strings can carry search terms, which may be personal data.
      logger.info(
        {
          requestId,
          method: req.method,
          path: loggablePath(req.path),
          status: res.statusCode,
          durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ...(res.locals.refusedBecause ? { refused: res.locals.refusedBecause as string } : {}),
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
  app.get("/readyz", noStore, (_req, res) => {
    if (options.isShuttingDown?.()) {
      res.status(503).type("text/plain").send("shutting down");
      return;
    }
    sql`select 1`.execute(db).then(
      () => res.type("text/plain").send("ready"),
      (error: unknown) => {
        logger.warn({ err: error }, "database not ready");
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

  app.use(noStore, sameOriginOnly);
  const remix = createRequestHandler({
    build: options.build,
    mode: options.mode,
    getLoadContext: (req, res) => ({
      db,
      logger,
      sessions: options.sessions,
      requestId: res.locals.requestId as string,
      clientAddress: req.ip ?? null,
      secure: req.secure,
      cspNonce: res.locals.cspNonce as string,
    }),
  });
  app.all("*", (req, res, next) => {
    remix(req, res, next).catch(next);
  });
  return app;
}

/** Paths that carry a credential (one-time set-password links) are logged without it. */
export function loggablePath(path: string): string {
  return path.replace(/^\/set-password\/[^/]+/, "/set-password/[token]");
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false") return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
