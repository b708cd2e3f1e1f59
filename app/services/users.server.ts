import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import type { Role } from "../../policies";
import {
  issueSetPasswordLink,
  revokeSetPasswordLinks,
  type IssuedLink,
} from "../auth/set-password-links.server";
import { record } from "./audit.server";
import { authorize, authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { InvalidInput, RecordNotFound } from "./errors";

export interface UserSummary {
  id: string;
  displayName: string;
  email: string;
  role: Role;
  agencyId: string;
  agencyName: string;
  isActive: boolean;
  /** The person has set a password (otherwise their link is still to be used). */
  hasPassword: boolean;
  /** A set-password link that has not been used, revoked or expired exists. */
  linkPending: boolean;
  /** Optional, for the access log's conflict-of-interest report. */
  homePostcodeDistrict: string | null;
}

export interface NewUserInput {
  displayName: string;
  email: string;
  role: Role;
  agencyId: string;
  homePostcodeDistrict?: string | null;
}

export interface UserChangeInput {
  displayName: string;
  role: Role;
  agencyId: string;
  homePostcodeDistrict?: string | null;
}

function summaries(trx: Transaction<Database>) {
  return trx
    .selectFrom("users")
    .innerJoin("agencies", "agencies.id", "users.agency_id")
    .select((eb) => [
      "users.id",
      "users.display_name",
      "users.email",
      "users.role",
      "users.agency_id",
      "agencies.name as agency_name",
      "users.is_active",
      "users.home_postcode_district",
      eb("users.password_hash", "is not", null).as("has_password"),
      eb
        .exists(
          eb
            .selectFrom("set_password_links")
            .whereRef("set_password_links.user_id", "=", "users.id")
            .where("set_password_links.used_at", "is", null)
            .where("set_password_links.revoked_at", "is", null)
            .where("set_password_links.expires_at", ">", new Date()),
        )
        .as("link_pending"),
    ]);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaries>["execute"]>>[number];

function toSummary(row: SummaryRow): UserSummary {
  return {
    id: row.id,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    agencyId: row.agency_id,
    agencyName: row.agency_name,
    isActive: row.is_active,
    hasPassword: Boolean(row.has_password),
    linkPending: Boolean(row.link_pending),
    homePostcodeDistrict: row.home_postcode_district,
  };
}

/** Every account in the partnership. Administrators only. */
export function listUsers(ctx: ServiceContext): Promise<UserSummary[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "user.manage");
    const rows = await summaries(trx)
      .orderBy("users.is_active", "desc")
      .orderBy("users.display_name")
      .execute();
    return rows.map(toSummary);
  });
}

/** One account, for its page. */
export function getUser(ctx: ServiceContext, userId: string): Promise<UserSummary> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "user.manage");
    const row = await summaries(trx).where("users.id", "=", userId).executeTakeFirst();
    if (!row) throw new RecordNotFound("user");
    return toSummary(row);
  });
}

async function requireActiveAgency(trx: Transaction<Database>, agencyId: string): Promise<void> {
  const agency = await trx
    .selectFrom("agencies")
    .select("is_active")
    .where("id", "=", agencyId)
    .executeTakeFirst();
  if (!agency?.is_active) {
    throw new InvalidInput([
      { field: "agencyId", message: "Select an active agency in this partnership" },
    ]);
  }
}

/**
 * An email address is a person's sign-in name across the whole deployment, so it is unique across
 * every partnership. An address already in use gets this one answer, whether the account is in
 * this partnership or another: an administrator never learns where, or that, it is used elsewhere.
 * See docs/decisions/013-email-addresses-across-partnerships.md.
 */
export const EMAIL_UNAVAILABLE =
  "This email address cannot be used. Check it, or ask the person for another address";

const emailUnavailable = () => new InvalidInput([{ field: "email", message: EMAIL_UNAVAILABLE }]);

/** PostgreSQL's unique violation on users.email: the address is another account's. */
function isEmailTaken(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === "23505" && constraint === "users_email_key";
}

/**
 * Create an account with no password and issue its one-time set-password link, which the
 * administrator passes on. The administrator never chooses or sees a password.
 */
export function createUser(
  ctx: ServiceContext,
  input: NewUserInput,
): Promise<{ id: string; link: IssuedLink }> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "user.manage");
    await requireActiveAgency(trx, input.agencyId);
    const email = input.email.trim().toLowerCase();
    const taken = await trx
      .selectFrom("users")
      .select("id")
      .where("email", "=", email)
      .executeTakeFirst();
    // Row-level security shows only this partnership's accounts: an address in use in another
    // partnership (or added by a request racing this one) is found by the unique index instead.
    if (taken) throw emailUnavailable();
    const { id } = await trx
      .insertInto("users")
      .values({
        partnership_id: ctx.actor.partnershipId,
        agency_id: input.agencyId,
        email,
        display_name: input.displayName,
        role: input.role,
        home_postcode_district: input.homePostcodeDistrict ?? null,
        password_hash: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        throw isEmailTaken(error) ? emailUnavailable() : error;
      });
    const link = await issueSetPasswordLink(
      trx,
      { id, partnershipId: ctx.actor.partnershipId },
      ctx.actor.userId,
    );
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "user.create",
      outcome: "allowed",
      recordType: "user",
      recordId: id,
      details: {
        after: {
          displayName: input.displayName,
          email,
          role: input.role,
          agencyId: input.agencyId,
          homePostcodeDistrict: input.homePostcodeDistrict ?? null,
        },
      },
    });
    return { id, link };
  });
}

