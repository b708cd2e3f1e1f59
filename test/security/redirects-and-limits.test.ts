import http from "node:http";
import { describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TOTP_KEY } from "../../db/seed/demo";
import { giveCode, signIn } from "./support/actors";
import { encodeValue, request, sessionFrom } from "./support/http";
import { formsOf, govukPageProblems } from "./support/pages";

/**
 * After sign-in a person goes back to where they were (`returnTo`), and only ever to a page of
 * this site, however the address is dressed up; every request body is bounded, and one over the
 * bound is a 413 that echoes none of it.
 */

const { server } = inject("security");
const ORIGIN = new URL(server.baseUrl).origin;

/** Addresses a phishing link could put in returnTo, each trying to leave the site. */
const OFF_SITE = [
  "//evil.example/",
  "///evil.example/",
  "/\\evil.example/",
  "\\\\evil.example/",
  "/\t/evil.example/",
  "/\t\t/evil.example/",
  "\t//evil.example/",
  "/\n/evil.example/",
  "/\r\n/evil.example/",
  "/\r/evil.example/",
  "/ /evil.example/",
  "/%09/evil.example/",
  "/%2F/evil.example/",
  "/%5Cevil.example/",
  "/.//evil.example/",
  "https://evil.example/",
  "http:evil.example",
  "https:/evil.example",
  "javascript:alert(document.cookie)",
  "data:text/html,<script>alert(1)</script>",
  "/\u0000/evil.example/",
  "/\u3000/evil.example/",
  "/\ufeff/evil.example/",
  "/home\r\nSet-Cookie: crosswalk_session=fixated",
  `${ORIGIN}@evil.example/`,
  "",
];

/**
 * Where a browser would go for this Location: Chromium drops tabs and newlines from a URL, and
 * trims leading and trailing spaces and control characters, before resolving it.
 */
function destination(location: string): URL {
  const cleaned = location
    .replace(/[\t\n\r]/g, "")
    // Leading and trailing C0 controls and spaces are what a browser trims.
    // eslint-disable-next-line no-control-regex
    .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
  return new URL(cleaned, server.baseUrl);
}

async function signInWith(returnTo: string, via: "form" | "page") {
  let value = returnTo;
  if (via === "page") {
    // As the link would: the sign-in page carries returnTo from its address into the form.
    const page = await request(server.baseUrl, {
      path: `/sign-in?returnTo=${encodeValue(returnTo)}`,
    });
    if (page.status >= 500) return page;
    const field = formsOf(page.body)
      .flatMap((form) => form.controls)
      .find((control) => control.name === "returnTo");
    value = field?.value ?? "";
  }
  return request(server.baseUrl, {
    path: "/sign-in",
    form: [
      ["email", "dsl@school.northbridge.example"],
      ["password", DEMO_PASSWORD],
      ["returnTo", value],
    ],
  });
}

describe("returnTo after sign-in", () => {
  it.each(OFF_SITE.map((returnTo) => [JSON.stringify(returnTo), returnTo] as const))(
    "%s stays on this site, sent in the form or through the page's address",
    async (_name, returnTo) => {
      for (const via of ["form", "page"] as const) {
        const reply = await signInWith(returnTo, via);
        expect(reply.status, `${via}: ${reply.body.slice(0, 200)}`).toBe(302);
        const location = reply.location ?? "";
        expect(location, via).toMatch(/^\/(?![/\\])/);
        expect(destination(location).origin, `${via}: Location ${JSON.stringify(location)}`).toBe(
          ORIGIN,
        );
        expect(reply.setCookies.some((cookie) => cookie.includes("fixated"))).toBe(false);
      }
    },
  );

  /** After the password, the second factor, carrying returnTo on as its page does. */
  async function throughSecondFactor(reply: Awaited<ReturnType<typeof signInWith>>) {
    const location = new URL(reply.location ?? "", ORIGIN);
    expect(location.pathname).toBe("/sign-in/second-factor");
    const page = await request(server.baseUrl, {
      path: `${location.pathname}${location.search}`,
      cookie: sessionFrom(reply.setCookies),
    });
    const returnTo =
      formsOf(page.body)
        .flatMap((form) => form.controls)
        .find((control) => control.name === "returnTo")?.value ?? "";
    return giveCode(
      server.baseUrl,
      sessionFrom(reply.setCookies) ?? "",
      "dsl@school.northbridge.example",
      DEMO_TOTP_KEY,
      returnTo,
    );
  }

  it("returns a person to the page they asked for", async () => {
    const reply = await signInWith("/cases?caseload=referred", "form");
    expect(reply.location).toBe(
      `/sign-in/second-factor?returnTo=${encodeURIComponent("/cases?caseload=referred")}`,
    );
    expect((await throughSecondFactor(reply)).location).toBe("/cases?caseload=referred");
  });

  it("is carried from a page behind sign-in to the sign-in form", async () => {
    const asked = await request(server.baseUrl, { path: "/referrals/new" });
    expect(asked.location).toBe("/sign-in?returnTo=%2Freferrals%2Fnew");
    const reply = await signInWith("/referrals/new", "page");
    expect((await throughSecondFactor(reply)).location).toBe("/referrals/new");
  });
});

