import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../db/config";
import { loadServerConfig } from "./config";

describe("configuration from the environment", () => {
  it("has working defaults when nothing is set", () => {
    const config = loadServerConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      env: "production",
      shutdownDrainMs: 1000,
    });
    expect(config.auth).toEqual({ idleTimeoutMs: 30 * 60_000, absoluteLifetimeMs: 12 * 3_600_000 });
    expect(config.database.appUrl).toBeUndefined();
    expect(config.database.dataDir).toMatch(/\.data$/);
  });

  it("reads the session lifetimes", () => {
    const config = loadServerConfig({ SESSION_IDLE_MINUTES: "15", SESSION_ABSOLUTE_HOURS: "8" });
    expect(config.auth).toEqual({ idleTimeoutMs: 15 * 60_000, absoluteLifetimeMs: 8 * 3_600_000 });
  });

  it.each([
    ["PORT", "not-a-port", /^Configuration error: PORT must be a number$/],
    ["PORT", "70000", /^Configuration error: PORT must be at most 65535$/],
    ["SESSION_IDLE_MINUTES", "0", /^Configuration error: SESSION_IDLE_MINUTES must be at least 1$/],
    ["LOG_LEVEL", "loud", /^Configuration error: LOG_LEVEL must be one of: /],
    [
      "DATABASE_URL",
      "mysql://user:secret@host/db",
      /^Configuration error: DATABASE_URL must be a postgres/,
    ],
  ])("stops on a bad %s with one line naming it", (variable, value, message) => {
    let thrown: unknown;
    try {
      loadServerConfig({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const text = (thrown as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
    expect(text).not.toContain("secret");
  });

  it("refuses an owner URL without an application URL", () => {
    expect(() => loadServerConfig({ DATABASE_OWNER_URL: "postgres://owner@db/crosswalk" })).toThrow(
      /DATABASE_OWNER_URL is set but DATABASE_URL is not/,
    );
  });

  it("leaves migrations to `npm run db:migrate` when no owner URL is given", () => {
    const config = loadServerConfig({ DATABASE_URL: "postgres://app@db/crosswalk" });
    expect(config.database.appUrl).toBe("postgres://app@db/crosswalk");
    expect(config.database.ownerUrl).toBeUndefined();
  });
});
