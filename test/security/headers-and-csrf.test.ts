import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TOTP_KEY } from "../../db/seed/demo";
import { unusedCode } from "../e2e/support/second-factor";
import type { Database } from "../../db/types";
import { eventsOf } from "./support/access-log";
import { ANONYMOUS, everyone, type Actor } from "./support/actors";
import { methodsOf } from "./support/expectations";
import { request, type Reply } from "./support/http";
import { govukPageProblems } from "./support/pages";
import { pathOf, routeFiles, type RouteFile } from "./support/routes";
import { demoSamples, instancesOf, type DemoSamples } from "./support/samples";
import { connectTo } from "./support/server";
import { servedBy } from "./support/who";

/**
 * Cross-site request forgery, security headers and the session cookie, on every route: a POST
 * that does not come from one of our pages is refused before it does anything; every answer
 * carries the CSP with a fresh nonce, no framing, no sniffing, no referrer and no caching; the
 * session cookie is HttpOnly and SameSite=Lax, and over HTTPS Secure with the __Host- prefix.
 */

const { server, second } = inject("security");
let db: Kysely<Database>;
let actors: Actor[];
let samples: DemoSamples;

beforeAll(async () => {
  db = await connectTo(server, "superuser");
  actors = await everyone(server.baseUrl, db, second);
  const lead = actors.find((actor) => actor.email === "lead@northbridge.example");
  samples = await demoSamples(db, server.baseUrl, lead?.cookie ?? "");
});
afterAll(async () => {
  await db?.destroy();
});

const routes = routeFiles();
const addressOf = (route: RouteFile) => pathOf(route.pattern, instancesOf(route, samples)[0] ?? {});

