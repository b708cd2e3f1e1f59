import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ClientSecretKeyMissing,
  openClientSecret,
  sealClientSecret,
} from "./client-secrets.server";

describe("sealed client secrets", () => {
  const key = randomBytes(32);
  const agencyId = randomUUID();

  it("open with the key and the agency they were sealed for, and never hold the secret in clear", () => {
    const sealed = sealClientSecret(key, agencyId, "s3cret-from-the-provider");
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("s3cret");
    expect(openClientSecret(key, agencyId, sealed)).toBe("s3cret-from-the-provider");
  });

  it("seal the same secret differently each time", () => {
    expect(sealClientSecret(key, agencyId, "same")).not.toBe(
      sealClientSecret(key, agencyId, "same"),
    );
  });

  it.each([
    ["another key", () => [randomBytes(32), agencyId] as const],
    ["another agency", () => [key, randomUUID()] as const],
  ])("do not open with %s", (_what, other) => {
    const sealed = sealClientSecret(key, agencyId, "secret");
    const [otherKey, otherAgency] = other();
    expect(() => openClientSecret(otherKey, otherAgency, sealed)).toThrow();
  });

  it("refuse to seal without a 32-byte key", () => {
    expect(() => sealClientSecret(undefined, agencyId, "secret")).toThrow(ClientSecretKeyMissing);
    expect(() => sealClientSecret(randomBytes(16), agencyId, "secret")).toThrow(
      ClientSecretKeyMissing,
    );
  });
});
