import { isIP } from "node:net";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Kysely, Transaction } from "kysely";
import { z } from "zod";
import type { Database } from "../../db/types";
import { auditedTransaction, record } from "../services/audit.server";
import {
  inActorTransaction,
  nowOf,
  type RequestMeta,
  type ServiceContext,
} from "../services/context.server";
import { AccessRefused } from "../services/errors";
import { hashSessionId } from "./lucia.server";
import {
  asPerson,
  auditActor,
  completeSignIn,
  markSteppedUp,
  throttled,
  type PendingSignIn,
  type StepUpSession,
} from "./second-factor.server";
import type { SignInSettings } from "./sign-in.server";
import {
  recordFailure,
  recordSuccess,
  retryAfterMs,
  SECOND_FACTOR_THROTTLE_RULES,
  secondFactorSubject,
} from "./throttle.server";

/**
 * Passkeys (WebAuthn) as a second factor: a person adds them once signed in, and uses one instead
 * of an authenticator-app code to finish signing in or to confirm it is them before a sensitive
 * step. The browser's answer must come from this site (origin and relying-party id from
 * PUBLIC_URL), carry user verification (the device's PIN or biometric), answer the challenge this
 * session was given in the last five minutes (used once), and come from a passkey of this person
 * whose signature counter has not gone backwards. Every addition, use, failure and removal is in
 * the access log; failures count against the second-factor throttle. See
 * docs/decisions/015-second-factors.md.
 */

/** How long the browser has to answer a challenge. */
export const CHALLENGE_MS = 5 * 60_000;
const RP_NAME = "Crosswalk";
const TRANSPORTS: readonly AuthenticatorTransport[] = ["ble", "hybrid", "internal", "nfc", "usb"];

/** The site passkeys are made for: its origin and the host name they are bound to. */
export interface RelyingParty {
  id: string;
  origin: string;
}

/** The relying party of the site at PUBLIC_URL. */
export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin };
}

/**
 * Whether browsers will make passkeys for this site: they refuse an IP address as a relying-party
 * id, so Crosswalk reached as http://127.0.0.1 offers the authenticator app only.
 */
export function passkeysAvailable(relyingParty: RelyingParty): boolean {
  return isIP(relyingParty.id.replace(/^\[|\]$/g, "")) === 0;
}

// What the browser sends, checked for shape at the boundary; the cryptography is checked below.
const Base64Url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/);
const Extensions = z.record(z.string(), z.unknown());

