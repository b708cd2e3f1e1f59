import { createHash } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { Lucia, TimeSpan, type Adapter, type DatabaseSession, type DatabaseUser } from "lucia";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database, SecondFactorMethod } from "../../db/types";
import { auditedTransaction } from "../services/audit.server";
import type { Actor } from "../services/context.server";

/**
 * Lucia, behind this one module. Lucia generates session ids, validates and expires sessions and
 * builds the cookie; this adapter stores only a SHA-256 of each session id, so a copy of the
 * sessions table cannot be replayed as cookies. See docs/decisions/002-sessions-with-lucia.md.
 */

export interface SessionAttributes {
  partnershipId: string;
  createdAt: Date;
  /** When the second factor was last given; null while only the password has been (decision 015). */
  secondFactorAt: Date | null;
  secondFactorMethod: SecondFactorMethod | null;
  /** With a step-up window of 0: one sensitive step may go through until then. */
  stepUpGrantUntil: Date | null;
  /** For "Your sign-ins": the browser and address that signed in. */
  userAgent: string | null;
  clientAddress: string | null;
}

type UserAttributes = Omit<Actor, "userId">;

declare module "lucia" {
  interface Register {
    Lucia: CrosswalkLucia;
    DatabaseSessionAttributes: SessionAttributes;
    DatabaseUserAttributes: UserAttributes;
  }
}

export type CrosswalkLucia = Lucia<SessionAttributes, UserAttributes>;
type Executor = Kysely<Database> | Transaction<Database>;

/** The SHA-256 (hex) under which a session id is stored. */
export function hashSessionId(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("hex");
}

/** The cookie name: `__Host-` prefixed (Secure, no Domain, Path=/) whenever served over HTTPS. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-crosswalk_session" : "crosswalk_session";
}

/**
 * A Lucia bound to one executor: the root database for request-time validation, or a transaction
 * so a new session is created in the same transaction as its sign-in event.
 */
export function createLucia(
  executor: Executor,
  options: { idleTimeoutMs: number; secure: boolean },
): CrosswalkLucia {
  return new Lucia(new SessionAdapter(executor), {
    sessionExpiresIn: new TimeSpan(Math.round(options.idleTimeoutMs / 1000), "s"),
    sessionCookie: {
      name: sessionCookieName(options.secure),
      // Lucia's `expires: false` means "400 days"; sessionCookieHeader drops that for a true
      // browser-session cookie. The server enforces the idle and absolute timeouts.
      expires: false,
      attributes: { secure: options.secure, sameSite: "lax", path: "/" },
    },
    getSessionAttributes: (attributes) => attributes,
    getUserAttributes: (attributes) => attributes,
  });
}

/**
 * The Set-Cookie header for a new session: a browser-session cookie (no Max-Age or Expires), so
 * closing the browser on a shared computer forgets it.
 */
export function sessionCookieHeader(lucia: CrosswalkLucia, sessionId: string): string {
  const cookie = lucia.createSessionCookie(sessionId);
  delete cookie.attributes.maxAge;
  delete cookie.attributes.expires;
  return cookie.serialize();
}

/** Move a session's expiry (the sliding idle timeout); Lucia itself only extends at half-life. */
export function setSessionExpiry(
  executor: Executor,
  sessionId: string,
  expiresAt: Date,
): Promise<void> {
  return new SessionAdapter(executor).updateSessionExpiration(sessionId, expiresAt);
}

function inTransaction<T>(
  executor: Executor,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return executor.isTransaction
    ? work(executor as Transaction<Database>)
    : auditedTransaction(executor, work);
}

/** Scope a transaction to one session token, the only row RLS lets us reach before the tenant is known. */
async function reachSession(trx: Transaction<Database>, sessionId: string): Promise<string> {
  const idHash = hashSessionId(sessionId);
  await setLocal(trx, "app.session_token_hash", idHash);
  return idHash;
}

const SESSION_COLUMNS = [
  "user_id",
  "partnership_id",
  "created_at",
  "expires_at",
  "second_factor_at",
  "second_factor_method",
  "step_up_grant_until",
  "user_agent",
  "client_address",
] as const;

