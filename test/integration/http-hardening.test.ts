import { randomUUID } from "node:crypto";
import { request as httpRequest, type Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleError } from "../../app/entry.server";
import { ConfigurationError } from "../../db/config";
import { createApp } from "../../server/app";
import { loadServerConfig } from "../../server/config";
import { collectingLogger } from "../support/clock";
import { useTestDatabase } from "../support/database";
import { signInCookie } from "../support/session";
import { createReferralWorld, createWorld, TEST_PASSWORD } from "../support/factories";
import { loadContext } from "../support/remix";

const db = useTestDatabase();
const PUBLIC_URL = "https://crosswalk.example.org";
const { logger, lines } = collectingLogger();
let server: Server;
let base: string;

beforeAll(async () => {
  const build = (await import(
    pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
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
    publicUrl: PUBLIC_URL,
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

const FROM_OUR_PAGES = { "Sec-Fetch-Site": "same-origin" };
const FORM = { "Content-Type": "application/x-www-form-urlencoded", ...FROM_OUR_PAGES };

function send(method: string, pathname: string, init: RequestInit = {}) {
  return fetch(`${base}${pathname}`, { method, redirect: "manual", ...init });
}

/** A session of the server's database, signed in through the real sign-in and second-factor actions. */
function signedIn(email: string): Promise<string> {
  return signInCookie(db.app, email);
}

/** A GOV.UK page, not a bare or blank answer, and never a stack trace. */
function expectGovukPage(html: string, heading: string) {
  expect(html).toContain('class="govuk-template"');
  expect(html).toMatch(new RegExp(`<h1 class="govuk-heading-l">${heading}</h1>`));
  expect(html).not.toMatch(/at .*\.(js|ts):\d+/);
}

describe("request bodies", () => {
  it("over the limit are answered 413 with a GOV.UK page, and what was sent is not echoed", async () => {
    const email = "a".repeat(1024 * 1024);
    const response = await send("POST", "/sign-in", {
      headers: FORM,
      body: `email=${email}&password=x`,
    });
    expect(response.status).toBe(413);
    const html = await response.text();
    expectGovukPage(html, "What you sent is too large");
    expect(html.length).toBeLessThan(5_000);
  });

  it("streamed without a Content-Length are counted as they arrive: the server stops reading", async () => {
    const chunk = new TextEncoder().encode(`email=${"a".repeat(64 * 1024 - 6)}`);
    const most = 100 * 1024 * 1024;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= most) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await send("POST", "/sign-in", {
      headers: FORM,
      body,
      duplex: "half",
    });
    expect(response.status).toBe(413);
    expectGovukPage(await response.text(), "What you sent is too large");
    // The server stopped reading and closed the connection: the 100 MB was never sent, let alone
    // held in memory (what was sent is the limit and what the sockets' buffers took).
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("over the limit in a multipart form are refused too", async () => {
    const form = new FormData();
    form.set("email", "a".repeat(300 * 1024));
    form.set("password", "x");
    const response = await send("POST", "/sign-in", { headers: FROM_OUR_PAGES, body: form });
    expect(response.status).toBe(413);
  });

  it("within the limit are read, and an over-long field is not sent back in full", async () => {
    const response = await send("POST", "/sign-in", {
      headers: FORM,
      body: `email=${"a".repeat(200 * 1024)}&password=x`,
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Email address must be 320 characters or fewer");
    expect(html).not.toContain("a".repeat(321));
    expect(html.length).toBeLessThan(100_000);
  });
});

describe("methods", () => {
  it.each(["PUT", "PATCH", "DELETE"])(
    "%s on a form's page is a 405 naming the methods it serves, and the form's action does not run",
    async (method) => {
      const { user } = await createWorld(db.owner);
      const response = await send(method, "/sign-in", {
        headers: FORM,
        body: new URLSearchParams({ email: user.email, password: TEST_PASSWORD }).toString(),
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
      expect(response.headers.get("set-cookie")).toBeNull();
      expectGovukPage(await response.text(), "This page cannot do that");
    },
  );

  it("PUT to a form's single-fetch address is a 405 too", async () => {
    const response = await send("PUT", "/sign-in.data", { headers: FORM, body: "email=x" });
    expect(response.status).toBe(405);
  });

  it("POST to a page without an action is a 405 that allows GET and HEAD only", async () => {
    const response = await send("POST", "/signed-out", { headers: FORM, body: "x=1" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("GET of an address that only takes a form is a 405 with a GOV.UK page, not a blank 400", async () => {
    const response = await send("GET", "/oversight/referrals/export");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expectGovukPage(await response.text(), "This page cannot do that");
  });

  it("OPTIONS is a 405", async () => {
    const response = await send("OPTIONS", "/sign-in", { headers: FROM_OUR_PAGES });
    expect(response.status).toBe(405);
  });
});

describe("error pages", () => {
  it("a form that cannot be read is a 400 GOV.UK page that says what to do", async () => {
    const response = await send("POST", "/sign-in", {
      headers: { "Content-Type": "multipart/form-data; boundary=nothing", ...FROM_OUR_PAGES },
      body: "this is not multipart",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expectGovukPage(html, "There is a problem with your request");
    expect(html).toContain("Go back, reload the page and try again");
  });

  it("a download's refusal is a GOV.UK page, not a bare answer", async () => {
    const { user } = await createWorld(db.owner, "auditor");
    const cookie = await signedIn(user.email);
    const response = await send("GET", "/audit/export?from=not-a-date", {
      headers: { Cookie: cookie },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expectGovukPage(await response.text(), "There is a problem with your request");
  });

  it("a cross-site form is a 403 GOV.UK page", async () => {
    const response = await send("POST", "/sign-in", {
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Sec-Fetch-Site": "cross-site",
      },
      body: "email=x",
    });
    expect(response.status).toBe(403);
    expectGovukPage(await response.text(), "This request was refused");
  });
});

describe("set-password links", () => {
  /** A POST whose Host header names another site, as a forged request would. */
  function postWithHost(pathname: string, host: string, cookie: string, body: string) {
    return new Promise<{ status: number; html: string }>((resolve, reject) => {
      const request = httpRequest(
        `${base}${pathname}`,
        {
          method: "POST",
          headers: {
            ...FORM,
            Host: host,
            Cookie: cookie,
            "Content-Length": Buffer.byteLength(body),
          },
        },
        (response) => {
          let html = "";
          response.setEncoding("utf8");
          response.on("data", (part: string) => (html += part));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, html }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  it("are built on PUBLIC_URL, whatever Host header the request carries", async () => {
    const { agency, user } = await createWorld(db.owner, "administrator");
    const cookie = await signedIn(user.email);
    const answer = await postWithHost(
      "/admin/users/new",
      "evil.example",
      cookie,
      new URLSearchParams({
        displayName: "Robin Reyes",
        email: `robin-${randomUUID()}@example.test`,
        agencyId: agency.id,
        role: "practitioner",
      }).toString(),
    );
    expect(answer.status).toBe(200);
    expect(answer.html).toMatch(
      /https:\/\/crosswalk\.example\.org\/set-password\/[A-Za-z0-9_-]{43}/,
    );
    expect(answer.html).not.toContain("evil.example");
  });
});

describe("PUBLIC_URL and MAX_FORM_BYTES", () => {
  it("default to the address listened on and 256 KB", () => {
    expect(loadServerConfig({})).toMatchObject({
      publicUrl: "http://127.0.0.1:3000",
      maxFormBytes: 256 * 1024,
    });
    expect(loadServerConfig({ HOST: "0.0.0.0", PORT: "8080" }).publicUrl).toBe(
      "http://localhost:8080",
    );
  });

  it("are read, PUBLIC_URL as an origin", () => {
    const config = loadServerConfig({
      PUBLIC_URL: "https://crosswalk.example.org/",
      MAX_FORM_BYTES: "131072",
    });
    expect(config).toMatchObject({
      publicUrl: "https://crosswalk.example.org",
      maxFormBytes: 131072,
    });
  });

  it.each([
    ["PUBLIC_URL", "crosswalk.example.org", /^Configuration error: PUBLIC_URL must be an http/],
    [
      "PUBLIC_URL",
      "ftp://crosswalk.example.org",
      /^Configuration error: PUBLIC_URL must be an http/,
    ],
    ["PUBLIC_URL", "https://example.org/crosswalk", /PUBLIC_URL must be an address with no path/],
    ["MAX_FORM_BYTES", "lots", /^Configuration error: MAX_FORM_BYTES must be a number$/],
    ["MAX_FORM_BYTES", "1000", /^Configuration error: MAX_FORM_BYTES must be at least 16384$/],
  ])("refuse a bad %s (%s) with a clear message", (name, value, message) => {
    expect(() => loadServerConfig({ [name]: value })).toThrow(ConfigurationError);
    expect(() => loadServerConfig({ [name]: value })).toThrow(message);
  });
});

describe("logs", () => {
  beforeEach(() => {
    lines().length = 0;
  });

  /** Every line logged while serving the request with this id. */
  function linesFor(response: Response) {
    const requestId = response.headers.get("x-request-id");
    return lines().filter((line) => line.requestId === requestId);
  }

  it.each([
    ["an address no route serves", "GET", "/no/such/page?name=Kofi", 404, "/no/such/page"],
    ["a method the page does not serve", "PUT", "/sign-in?name=Kofi", 405, "/sign-in"],
    ["a page without an action", "POST", "/signed-out", 405, "/signed-out"],
  ])(
    "record a refusal (%s) as one info line saying so, with no stack",
    async (_, method, address, status, pathname) => {
      const response = await send(method, address, {
        headers: FORM,
        ...(method === "GET" ? {} : { body: "x=1" }),
      });
      expect(response.status).toBe(status);
      await response.text();
      const written = linesFor(response).filter((line) => Number(line.level) >= 30);
      expect(written).toEqual([
        expect.objectContaining({
          level: 30,
          status,
          path: pathname,
          refused: expect.anything() as unknown,
        }),
      ]);
      expect(JSON.stringify(lines())).not.toContain("stack");
      expect(JSON.stringify(lines())).not.toContain("Kofi");
    },
  );

  it("record a hidden record's 404 as one info line, not an unhandled error", async () => {
    const world = await createReferralWorld(db.owner);
    const cookie = await signedIn(world.people.policePractitioner.email);
    for (const pathname of [`/referrals/${randomUUID()}`, `/young-people/${randomUUID()}`]) {
      const response = await send("GET", pathname, { headers: { Cookie: cookie } });
      expect(response.status).toBe(404);
      expectGovukPage(await response.text(), "Page not found");
      const written = linesFor(response).filter((line) => Number(line.level) >= 30);
      expect(written).toEqual([
        expect.objectContaining({ level: 30, status: 404, path: pathname, refused: true }),
      ]);
    }
    expect(lines().some((line) => Number(line.level) >= 40)).toBe(false);
  });

  it("record a real fault as one error line with its stack", () => {
    const { logger: faults, lines: written } = collectingLogger();
    const request = new Request("http://crosswalk.test/cases?name=Kofi");
    const context = loadContext(db.app, { logger: faults });
    handleError(new TypeError("cannot read properties of undefined"), {
      request,
      context,
      params: {},
    });
    expect(written()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: "unhandled error",
        path: "/cases",
        requestId: context.requestId,
        err: expect.objectContaining({
          type: "TypeError",
          stack: expect.any(String) as unknown,
        }) as unknown,
      }),
    ]);
    expect(JSON.stringify(written())).not.toContain("Kofi");
  });
});
