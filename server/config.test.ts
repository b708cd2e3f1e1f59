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
    expect(config.auth).toEqual({
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    });
    expect(config.database.appUrl).toBeUndefined();
    expect(config.database.dataDir).toMatch(/\.data$/);
  });

  it("seals the access log every 250 ms, keeps 3 months of partitions ahead, and signs checkpoints every 10 minutes with the default key by default", () => {
    expect(loadServerConfig({ DATA_DIR: "/srv/crosswalk" }).audit).toEqual({
      sealIntervalMs: 250,
      partitionMonthsAhead: 3,
      checkpoints: {
        dir: "/srv/crosswalk/checkpoints",
        signingKeyFile: "/srv/crosswalk/audit-keys/audit-signing-key.pem",
        createKey: true,
        keyName: "crosswalk-audit",
        intervalMs: 10 * 60_000,
        witnessDir: null,
      },
    });
  });

  it("reads the sealer's interval and the months of partitions ahead", () => {
    const config = loadServerConfig({
      AUDIT_SEAL_INTERVAL_MS: "1000",
      AUDIT_PARTITION_MONTHS_AHEAD: "6",
    });
    expect(config.audit).toMatchObject({ sealIntervalMs: 1000, partitionMonthsAhead: 6 });
  });

  it("signs checkpoints with a given key into a given folder and witness, which are never made", () => {
    const given = {
      AUDIT_SIGNING_KEY_FILE: "keys/audit.pem",
      AUDIT_CHECKPOINT_DIR: "notes",
      AUDIT_WITNESS_DIR: "/mnt/witness",
    };
    expect(loadServerConfig(given).audit.checkpoints).toEqual({
      signingKeyFile: expect.stringMatching(/\/keys\/audit\.pem$/) as unknown,
      createKey: false,
      dir: expect.stringMatching(/\/notes$/) as unknown,
      keyName: "crosswalk-audit",
      intervalMs: 10 * 60_000,
      witnessDir: "/mnt/witness",
    });
    expect(
      loadServerConfig({ ...given, AUDIT_CHECKPOINT_MINUTES: "15" }).audit.checkpoints?.intervalMs,
    ).toBe(15 * 60_000);
  });

  it("reads the session lifetimes", () => {
    const config = loadServerConfig({ SESSION_IDLE_MINUTES: "15", SESSION_ABSOLUTE_HOURS: "8" });
    expect(config.auth).toMatchObject({
      idleTimeoutMs: 15 * 60_000,
      absoluteLifetimeMs: 8 * 3_600_000,
    });
  });

  it.each([
    ["PORT", "not-a-port", /^Configuration error: PORT must be a number$/],
    ["PORT", "70000", /^Configuration error: PORT must be at most 65535$/],
    ["SESSION_IDLE_MINUTES", "0", /^Configuration error: SESSION_IDLE_MINUTES must be at least 1$/],
    ["LOG_LEVEL", "loud", /^Configuration error: LOG_LEVEL must be one of: /],
    [
      "AUDIT_SEAL_INTERVAL_MS",
      "5",
      /^Configuration error: AUDIT_SEAL_INTERVAL_MS must be at least 10$/,
    ],
    [
      "AUDIT_SEAL_INTERVAL_MS",
      "soon",
      /^Configuration error: AUDIT_SEAL_INTERVAL_MS must be a number$/,
    ],
    [
      "AUDIT_CHECKPOINT_MINUTES",
      "0",
      /^Configuration error: AUDIT_CHECKPOINT_MINUTES must be at least 1$/,
    ],
    [
      "AUDIT_MAX_CHECKPOINT_AGE_MINUTES",
      "-1",
      /^Configuration error: AUDIT_MAX_CHECKPOINT_AGE_MINUTES must be at least 0$/,
    ],
    [
      "AUDIT_PARTITION_MONTHS_AHEAD",
      "25",
      /^Configuration error: AUDIT_PARTITION_MONTHS_AHEAD must be at most 24$/,
    ],
    [
      "AUDIT_SIGNING_KEY_NAME",
      "two words",
      /^Configuration error: AUDIT_SIGNING_KEY_NAME must not contain spaces/,
    ],
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

  it("bounds the waits for the database: a lock timeout shorter than the statement timeout, and a queue for connections", () => {
    expect(loadServerConfig({}).database.pool).toMatchObject({
      statementTimeoutMs: 15_000,
      lockTimeoutMs: 3_000,
      connectTimeoutMs: 5_000,
      queueMax: 50,
    });
    expect(
      loadServerConfig({ DB_STATEMENT_TIMEOUT_MS: "2000", DB_POOL_QUEUE_MAX: "5" }).database.pool,
    ).toMatchObject({ lockTimeoutMs: 1_000, queueMax: 5 });
    expect(loadServerConfig({ DB_LOCK_TIMEOUT_MS: "500" }).database.pool.lockTimeoutMs).toBe(500);
    expect(() =>
      loadServerConfig({ DB_STATEMENT_TIMEOUT_MS: "2000", DB_LOCK_TIMEOUT_MS: "2000" }),
    ).toThrow("DB_LOCK_TIMEOUT_MS must be shorter than DB_STATEMENT_TIMEOUT_MS");
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

  it("sends notification emails only when SMTP_URL is set, and then needs MAIL_FROM", () => {
    expect(loadServerConfig({}).mail).toBeNull();
    expect(
      loadServerConfig({
        SMTP_URL: "smtp://mailer:secret@mail.example.org:587",
        MAIL_FROM: "Crosswalk <crosswalk@example.org>",
      }).mail,
    ).toEqual({
      smtpUrl: "smtp://mailer:secret@mail.example.org:587",
      from: "Crosswalk <crosswalk@example.org>",
      intervalMs: 15_000,
    });
    expect(() => loadServerConfig({ SMTP_URL: "smtp://mail.example.org" })).toThrow(/MAIL_FROM/);
    expect(() =>
      loadServerConfig({ SMTP_URL: "http://mail.example.org", MAIL_FROM: "a@example.org" }),
    ).toThrow(ConfigurationError);
    expect(() =>
      loadServerConfig({ SMTP_URL: "smtp://mail.example.org", MAIL_FROM: "not an address" }),
    ).toThrow(/MAIL_FROM/);
  });
});