function sessionAttributes(row: {
  partnership_id: string;
  created_at: Date;
  second_factor_at: Date | null;
  second_factor_method: SecondFactorMethod | null;
  step_up_grant_until: Date | null;
  user_agent: string | null;
  client_address: string | null;
}): SessionAttributes {
  return {
    partnershipId: row.partnership_id,
    createdAt: row.created_at,
    secondFactorAt: row.second_factor_at,
    secondFactorMethod: row.second_factor_method,
    stepUpGrantUntil: row.step_up_grant_until,
    userAgent: row.user_agent,
    clientAddress: row.client_address,
  };
}

class SessionAdapter implements Adapter {
  constructor(private readonly executor: Executor) {}

  getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    return inTransaction(this.executor, async (trx) => {
      const idHash = await reachSession(trx, sessionId);
      const session = await trx
        .selectFrom("sessions")
        .select(SESSION_COLUMNS)
        .where("id_hash", "=", idHash)
        .executeTakeFirst();
      if (!session) return [null, null];
      await setTenant(trx, session.partnership_id);
      const user = await trx
        .selectFrom("users")
        .innerJoin("agencies", "agencies.id", "users.agency_id")
        .innerJoin("partnerships", "partnerships.id", "users.partnership_id")
        .select([
          "users.id",
          "users.email",
          "users.display_name",
          "users.role",
          "users.agency_id",
          "agencies.name as agency_name",
          "partnerships.name as partnership_name",
        ])
        .where("users.id", "=", session.user_id)
        // A deactivated person has no user: Lucia then deletes the session, ending it at once.
        .where("users.is_active", "=", true)
        .executeTakeFirst();
      const databaseSession: DatabaseSession = {
        id: sessionId,
        userId: session.user_id,
        expiresAt: session.expires_at,
        attributes: sessionAttributes(session),
      };
      if (!user) return [databaseSession, null];
      return [
        databaseSession,
        {
          id: user.id,
          attributes: {
            partnershipId: session.partnership_id,
            partnershipName: user.partnership_name,
            agencyId: user.agency_id,
            agencyName: user.agency_name,
            role: user.role,
            displayName: user.display_name,
            email: user.email,
          },
        },
      ];
    });
  }

  getUserSessions(userId: string): Promise<DatabaseSession[]> {
    // Needs the tenant already set by the caller's transaction.
    return inTransaction(this.executor, async (trx) => {
      const rows = await trx
        .selectFrom("sessions")
        .select(SESSION_COLUMNS)
        .where("user_id", "=", userId)
        .execute();
      // Only hashes are stored, so a listed session cannot carry its id.
      return rows.map((row) => ({
        id: "",
        userId: row.user_id,
        expiresAt: row.expires_at,
        attributes: sessionAttributes(row),
      }));
    });
  }

  setSession(session: DatabaseSession): Promise<void> {
    return inTransaction(this.executor, async (trx) => {
      await setTenant(trx, session.attributes.partnershipId);
      await trx
        .insertInto("sessions")
        .values({
          id_hash: hashSessionId(session.id),
          user_id: session.userId,
          partnership_id: session.attributes.partnershipId,
          created_at: session.attributes.createdAt,
          expires_at: session.expiresAt,
          second_factor_at: session.attributes.secondFactorAt,
          second_factor_method: session.attributes.secondFactorMethod,
          step_up_grant_until: session.attributes.stepUpGrantUntil,
          user_agent: session.attributes.userAgent?.slice(0, 400) ?? null,
          client_address: session.attributes.clientAddress,
          last_active_at: session.attributes.createdAt,
        })
        .execute();
    });
  }

  updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    return inTransaction(this.executor, async (trx) => {
      const idHash = await reachSession(trx, sessionId);
      await trx
        .updateTable("sessions")
        .set({ expires_at: expiresAt, last_active_at: new Date() })
        .where("id_hash", "=", idHash)
        .execute();
    });
  }

  deleteSession(sessionId: string): Promise<void> {
    return inTransaction(this.executor, async (trx) => {
      const idHash = await reachSession(trx, sessionId);
      await trx.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
    });
  }

  deleteUserSessions(userId: string): Promise<void> {
    // Needs the tenant already set by the caller's transaction.
    return inTransaction(this.executor, async (trx) => {
      await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    });
  }

  deleteExpiredSessions(): Promise<void> {
    // Within the caller's tenant: each partnership's expired sessions are swept at its sign-ins.
    return inTransaction(this.executor, async (trx) => {
      await trx.deleteFrom("sessions").where("expires_at", "<=", new Date()).execute();
    });
  }
}