/** What is wrong with the headers every answer must carry. */
function headerProblems(reply: Reply): string[] {
  const problems: string[] = [];
  const header = (name: string) => String(reply.headers[name] ?? "");
  const csp = header("content-security-policy");
  const directives = new Map(
    csp
      .split(";")
      .map((directive) => directive.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map((parts) => [parts[0] as string, parts.slice(1)]),
  );
  const has = (name: string, ...values: string[]) =>
    values.every((value) => directives.get(name)?.includes(value));
  if (!has("default-src", "'self'")) problems.push(`CSP default-src is not 'self': ${csp}`);
  if (!has("frame-ancestors", "'none'")) problems.push("CSP allows framing");
  if (!has("object-src", "'none'")) problems.push("CSP allows plugins");
  if (!has("base-uri", "'none'")) problems.push("CSP allows <base>");
  const scripts = directives.get("script-src") ?? [];
  if (
    scripts.some(
      (source) => source === "'unsafe-inline'" || source === "*" || source === "'unsafe-eval'",
    )
  )
    problems.push(`CSP script-src is unsafe: ${scripts.join(" ")}`);
  const nonce = scripts.find((source) => source.startsWith("'nonce-"))?.slice(7, -1);
  if (!nonce || nonce.length < 16)
    problems.push(`CSP script-src has no nonce: ${scripts.join(" ")}`);
  if (String(reply.headers["content-type"] ?? "").startsWith("text/html")) {
    const inline = [...reply.body.matchAll(/<script\b([^>]*)>/g)];
    const unnonced = inline.filter((tag) => !(tag[1] ?? "").includes(`nonce="${nonce}"`));
    if (unnonced.length > 0)
      problems.push(`${unnonced.length} script elements without the response's nonce`);
  }
  if (header("x-frame-options") !== "DENY")
    problems.push(`X-Frame-Options is "${header("x-frame-options")}"`);
  if (header("x-content-type-options") !== "nosniff")
    problems.push("no X-Content-Type-Options: nosniff");
  if (header("referrer-policy") !== "no-referrer")
    problems.push(`Referrer-Policy is "${header("referrer-policy")}"`);
  const caching = new Set(
    header("cache-control")
      .split(",")
      .map((directive) => directive.trim()),
  );
  if (
    !caching.has("no-store") ||
    [...caching].some((directive) => /^(public|max-age=[1-9])/.test(directive))
  )
    problems.push(`Cache-Control is "${header("cache-control")}"`);
  return problems;
}

/** What is wrong with the flags of every session cookie the answer sets. */
function cookieProblems(reply: Reply, secure: boolean): string[] {
  const problems: string[] = [];
  for (const cookie of reply.setCookies.filter((header) => /crosswalk_session=/.test(header))) {
    const attributes = cookie.split(";").map((part) => part.trim().toLowerCase());
    if (!attributes.includes("httponly"))
      problems.push(`a session cookie without HttpOnly: ${cookie}`);
    if (!attributes.includes("samesite=lax"))
      problems.push(`a session cookie without SameSite=Lax: ${cookie}`);
    if (!attributes.includes("path=/")) problems.push(`a session cookie not on Path=/: ${cookie}`);
    if (attributes.some((attribute) => attribute.startsWith("domain=")))
      problems.push(`a session cookie with a Domain: ${cookie}`);
    if (secure) {
      if (!cookie.startsWith("__Host-crosswalk_session="))
        problems.push(`over HTTPS without the __Host- prefix: ${cookie}`);
      if (!attributes.includes("secure")) problems.push(`over HTTPS without Secure: ${cookie}`);
    } else if (cookie.startsWith("__Host-")) {
      problems.push(`over HTTP with the __Host- prefix: ${cookie}`);
    }
  }
  return problems;
}

describe("every route's answers", () => {
  it.each(
    routes.filter((route) => methodsOf(route).get).map((route) => [route.file, route] as const),
  )(
    "%s carries the security headers, to everyone, and sets only safe cookies",
    async (_file, route) => {
      const path = addressOf(route);
      const problems: string[] = [];
      const nonces = new Set<string>();
      for (const actor of actors) {
        const reply = await request(server.baseUrl, { path, cookie: actor.cookie });
        problems.push(
          ...headerProblems(reply).map(
            (problem) => `${actor.name} GET ${path} (${reply.status}): ${problem}`,
          ),
        );
        problems.push(
          ...cookieProblems(reply, false).map((problem) => `${actor.name} GET ${path}: ${problem}`),
        );
        const nonce = /'nonce-([^']+)'/.exec(
          String(reply.headers["content-security-policy"] ?? ""),
        )?.[1];
        if (nonce && nonces.has(nonce))
          problems.push(`${actor.name} GET ${path}: a nonce used twice`);
        if (nonce) nonces.add(nonce);
      }
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );

  it("carries them on a missing page, a refusal, a download and a bad request too", async () => {
    const auditor = actors.find((actor) => actor.role === "auditor") as Actor;
    const practitioner = actors.find((actor) => actor.role === "practitioner") as Actor;
    const answers = [
      await request(server.baseUrl, { path: "/no-such-page", cookie: practitioner.cookie }),
      await request(server.baseUrl, { path: "/admin", cookie: practitioner.cookie }),
      await request(server.baseUrl, { path: "/audit/export", cookie: auditor.cookie }),
      await request(server.baseUrl, { path: "/cases?state=nonsense", cookie: practitioner.cookie }),
      await request(server.baseUrl, {
        path: "/sign-in",
        form: [["email", "x"]],
        sameOrigin: false,
      }),
    ];
    expect(answers.map((reply) => reply.status)).toEqual([404, 403, 200, 400, 403]);
    expect(answers.flatMap(headerProblems)).toEqual([]);
  });
});

