import type { Server } from "node:http";
import { Writable } from "node:stream";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycleTable, ROLE_DESCRIPTIONS, ROLES } from "../../policies";
import { createApp } from "../../server/app";
import { createLogger } from "../../server/logger";
import { useTestDatabase } from "../support/database";
import { signInCookie } from "../support/session";
import { createWorld, TEST_PASSWORD } from "../support/factories";

const db = useTestDatabase();
const logLines: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const build = (await import(
    pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    }),
  );
  const app = createApp({
    db: db.app,
    logger,
    sessions: {
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    },
    build,
    mode: "production",
    trustProxy: "loopback",
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

function post(pathname: string, body: string, headers: Record<string, string>) {
  return fetch(`${base}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

describe("security headers", () => {
  it("are on every page, with a fresh CSP nonce each time", async () => {
    const pages = ["/sign-in", "/signed-out", "/no-such-page", "/"];
    const nonces = new Set<string>();
    for (const page of pages) {
      const response = await fetch(`${base}${page}`, { redirect: "manual" });
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, page).toContain("frame-ancestors 'none'");
      expect(csp, page).toContain("object-src 'none'");
      expect(csp, page).toContain("base-uri 'none'");
      expect(csp, page).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}'/);
      expect(response.headers.get("content-security-policy-report-only"), page).toBeNull();
      expect(response.headers.get("x-content-type-options"), page).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), page).toBe("no-referrer");
      expect(response.headers.get("cache-control"), page).toBe("no-store");
      expect(response.headers.get("x-request-id"), page).toMatch(/^[0-9a-f-]{36}$/);
      nonces.add(/nonce-([^']+)/.exec(csp)?.[1] ?? "");
    }
    expect(nonces.size).toBe(pages.length);
  });

  it("give every inline script the response's nonce", async () => {
    const response = await fetch(`${base}/sign-in`);
    const nonce = /nonce-([^']+)/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    const html = await response.text();
    const inlineScripts = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map(
      (match) => match[1] ?? "",
    );
    expect(inlineScripts.length).toBeGreaterThan(0);
    for (const attributes of inlineScripts) {
      expect(attributes).toContain(`nonce="${nonce}"`);
    }
  });

  it("include HSTS only when the request came over HTTPS", async () => {
    const plain = await fetch(`${base}/sign-in`);
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    const viaTls = await fetch(`${base}/sign-in`, { headers: { "X-Forwarded-Proto": "https" } });
    expect(viaTls.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
  });
});

describe("the same-origin check", () => {
  const body = "email=a%40b.test&password=x";

  it("refuses a cross-site POST with 403", async () => {
    const response = await post("/sign-in", body, {
      "Sec-Fetch-Site": "cross-site",
      Origin: "https://evil.example",
    });
    expect(response.status).toBe(403);
  });

  it("refuses a same-site (but not same-origin) POST", async () => {
    const response = await post("/sign-in", body, { "Sec-Fetch-Site": "same-site" });
    expect(response.status).toBe(403);
  });

  it("refuses a POST with neither Sec-Fetch-Site nor Origin", async () => {
    const response = await post("/sign-in", body, {});
    expect(response.status).toBe(403);
  });

  it("refuses a POST whose Origin is another site", async () => {
    const response = await post("/sign-in", body, { Origin: "http://evil.example" });
    expect(response.status).toBe(403);
  });

  it("lets through a no-JavaScript form POST that Chromium sends with Origin: null", async () => {
    const response = await post("/sign-in", body, {
      "Sec-Fetch-Site": "same-origin",
      Origin: "null",
    });
    expect(response.status).toBe(401);
  });

  it("refuses Origin: null without Sec-Fetch-Site", async () => {
    const response = await post("/sign-in", body, { Origin: "null" });
    expect(response.status).toBe(403);
  });

  it("lets through a POST from our own pages", async () => {
    const bySecFetch = await post("/sign-in", body, { "Sec-Fetch-Site": "same-origin" });
    const byOrigin = await post("/sign-in", body, { Origin: base });
    expect(bySecFetch.status).toBe(401);
    expect(byOrigin.status).toBe(401);
  });
});

describe("malformed requests", () => {
  it("get a 400, not a 500, when the body is not a form", async () => {
    const response = await fetch(`${base}/sign-in`, {
      method: "POST",
      headers: {
        "Content-Type": "multipart/form-data; boundary=nothing",
        "Sec-Fetch-Site": "same-origin",
      },
      body: "this is not multipart",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/at .*\.js:\d+/);
  });

  it("get a GOV.UK 404 page for an unknown address", async () => {
    const response = await fetch(`${base}/no/such/page`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("Page not found");
  });
});

describe("health checks", () => {
  it("answer /healthz while the process is alive", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
  });

  it("answer /readyz when the database answers", async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ready");
  });
});

describe("logs", () => {
  it("carry the request id and never the email, password or session token", async () => {
    const { user } = await createWorld(db.owner);
    logLines.length = 0;
    const response = await post(
      "/sign-in",
      new URLSearchParams({ email: user.email, password: TEST_PASSWORD }).toString(),
      { "Sec-Fetch-Site": "same-origin" },
    );
    expect(response.status).toBe(302);
    const token = /=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1] ?? "";
    expect(token.length).toBeGreaterThan(10);
    const requestId = response.headers.get("x-request-id") ?? "";
    const home = await fetch(`${base}/home?search=${encodeURIComponent(user.display_name)}`, {
      headers: { Cookie: `crosswalk_session=${token}` },
    });
    expect(home.status).toBe(200);
    const written = logLines.join("");
    expect(written).toContain(requestId);
    for (const secret of [user.email, TEST_PASSWORD, token, user.display_name]) {
      expect(written).not.toContain(secret);
    }
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.every((entry) => typeof entry.requestId === "string")).toBe(true);
  });
});

/** The text of server-rendered HTML as a reader sees it: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

describe("the access matrix page", () => {
  it("shows how a referral moves: every step, where from, where to and who, generated from the policies", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);
    const response = await fetch(`${base}/access-matrix`, { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();

    const section =
      /<section[^>]*aria-labelledby="referral-lifecycle"[^>]*>([\s\S]*?)<\/section>/.exec(
        html,
      )?.[1];
    expect(section, "the lifecycle section").toBeDefined();
    const lifecycle = section ?? "";
    expect(lifecycle).toContain('id="referral-lifecycle"');
    expect(textOf(lifecycle)).toContain("How a referral moves");
    expect(lifecycle).toMatch(/<caption class="govuk-table__caption[^"]*">[^<]+<\/caption>/);
    expect(lifecycle.match(/<th scope="col"/g)).toHaveLength(4);

    const table = lifecycleTable();
    const rows = [...lifecycle.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)]
      .map((match) => match[1] ?? "")
      .filter((row) => row.includes('scope="row"'));
    expect(rows).toHaveLength(table.length);
    table.forEach((step, index) => {
      const row = textOf(rows[index] ?? "");
      expect(row, step.transition).toContain(step.label);
      expect(row, step.transition).toContain(step.to);
      for (const state of step.from) expect(row, `${step.transition} from`).toContain(state);
      for (const role of ROLES) {
        const label = ROLE_DESCRIPTIONS[role].label;
        if (step.roles.includes(role)) expect(row, `${step.transition} by`).toContain(label);
        else expect(row, `${step.transition} by`).not.toContain(label);
      }
    });
  });
});
