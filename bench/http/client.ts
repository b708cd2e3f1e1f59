import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";

/** One whole HTTP answer, redirects not followed. */
export interface Reply {
  status: number;
  location: string | null;
  setCookies: string[];
  body: string;
  bytes: number;
}

/** A request as the benchmark sends it (and autocannon after it): same method, headers, body. */
export interface PageRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * The headers a browser sends with a signed-in person's request: the session cookie and, for a
 * form, its type and the page's own origin (the same-origin check refuses a form without it).
 */
export function browserHeaders(
  baseUrl: string,
  cookie: string | null,
  form: boolean,
): Record<string, string> {
  const headers: Record<string, string> = { "user-agent": "crosswalk-bench-http" };
  if (cookie) headers.cookie = `crosswalk_session=${cookie}`;
  if (form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers.origin = new URL(baseUrl).origin;
  }
  return headers;
}

export async function send(baseUrl: string, request: PageRequest): Promise<Reply> {
  const response = await fetch(new URL(request.path, baseUrl), {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
  });
  const buffer = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    location: response.headers.get("location"),
    setCookies: response.headers.getSetCookie(),
    body: buffer.toString("utf8"),
    bytes: buffer.length,
  };
}

function sessionCookie(setCookies: string[]): string | null {
  for (const header of setCookies) {
    const match = /^crosswalk_session=([^;]*)/.exec(header);
    if (match?.[1]) return match[1];
  }
  return null;
}

export interface Account {
  email: string;
  password: string;
  /** The authenticator key, base32 as an app takes it. */
  totpKey: string;
}

const PERIOD_MS = 30_000;

/**
 * The time steps whose codes this machine has already given, per database and account: Crosswalk
 * accepts each code once, and a run that starts soon after another must not give the same one.
 */
function ledgerFile(): string {
  return path.join(os.tmpdir(), "crosswalk-bench-http-totp.json");
}

function readLedger(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(ledgerFile(), "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

async function unusedStep(ledgerKey: string): Promise<number> {
  const last = readLedger()[ledgerKey] ?? null;
  const now = Math.floor(Date.now() / PERIOD_MS);
  const step = Math.max(now, last === null ? now : last + 1);
  // The server takes one step either side of its clock: wait until this one is within that.
  while (step > Math.floor(Date.now() / PERIOD_MS) + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  fs.writeFileSync(ledgerFile(), JSON.stringify({ ...readLedger(), [ledgerKey]: step }));
  return step;
}

/** Sign in as a browser does (the password, then an authenticator code): the session cookie. */
export async function signIn(baseUrl: string, account: Account, dataDir: string): Promise<string> {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const half = await send(baseUrl, {
    method: "POST",
    path: "/sign-in",
    headers: browserHeaders(baseUrl, null, true),
    body: form({ email: account.email, password: account.password }),
  });
  const halfCookie = sessionCookie(half.setCookies);
  if (half.status !== 302 || !halfCookie) {
    throw new Error(
      `could not sign in as ${account.email}: the password was answered ${half.status}`,
    );
  }
  const key = Buffer.from(decodeBase32IgnorePadding(account.totpKey.replace(/\s+/g, "")));
  const step = await unusedStep(`${dataDir} ${account.email}`);
  const whole = await send(baseUrl, {
    method: "POST",
    path: "/sign-in/second-factor",
    headers: browserHeaders(baseUrl, halfCookie, true),
    body: form({ method: "totp", code: generateHOTP(key, BigInt(step), 6), returnTo: "" }),
  });
  const cookie = sessionCookie(whole.setCookies);
  if (whole.status !== 302 || !cookie) {
    throw new Error(`${account.email}'s authenticator code was refused (${whole.status})`);
  }
  return cookie;
}
