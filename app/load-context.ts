import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/types";
import type { FormSubmission } from "./services/submissions.server";

/** Session lifetimes, from the environment (SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_HOURS). */
export interface SessionSettings {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  /** STEP_UP_WINDOW_MINUTES: how long a second factor counts as fresh for sensitive steps; 0: never. */
  stepUpWindowMs: number;
}

/**
 * What the HTTP host hands every loader and action. Routes pass it on to auth and services; they
 * never query `db` themselves.
 */
export interface CrosswalkLoadContext {
  db: Kysely<Database>;
  /**
   * Where the dashboards, access-log reports and auditor's searches read (DATABASE_REPLICA_URL, a
   * streaming replica); `db` itself when there is none. Routes pass it to the services that allow
   * it (readingFrom); every write and every read of a case stays on `db`.
   */
  replicaDb: Kysely<Database>;
  logger: Logger;
  sessions: SessionSettings;
  requestId: string;
  clientAddress: string | null;
  /** True when the request reached us over HTTPS (directly or through a trusted proxy). */
  secure: boolean;
  cspNonce: string;
  /**
   * Where people reach Crosswalk (PUBLIC_URL, an origin without a trailing slash), for links that
   * are passed on, such as set-password links: never taken from the request's Host header.
   */
  publicUrl: string;
  /**
   * The key that seals agencies' single sign-on client secrets (SSO_SECRET_KEY_FILE; decision 016).
   * Absent, single sign-on cannot be given a secret or used.
   */
  clientSecretKey?: Uint8Array;
  /**
   * The one-time submission id of the form this request sent, read by the host from the form's
   * `submissionId` field; absent when there is none or it is not a UUID (decision 018).
   */
  submission?: FormSubmission;
}

declare module "@remix-run/server-runtime" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends CrosswalkLoadContext {}
}

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}