/** A browser's answer to navigator.credentials.create(), as @simplewebauthn/browser sends it. */
const RegistrationResponseSchema = z.object({
  id: Base64Url(1400),
  rawId: Base64Url(1400),
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: Extensions,
  response: z.object({
    clientDataJSON: Base64Url(4000),
    attestationObject: Base64Url(16_000),
    authenticatorData: Base64Url(8000).optional(),
    transports: z.array(z.string().max(20)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: Base64Url(4000).optional(),
  }),
});

/** A browser's answer to navigator.credentials.get(), as @simplewebauthn/browser sends it. */
const AuthenticationResponseSchema = z.object({
  id: Base64Url(1400),
  rawId: Base64Url(1400),
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: Extensions,
  response: z.object({
    clientDataJSON: Base64Url(4000),
    authenticatorData: Base64Url(8000),
    signature: Base64Url(2000),
    userHandle: Base64Url(200).optional(),
  }),
});

/**
 * A browser's answer as it travels in a form field (`credential`, JSON): the shape checked, or
 * null for anything else.
 */
function parseCredential<T>(schema: z.ZodType<T>, text: unknown): T | null {
  if (typeof text !== "string" || text.length > 40_000) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The answer to navigator.credentials.get() sent to the second-factor or step-up page. */
export function parseAuthenticationResponse(text: unknown): AuthenticationResponseJSON | null {
  return parseCredential(AuthenticationResponseSchema, text);
}

/** The answer to navigator.credentials.create() sent to /passkeys/register. */
export function parseRegistrationResponse(text: unknown): RegistrationResponseJSON | null {
  return parseCredential(RegistrationResponseSchema, text);
}

/** Why a passkey was not accepted. */
export type PasskeyProblem =
  "throttled" | "no_passkeys" | "expired" | "unknown_passkey" | "invalid" | "sign_count";

type AssertionProblem = Exclude<PasskeyProblem, "throttled" | "no_passkeys">;

export type PasskeyResult<T> =
  ({ ok: true } & T) | { ok: false; problem: PasskeyProblem; retryAfterSeconds?: number };

/** A passkey as the person's "Your passkeys" page lists it. */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const REFUSAL_REASONS: Record<AssertionProblem, string> = {
  expired: "A passkey answered a challenge that had expired or was already used",
  unknown_passkey: "A passkey that is not one of this account's was offered",
  invalid: "A passkey's answer could not be verified",
  sign_count: "A passkey's signature counter went backwards: the passkey may have been copied",
};

function transportsOf(values: readonly string[] | undefined): AuthenticatorTransport[] {
  return (values ?? []).filter((value): value is AuthenticatorTransport =>
    TRANSPORTS.includes(value as AuthenticatorTransport),
  );
}

type Ceremony = "create" | "get";

/** Give the session a new challenge for one ceremony; it replaces any earlier one. */
async function storeChallenge(
  trx: Transaction<Database>,
  sessionId: string,
  ceremony: Ceremony,
  challenge: string,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("sessions")
    .set({
      webauthn_challenge: `${ceremony}:${challenge}`,
      webauthn_challenge_until: new Date(now.getTime() + CHALLENGE_MS),
    })
    .where("id_hash", "=", hashSessionId(sessionId))
    .execute();
}

/**
 * The session's challenge for this ceremony, used up whatever the answer turns out to be (the row
 * is locked, so two answers at once cannot both use it). Null when none is current.
 */
async function takeChallenge(
  trx: Transaction<Database>,
  sessionId: string,
  ceremony: Ceremony,
  now: Date,
): Promise<string | null> {
  const idHash = hashSessionId(sessionId);
  const row = await trx
    .selectFrom("sessions")
    .select(["webauthn_challenge", "webauthn_challenge_until"])
    .where("id_hash", "=", idHash)
    .forUpdate()
    .executeTakeFirst();
  if (!row?.webauthn_challenge) return null;
  await trx
    .updateTable("sessions")
    .set({ webauthn_challenge: null, webauthn_challenge_until: null })
    .where("id_hash", "=", idHash)
    .execute();
  const [kind, challenge] = row.webauthn_challenge.split(":");
  if (kind !== ceremony || !challenge) return null;
  if (!row.webauthn_challenge_until || row.webauthn_challenge_until <= now) return null;
  return challenge;
}

function ownPasskeys(trx: Transaction<Database>, userId: string) {
  return trx
    .selectFrom("passkeys")
    .select(["id", "credential_id", "transports"])
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();
}

/** The person's passkeys, newest last, with whether they also have an authenticator app. */
export function listPasskeys(
  ctx: ServiceContext,
): Promise<{ passkeys: PasskeyView[]; authenticatorApp: boolean }> {
  return inActorTransaction(ctx, async (trx) => {
    const rows = await trx
      .selectFrom("passkeys")
      .select(["id", "name", "created_at", "last_used_at"])
      .where("user_id", "=", ctx.actor.userId)
      .orderBy("created_at")
      .execute();
    return {
      passkeys: rows.map((row) => ({
        id: row.id,
        name: row.name,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      })),
      authenticatorApp: await hasAuthenticatorApp(trx, ctx.actor.userId),
    };
  });
}

async function hasAuthenticatorApp(trx: Transaction<Database>, userId: string): Promise<boolean> {
  const app = await trx
    .selectFrom("totp_authenticators")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("confirmed_at", "is not", null)
    .executeTakeFirst();
  return app !== undefined;
}

/**
 * Start adding a passkey: what the browser needs to make one for this person, excluding the
 * passkeys they already have (so one device is not added twice). The challenge is kept on their
 * session.
 */
export function passkeyRegistrationOptions(
  ctx: ServiceContext,
  input: { sessionId: string; relyingParty: RelyingParty },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return inActorTransaction(ctx, async (trx) => {
    const existing = await ownPasskeys(trx, ctx.actor.userId);
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: input.relyingParty.id,
      userName: ctx.actor.email,
      userDisplayName: ctx.actor.displayName,
      // The user handle: the account's id, never the email (it is stored on the device).
      userID: new Uint8Array(Buffer.from(ctx.actor.userId.replace(/-/g, ""), "hex")),
      timeout: CHALLENGE_MS,
      attestationType: "none",
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credential_id,
        transports: transportsOf(passkey.transports),
      })),
      authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    });
    await storeChallenge(trx, input.sessionId, "create", options.challenge, nowOf(ctx));
    return options;
  });
}