/** Send a body of `size` bytes, in one piece with its length or chunked without one. */
function post(
  path: string,
  body: Buffer,
  options: { chunked: boolean; cookie?: string },
): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const url = new URL(path, server.baseUrl);
    const outgoing = http.request(url, {
      method: "POST",
      agent: false,
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Sec-Fetch-Site": "same-origin",
        ...(options.chunked
          ? { "Transfer-Encoding": "chunked" }
          : { "Content-Length": body.length }),
        ...(options.cookie ? { Cookie: `crosswalk_session=${options.cookie}` } : {}),
      },
    });
    outgoing.on("error", (error) => resolve({ error: error.message }));
    outgoing.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", (error) => resolve({ error: error.message }));
    });
    if (options.chunked) {
      for (let at = 0; at < body.length; at += 64 * 1024)
        outgoing.write(body.subarray(at, at + 64 * 1024));
      outgoing.end();
    } else {
      outgoing.end(body);
    }
  });
}

const ONE_MEGABYTE = 1024 * 1024;
const marker = "overlong";
const bigForm = (field: string) =>
  Buffer.from(`${field}=${marker}${"x".repeat(ONE_MEGABYTE)}&password=whatever`, "latin1");

describe("request bodies", () => {
  it.each([
    ["with its length", false],
    ["chunked, without a length", true],
  ] as const)(
    "a 1 MB anonymous sign-in post, %s, is a 413 that echoes none of it",
    async (_name, chunked) => {
      const reply = await post("/sign-in", bigForm("email"), { chunked });
      expect("status" in reply ? reply.status : reply.error).toBe(413);
      if ("text" in reply) expect(reply.text).not.toContain(marker);
    },
  );

  it("a 1 MB post to a signed-in form is a 413 too", async () => {
    const cookie = await signIn(server.baseUrl, "lead@northbridge.example", DEMO_PASSWORD);
    const reply = await post("/referrals/new", bigForm("concern"), { chunked: false, cookie });
    expect("status" in reply ? reply.status : reply.error).toBe(413);
  });

  it("a 413 is a GOV.UK page", async () => {
    const reply = await request(server.baseUrl, { path: "/sign-in", body: bigForm("email") });
    expect(reply.status).toBe(413);
    expect(govukPageProblems(reply)).toEqual([]);
    expect(reply.body).not.toContain(marker);
  });

  it("a 100,000-character address is refused without a server error, and the server carries on", async () => {
    const reply = await request(server.baseUrl, {
      path: `/cases?theme=${"x".repeat(100_000)}`,
    }).catch((error: Error) => ({ status: 0, error: error.message }));
    expect(
      reply.status === 0 || (reply.status >= 400 && reply.status < 500),
      `status ${reply.status}`,
    ).toBe(true);
    const health = await request(server.baseUrl, { path: "/healthz" });
    expect(health.status).toBe(200);
  });
});