async function loadForChange(trx: Transaction<Database>, ctx: ServiceContext, userId: string) {
  const before = await trx
    .selectFrom("users")
    .select((eb) => [
      "id",
      "display_name",
      "role",
      "agency_id",
      "is_active",
      "home_postcode_district",
      eb("password_hash", "is not", null).as("has_password"),
    ])
    .where("id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new RecordNotFound("user");
  await authorize(
    trx,
    ctx,
    "user.manage",
    { partnershipId: ctx.actor.partnershipId, subjectUserId: userId },
    { refusal: "explain", audit: { recordType: "user", recordId: userId } },
  );
  return before;
}

/** Change a person's name, role or agency. Takes effect on their very next request. */
export function updateUser(
  ctx: ServiceContext,
  userId: string,
  input: UserChangeInput,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const before = await loadForChange(trx, ctx, userId);
    if (input.agencyId !== before.agency_id) await requireActiveAgency(trx, input.agencyId);
    await trx
      .updateTable("users")
      .set({
        display_name: input.displayName,
        role: input.role,
        agency_id: input.agencyId,
        home_postcode_district: input.homePostcodeDistrict ?? null,
        updated_at: new Date(),
      })
      .where("id", "=", userId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "user.update",
      outcome: "allowed",
      recordType: "user",
      recordId: userId,
      details: {
        before: {
          displayName: before.display_name,
          role: before.role,
          agencyId: before.agency_id,
          homePostcodeDistrict: before.home_postcode_district,
        },
        after: { ...input, homePostcodeDistrict: input.homePostcodeDistrict ?? null },
      },
    });
  });
}

/** Deactivate an account: every session ends at once and unused links stop working. */
export function deactivateUser(ctx: ServiceContext, userId: string): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const before = await loadForChange(trx, ctx, userId);
    const now = new Date();
    await trx
      .updateTable("users")
      .set({ is_active: false, deactivated_at: now, updated_at: now })
      .where("id", "=", userId)
      .execute();
    await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    await revokeSetPasswordLinks(trx, userId, now);
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "user.deactivate",
      outcome: "allowed",
      recordType: "user",
      recordId: userId,
      details: { before: { isActive: before.is_active }, after: { isActive: false } },
    });
  });
}

/** Reactivate an account. The person signs in with their existing password, or needs a new link. */
export function reactivateUser(ctx: ServiceContext, userId: string): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const before = await loadForChange(trx, ctx, userId);
    await trx
      .updateTable("users")
      .set({ is_active: true, deactivated_at: null, updated_at: new Date() })
      .where("id", "=", userId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "user.reactivate",
      outcome: "allowed",
      recordType: "user",
      recordId: userId,
      details: { before: { isActive: before.is_active }, after: { isActive: true } },
    });
  });
}

/**
 * Reset an account: the old password stops working, every session ends, and a new one-time link is
 * issued for the administrator to pass on.
 */
export function resetUser(ctx: ServiceContext, userId: string): Promise<IssuedLink> {
  return inActorTransaction(ctx, async (trx) => {
    const before = await loadForChange(trx, ctx, userId);
    if (!before.is_active) {
      throw new InvalidInput([
        { field: "reset", message: "Reactivate the account before issuing a new link" },
      ]);
    }
    await trx
      .updateTable("users")
      .set({ password_hash: null, updated_at: new Date() })
      .where("id", "=", userId)
      .execute();
    await trx.deleteFrom("sessions").where("user_id", "=", userId).execute();
    const link = await issueSetPasswordLink(
      trx,
      { id: userId, partnershipId: ctx.actor.partnershipId },
      ctx.actor.userId,
    );
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "user.reset",
      outcome: "allowed",
      recordType: "user",
      recordId: userId,
      details: {
        before: { hasPassword: Boolean(before.has_password) },
        after: { hasPassword: false, linkExpiresAt: link.expiresAt.toISOString() },
      },
    });
    return link;
  });
}

/** The partnership's agencies, for choosing a user's agency. */
export function agencyChoices(ctx: ServiceContext): Promise<{ id: string; name: string }[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "user.manage");
    return trx
      .selectFrom("agencies")
      .select(["id", "name"])
      .where("is_active", "=", true)
      .orderBy("name")
      .execute();
  });
}