/**
 * Finish adding a passkey: the browser's answer is checked against this session's challenge (used
 * once), this site's origin and relying-party id, and user verification; the passkey's public key
 * is kept. The addition, or its refusal, is recorded.
 */
export function registerPasskey(
  ctx: ServiceContext,
  input: {
    sessionId: string;
    relyingParty: RelyingParty;
    name: string;
    response: RegistrationResponseJSON;
  },
): Promise<PasskeyResult<{ passkey: PasskeyView }>> {
  const now = nowOf(ctx);
  return inActorTransaction(ctx, async (trx) => {
    const refuseRegistration = async (problem: "expired" | "invalid") => {
      await record(trx, ctx, ctx, {
        action: "auth.passkey_added",
        outcome: "refused",
        reason:
          problem === "expired"
            ? "A new passkey answered a challenge that had expired or was already used"
            : "A new passkey's answer could not be verified",
        recordType: "user",
        recordId: ctx.actor.userId,
        details: { method: "passkey" },
      });
      return { ok: false as const, problem };
    };
    const challenge = await takeChallenge(trx, input.sessionId, "create", now);
    if (!challenge) return refuseRegistration("expired");
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge,
        expectedOrigin: input.relyingParty.origin,
        expectedRPID: input.relyingParty.id,
        requireUserVerification: true,
      });
    } catch {
      return refuseRegistration("invalid");
    }
    if (!verified.verified) return refuseRegistration("invalid");
    const { credential } = verified.registrationInfo;
    const added = await trx
      .insertInto("passkeys")
      .values({
        partnership_id: ctx.actor.partnershipId,
        user_id: ctx.actor.userId,
        credential_id: credential.id,
        public_key: Buffer.from(credential.publicKey),
        sign_count: credential.counter,
        transports: transportsOf(input.response.response.transports),
        name: input.name,
        created_at: now,
      })
      .onConflict((conflict) => conflict.column("credential_id").doNothing())
      .returning(["id", "name", "created_at", "last_used_at"])
      .executeTakeFirst();
    // The same device added twice (the browser normally prevents it).
    if (!added) return refuseRegistration("invalid");
    await record(trx, ctx, ctx, {
      action: "auth.passkey_added",
      outcome: "allowed",
      recordType: "user",
      recordId: ctx.actor.userId,
      details: { method: "passkey", passkeyId: added.id },
    });
    return {
      ok: true,
      passkey: {
        id: added.id,
        name: added.name,
        createdAt: added.created_at,
        lastUsedAt: added.last_used_at,
      },
    };
  });
}

/**
 * Remove one of the person's own passkeys (another's is refused as not found: row-level security
 * hides it).
 * Refused when it is their last second factor and they have no authenticator app.
 */