describe("cross-site request forgery", () => {
  const formRoutes = routes.filter((route) => methodsOf(route).post);
  const forged: { name: string; headers: Record<string, string> }[] = [
    { name: "without Sec-Fetch-Site or Origin", headers: {} },
    { name: "with Sec-Fetch-Site: cross-site", headers: { "Sec-Fetch-Site": "cross-site" } },
    { name: "with Sec-Fetch-Site: same-site", headers: { "Sec-Fetch-Site": "same-site" } },
    { name: "with another site's Origin", headers: { Origin: "https://evil.example" } },
    { name: "with Origin: null", headers: { Origin: "null" } },
  ];

  it.each(formRoutes.map((route) => [route.file, route] as const))(
    "%s refuses a POST from another site with 403, before doing anything",
    async (_file, route) => {
      const actor = servedBy(route, actors);
      const path = addressOf(route);
      const problems: string[] = [];
      for (const attempt of forged) {
        const reply = await request(server.baseUrl, {
          path,
          cookie: actor.cookie,
          form: [["intent", "submit"]],
          sameOrigin: false,
          headers: attempt.headers,
        });
        const label = `${actor.name} POST ${path} ${attempt.name}`;
        if (reply.status !== 403) problems.push(`${label}: ${reply.status}, expected 403`);
        else if ((await eventsOf(db, reply)).length > 0)
          problems.push(`${label}: wrote to the access log`);
      }
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );

  it("lets the same POST through from our own origin, as an older browser sends it", async () => {
    const reply = await request(server.baseUrl, {
      path: "/sign-in",
      form: [["email", ""]],
      sameOrigin: false,
      headers: { Origin: server.baseUrl },
    });
    expect(reply.status).toBe(400);
  });

  it("answers a forged POST with a GOV.UK page", async () => {
    const reply = await request(server.baseUrl, {
      path: "/sign-in",
      form: [["email", "x"]],
      sameOrigin: false,
    });
    expect(reply.status).toBe(403);
    expect(govukPageProblems(reply)).toEqual([]);
  });
});

describe("the session cookie", () => {
  const signIn = (headers: Record<string, string>) =>
    request(server.baseUrl, {
      path: "/sign-in",
      form: [
        ["email", "officer@police.northbridge.example"],
        ["password", DEMO_PASSWORD],
      ],
      headers,
    });

  it("is HttpOnly and SameSite=Lax over HTTP, without Secure or the __Host- prefix", async () => {
    const reply = await signIn({});
    expect(reply.status).toBe(302);
    expect(reply.setCookies.some((cookie) => cookie.startsWith("crosswalk_session="))).toBe(true);
    expect(cookieProblems(reply, false)).toEqual([]);
    expect(reply.headers["strict-transport-security"]).toBeUndefined();
  });

  it("is Secure with the __Host- prefix over HTTPS (behind a TLS-terminating proxy), with HSTS", async () => {
    const reply = await signIn({ "X-Forwarded-Proto": "https" });
    expect(reply.status).toBe(302);
    expect(reply.setCookies.some((cookie) => cookie.startsWith("__Host-crosswalk_session="))).toBe(
      true,
    );
    expect(cookieProblems(reply, true)).toEqual([]);
    expect(String(reply.headers["strict-transport-security"])).toMatch(/max-age=\d{7,}/);
  });

  it("over HTTPS is not accepted without the prefix, and over HTTP not with it", async () => {
    const half = await signIn({ "X-Forwarded-Proto": "https" });
    const halfValue = /^__Host-crosswalk_session=([^;]+)/.exec(half.setCookies[0] ?? "")?.[1];
    // The second factor, over HTTPS too.
    const secure = await request(server.baseUrl, {
      path: "/sign-in/second-factor",
      headers: { Cookie: `__Host-crosswalk_session=${halfValue}`, "X-Forwarded-Proto": "https" },
      form: [
        ["method", "totp"],
        [
          "code",
          await unusedCode(server.baseUrl, "officer@police.northbridge.example", DEMO_TOTP_KEY),
        ],
        ["returnTo", ""],
      ],
    });
    expect(secure.status).toBe(302);
    const value = /^__Host-crosswalk_session=([^;]+)/.exec(secure.setCookies[0] ?? "")?.[1] ?? "";
    const asHttp = await request(server.baseUrl, {
      path: "/home",
      headers: { Cookie: `__Host-crosswalk_session=${value}` },
    });
    expect(asHttp.status).toBe(302);
    const asHttps = await request(server.baseUrl, {
      path: "/home",
      headers: { Cookie: `__Host-crosswalk_session=${value}`, "X-Forwarded-Proto": "https" },
    });
    expect(asHttps.status).toBe(200);
    expect(cookieProblems(asHttps, true)).toEqual([]);
  });

  it("is cleared, with the same flags, when a signed-out visitor is sent to sign in", async () => {
    const reply = await request(server.baseUrl, {
      path: "/cases",
      cookie: "not-a-session",
      headers: { "X-Forwarded-Proto": "https" },
    });
    expect(reply.status).toBe(302);
    expect(cookieProblems(reply, true)).toEqual([]);
    expect(ANONYMOUS.cookie).toBeNull();
  });
});
