import { ClientSecretKeyMissing, sealClientSecret } from "../auth/client-secrets.server";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, nowOf, type ServiceContext } from "./context.server";
import { InvalidInput, RecordNotFound } from "./errors";

/**
 * An agency's single sign-on (decision 016), as its partnership's administrator sets it: the
 * identity provider's issuer, Crosswalk's client id and secret there, the claim that carries the
 * email address, and whether it is on. The secret is write-only: it is sealed on the way in and
 * never shown or logged again; a change says only whether it was replaced.
 */

export const DEFAULT_EMAIL_CLAIM = "email";

/** What the administrator can see and change; never the secret itself. */
export interface AgencySignInSettings {
  issuer: string;
  clientId: string;
  emailClaim: string;
  enabled: boolean;
}

export interface AgencySignInView extends AgencySignInSettings {
  agencyId: string;
  agencyName: string;
  /** Whether a client secret is kept (it is never shown). */
  clientSecretSet: boolean;
  /** False until the agency's single sign-on is first saved. */
  configured: boolean;
  /** When it was last saved (ISO), or null. */
  updatedAt: string | null;
}

export interface AgencySignInChange extends AgencySignInSettings {
  /** A new client secret, or null to keep the one kept. */
  clientSecret: string | null;
}

/** An agency's single sign-on settings, for its page. Administrators only. */
export function getAgencySignIn(ctx: ServiceContext, agencyId: string): Promise<AgencySignInView> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const agency = await trx
      .selectFrom("agencies")
      .select(["id", "name"])
      .where("id", "=", agencyId)
      .executeTakeFirst();
    if (!agency) throw new RecordNotFound("agency");
    const row = await trx
      .selectFrom("agency_sign_in")
      .select([
        "issuer",
        "client_id",
        "client_secret_sealed",
        "email_claim",
        "enabled",
        "updated_at",
      ])
      .where("agency_id", "=", agencyId)
      .executeTakeFirst();
    return {
      agencyId: agency.id,
      agencyName: agency.name,
      issuer: row?.issuer ?? "",
      clientId: row?.client_id ?? "",
      emailClaim: row?.email_claim ?? DEFAULT_EMAIL_CLAIM,
      enabled: row?.enabled ?? false,
      clientSecretSet: Boolean(row?.client_secret_sealed),
      configured: row !== undefined,
      updatedAt: row?.updated_at.toISOString() ?? null,
    };
  });
}

/**
 * Set an agency's single sign-on; recorded with before and after values (never the secret, only
 * whether it was replaced) in the same transaction. `secretKey` seals the secret at rest.
 */
export function saveAgencySignIn(
  ctx: ServiceContext,
  agencyId: string,
  change: AgencySignInChange,
  secretKey: Uint8Array | undefined,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const agency = await trx
      .selectFrom("agencies")
      .select("id")
      .where("id", "=", agencyId)
      .forUpdate()
      .executeTakeFirst();
    if (!agency) throw new RecordNotFound("agency");
    const before = await trx
      .selectFrom("agency_sign_in")
      .select(["issuer", "client_id", "client_secret_sealed", "email_claim", "enabled"])
      .where("agency_id", "=", agencyId)
      .forUpdate()
      .executeTakeFirst();
    if (change.enabled && !change.clientSecret && !before?.client_secret_sealed) {
      throw new InvalidInput([
        { field: "clientSecret", message: "Enter the client secret to turn single sign-on on" },
      ]);
    }
    let sealed = before?.client_secret_sealed ?? null;
    if (change.clientSecret) {
      try {
        sealed = sealClientSecret(secretKey, agencyId, change.clientSecret);
      } catch (error) {
        if (!(error instanceof ClientSecretKeyMissing)) throw error;
        throw new InvalidInput([
          {
            field: "clientSecret",
            message:
              "Crosswalk has no key to keep client secrets with. Ask whoever runs Crosswalk to set SSO_SECRET_KEY_FILE",
          },
        ]);
      }
    }
    const values = {
      issuer: change.issuer,
      client_id: change.clientId,
      client_secret_sealed: sealed,
      email_claim: change.emailClaim,
      enabled: change.enabled,
      updated_at: nowOf(ctx),
      updated_by: ctx.actor.userId,
    };
    await trx
      .insertInto("agency_sign_in")
      .values({ agency_id: agencyId, partnership_id: ctx.actor.partnershipId, ...values })
      .onConflict((conflict) => conflict.column("agency_id").doUpdateSet(values))
      .execute();
    const { clientSecret: _secret, ...after } = change;
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "agency.sign_in_update",
      outcome: "allowed",
      recordType: "agency",
      recordId: agencyId,
      details: {
        before: before
          ? {
              issuer: before.issuer,
              clientId: before.client_id,
              emailClaim: before.email_claim,
              enabled: before.enabled,
            }
          : null,
        after,
        clientSecretReplaced: change.clientSecret !== null,
      },
    });
  });
}