export function removePasskey(
  ctx: ServiceContext,
  input: { passkeyId: string },
): Promise<{ ok: true } | { ok: false; problem: "last_factor" }> {
  return inActorTransaction(ctx, async (trx) => {
    const passkeys = await trx
      .selectFrom("passkeys")
      .select("id")
      .where("user_id", "=", ctx.actor.userId)
      .forUpdate()
      .execute();
    if (!passkeys.some((passkey) => passkey.id === input.passkeyId)) {
      // Another person's passkey and no passkey at all look the same: a recorded 404.
      throw new AccessRefused("Not one of the person's own passkeys", "hide", {
        action: "auth.passkey_removed",
        outcome: "refused",
        reason: "Not one of the person's own passkeys",
        recordType: "user",
        recordId: ctx.actor.userId,
        details: { method: "passkey", passkeyId: input.passkeyId },
      });
    }
    if (passkeys.length === 1 && !(await hasAuthenticatorApp(trx, ctx.actor.userId))) {
      await record(trx, ctx, ctx, {
        action: "auth.passkey_removed",
        outcome: "refused",
        reason: "It is the person's only second factor",
        recordType: "user",
        recordId: ctx.actor.userId,
        details: { method: "passkey", passkeyId: input.passkeyId },
      });
      return { ok: false, problem: "last_factor" };
    }
    await trx
      .deleteFrom("passkeys")
      .where("id", "=", input.passkeyId)
      .where("user_id", "=", ctx.actor.userId)
      .execute();
    await record(trx, ctx, ctx, {
      action: "auth.passkey_removed",
      outcome: "allowed",
      recordType: "user",
      recordId: ctx.actor.userId,
      details: { method: "passkey", passkeyId: input.passkeyId },
    });
    return { ok: true };
  });
}

/**
 * What the browser needs to ask for one of this person's passkeys (to finish signing in, or to
 * step up): a challenge kept on their session, and their passkeys as the only ones allowed.
 */
export function passkeyAuthenticationOptions(
  db: Kysely<Database>,
  meta: RequestMeta,
  person: PendingSignIn | StepUpSession,
  input: { relyingParty: RelyingParty },
  now = new Date(),
): Promise<PasskeyResult<{ options: PublicKeyCredentialRequestOptionsJSON }>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, person);
    // Paused attempts are told now, before the person is asked to touch their device; the
    // refusal is recorded when an answer is sent.
    const waitMs = await retryAfterMs(
      trx,
      secondFactorSubject(person.userId),
      meta.clientAddress,
      now,
    );
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const passkeys = await ownPasskeys(trx, person.userId);
    if (passkeys.length === 0) return { ok: false, problem: "no_passkeys" };
    const options = await generateAuthenticationOptions({
      rpID: input.relyingParty.id,
      allowCredentials: passkeys.map((passkey) => ({
        id: passkey.credential_id,
        transports: transportsOf(passkey.transports),
      })),
      timeout: CHALLENGE_MS,
      userVerification: "required",
    });
    await storeChallenge(trx, person.sessionId, "get", options.challenge, now);
    return { ok: true, options };
  });
}

/**
 * Check a passkey's answer for this person: their session's current challenge (used up), this
 * site, user verification, one of their own passkeys, and a signature counter that moved forward
 * (a counter that went backwards means two copies of the passkey exist). The passkey's counter and
 * last use are updated when it is accepted.
 */
async function checkAssertion(
  trx: Transaction<Database>,
  person: PendingSignIn | StepUpSession,
  relyingParty: RelyingParty,
  response: AuthenticationResponseJSON,
  now: Date,
): Promise<
  { problem: AssertionProblem; passkeyId?: string } | { problem: null; passkeyId: string }
