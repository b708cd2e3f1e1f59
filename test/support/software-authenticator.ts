import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

/**
 * A passkey authenticator in software, for tests: it makes ES256 (P-256) credentials and answers
 * challenges as a browser and a platform authenticator together would, building every byte by hand
 * (attestation "none", authenticator data, client data), so the server's checks are tested against
 * what the WebAuthn specification says rather than against the library's own encoder. Tests can
 * make it lie: another origin, another challenge, a signature counter of their choosing.
 */

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const head = Buffer.alloc(3);
    head[0] = (major << 5) | 25;
    head.writeUInt16BE(length, 1);
    return head;
  }
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

/** The few CBOR types WebAuthn needs (RFC 8949): integers, byte and text strings, maps. */
export function cborEncode(value: Cbor): Buffer {
  if (typeof value === "number") {
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === "string") {
    const text = Buffer.from(value, "utf8");
    return Buffer.concat([cborHead(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  const parts: Buffer[] = [cborHead(5, value.size)];
  for (const [key, entry] of value) parts.push(cborEncode(key), cborEncode(entry));
  return Buffer.concat(parts);
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
const base64url = (data: Uint8Array) => Buffer.from(data).toString("base64url");

// Authenticator data flags (WebAuthn §6.1): user present, user verified, attested credential data.
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  publicKeyCose: Buffer;
  userHandle: string;
  counter: number;
}

export interface Lies {
  /** The origin the "browser" reports in the client data. */
  origin?: string;
  /** The challenge answered, instead of the one in the options. */
  challenge?: string;
  /** The signature counter to report (the authenticator's own counts up by one each use). */
  counter?: number;
  /** Leave out user verification. */
  unverified?: boolean;
}

export class SoftwareAuthenticator {
  private readonly credentials: Credential[] = [];

  constructor(
    private readonly site: { origin: string; rpId: string },
    private readonly startCounter = 0,
  ) {}

  /** The credential ids this authenticator holds, base64url, oldest first. */
  get credentialIds(): string[] {
    return this.credentials.map((credential) => base64url(credential.id));
  }

  /** navigator.credentials.create(): a new ES256 credential, with attestation "none". */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    lies: Lies = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const publicKeyCose = cborEncode(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x ?? "", "base64url")],
        [-3, Buffer.from(jwk.y ?? "", "base64url")],
      ]),
    );
    const credential: Credential = {
      id: randomBytes(32),
      privateKey,
      publicKeyCose,
      userHandle: options.user.id,
      counter: this.startCounter,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authDataHead(lies, AT, credential.counter),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credential.id,
      publicKeyCose,
    ]);
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, lies);
    const attestationObject = cborEncode(
      new Map<Cbor, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    this.credentials.push(credential);
    const id = base64url(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: base64url(clientDataJSON),
        attestationObject: base64url(attestationObject),
        transports: ["internal"],
      },
    };
  }

  /**
   * navigator.credentials.get(): an assertion by the first of this authenticator's credentials the
   * options allow (or `credentialId`), signed over authenticator data and the client data's hash.
   */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    lies: Lies & { credentialId?: string } = {},
  ): AuthenticationResponseJSON {
    const allowed = new Set((options.allowCredentials ?? []).map((entry) => entry.id));
    const credential = this.credentials.find((candidate) =>
      lies.credentialId
        ? base64url(candidate.id) === lies.credentialId
        : allowed.size === 0 || allowed.has(base64url(candidate.id)),
    );
    if (!credential) throw new Error("NotAllowedError: no credential for these options");
    credential.counter = lies.counter ?? credential.counter + 1;
    const authData = this.authDataHead(lies, 0, credential.counter);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, lies);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), {
      key: credential.privateKey,
      dsaEncoding: "der",
    });
    const id = base64url(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: base64url(clientDataJSON),
        authenticatorData: base64url(authData),
        signature: base64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }

  private authDataHead(lies: Lies, extraFlags: number, counter: number): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const flags = UP | (lies.unverified ? 0 : UV) | extraFlags;
    return Buffer.concat([sha256(this.site.rpId), Buffer.from([flags]), count]);
  }

  private clientData(type: string, challenge: string, lies: Lies): Buffer {
    return Buffer.from(
      JSON.stringify({
        type,
        challenge: lies.challenge ?? challenge,
        origin: lies.origin ?? this.site.origin,
        crossOrigin: false,
      }),
    );
  }
}
