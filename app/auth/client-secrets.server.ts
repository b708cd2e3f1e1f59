import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Client secrets of agencies' identity providers, sealed at rest (decision 016): AES-256-GCM under
 * a key kept outside the database (SSO_SECRET_KEY_FILE, made at first start by default), bound to
 * the agency it was given for, so a copy of the database (a backup, a replica, a dump) does not
 * reveal any secret and a sealed secret copied to another agency's row does not open.
 */

const VERSION = "v1";
const KEY_BYTES = 32;

/** The key is missing or has the wrong length: single sign-on cannot keep secrets. */
export class ClientSecretKeyMissing extends Error {
  override name = "ClientSecretKeyMissing";
}

function checkedKey(key: Uint8Array | undefined): Uint8Array {
  if (!key || key.length !== KEY_BYTES) {
    throw new ClientSecretKeyMissing("No 32-byte key for client secrets (SSO_SECRET_KEY_FILE)");
  }
  return key;
}

/** Seal a client secret for one agency: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function sealClientSecret(
  key: Uint8Array | undefined,
  agencyId: string,
  secret: string,
): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", checkedKey(key), iv);
  cipher.setAAD(Buffer.from(`agency:${agencyId}`));
  const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), sealed]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Open a sealed client secret; throws when the key, the agency or the text does not match. */
export function openClientSecret(
  key: Uint8Array | undefined,
  agencyId: string,
  sealed: string,
): string {
  const [version, iv, tag, text] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || text === undefined) {
    throw new Error("Not a sealed client secret");
  }
  const decipher = createDecipheriv("aes-256-gcm", checkedKey(key), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(`agency:${agencyId}`));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([
    decipher.update(Buffer.from(text, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}