> {
  const challenge = await takeChallenge(trx, person.sessionId, "get", now);
  if (!challenge) return { problem: "expired" };
  const passkey = await trx
    .selectFrom("passkeys")
    .select(["id", "credential_id", "public_key", "sign_count", "transports"])
    .where("user_id", "=", person.userId)
    .where("credential_id", "=", response.id)
    .forUpdate()
    .executeTakeFirst();
  if (!passkey) return { problem: "unknown_passkey" };
  let newCounter: number;
  try {
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: relyingParty.origin,
      expectedRPID: relyingParty.id,
      requireUserVerification: true,
      // The counter is compared below, so that a copied passkey is told apart from a bad answer.
      credential: {
        id: passkey.credential_id,
        publicKey: new Uint8Array(passkey.public_key),
        counter: 0,
        transports: transportsOf(passkey.transports),
      },
    });
    if (!verified.verified) return { problem: "invalid", passkeyId: passkey.id };
    newCounter = verified.authenticationInfo.newCounter;
  } catch {
    return { problem: "invalid", passkeyId: passkey.id };
  }
  // Authenticators that keep no counter always send 0; one that does must count up.
  const stored = Number(passkey.sign_count);
  if ((newCounter > 0 || stored > 0) && newCounter <= stored) {
    return { problem: "sign_count", passkeyId: passkey.id };
  }
  await trx
    .updateTable("passkeys")
    .set({ sign_count: newCounter, last_used_at: now })
    .where("id", "=", passkey.id)
    .execute();
  return { problem: null, passkeyId: passkey.id };
}

async function refuse(
  trx: Transaction<Database>,
  person: PendingSignIn | StepUpSession,
  meta: RequestMeta,
  now: Date,
  action: "auth.second_factor" | "auth.step_up",
  failure: { problem: AssertionProblem; passkeyId?: string },
): Promise<{ ok: false; problem: PasskeyProblem }> {
  await recordFailure(
    trx,
    secondFactorSubject(person.userId),
    meta.clientAddress,
    now,
    SECOND_FACTOR_THROTTLE_RULES,
  );
  await record(trx, auditActor(person), meta, {
    action,
    outcome: "refused",
    reason: REFUSAL_REASONS[failure.problem],
    recordType: "user",
    recordId: person.userId,
    details: {
      method: "passkey",
      ...(failure.passkeyId ? { passkeyId: failure.passkeyId } : {}),
    },
  });
  return { ok: false, problem: failure.problem };
}

/** Finish a half sign-in with a passkey: a new whole session, and its cookie. */
export function verifyPasskeySignIn(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: SignInSettings,
  pending: PendingSignIn,
  input: { relyingParty: RelyingParty; response: AuthenticationResponseJSON },
  now = new Date(),
): Promise<PasskeyResult<{ setCookie: string }>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, pending);
    const waitMs = await throttled(trx, pending, meta, now, "auth.second_factor", "passkey");
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const checked = await checkAssertion(trx, pending, input.relyingParty, input.response, now);
    if (checked.problem !== null) {
      return refuse(trx, pending, meta, now, "auth.second_factor", checked);
    }
    const setCookie = await completeSignIn(trx, settings, meta, pending, "passkey", now, {
      passkeyId: checked.passkeyId,
    });
    return { ok: true, setCookie };
  });
}

/** Confirm it is them with a passkey before a sensitive step: the session is then fresh. */
export function verifyPasskeyStepUp(
  db: Kysely<Database>,
  meta: RequestMeta,
  session: StepUpSession,
  input: { relyingParty: RelyingParty; response: AuthenticationResponseJSON },
  now = new Date(),
): Promise<PasskeyResult<object>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, session);
    const waitMs = await throttled(trx, session, meta, now, "auth.step_up", "passkey");
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const checked = await checkAssertion(trx, session, input.relyingParty, input.response, now);
    if (checked.problem !== null) {
      return refuse(trx, session, meta, now, "auth.step_up", checked);
    }
    await markSteppedUp(trx, session.sessionId, now);
    await recordSuccess(trx, secondFactorSubject(session.userId), meta.clientAddress);
    await record(trx, auditActor(session), meta, {
      action: "auth.step_up",
      outcome: "allowed",
      recordType: "user",
      recordId: session.userId,
      details: { method: "passkey", passkeyId: checked.passkeyId },
    });
    return { ok: true };
  });
}
