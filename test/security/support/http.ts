import http from "node:http";

/** A form's fields in the order sent; a name may repeat. */
export type FormFields = readonly (readonly [string, string])[];

/** One complete HTTP response. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The Location header of a redirect, as sent. */
  location: string | null;
  /** Every Set-Cookie header. */
  setCookies: string[];
  /** The server's X-Request-Id: the access log's events carry it. */
  requestId: string | null;
}

export interface RequestOptions {
  method?: string;
  /** The path and query, sent exactly as given (already encoded). */
  path: string;
  /** The session cookie's value (crosswalk_session=…). */
  cookie?: string | null;
  form?: FormFields;
  /** A body sent as given instead of a form. */
  body?: string | Buffer;
  contentType?: string;
  /**
   * Send `Sec-Fetch-Site: same-origin`, as a browser does for a form on one of our pages. On by
   * default for every method but GET and HEAD; the CSRF tests turn it off.
   */
  sameOrigin?: boolean;
  headers?: Record<string, string>;
}

// Keep-alive: the suite makes thousands of requests, and two cores should not spend them on handshakes.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Make one request and read the whole response. Redirects are not followed. */
export function request(baseUrl: string, options: RequestOptions): Promise<Reply> {
  const method = options.method ?? (options.form || options.body ? "POST" : "GET");
  const body =
    options.body ?? (options.form ? Buffer.from(encodeForm(options.form), "latin1") : undefined);
  const headers: Record<string, string | number> = {};
  if (body !== undefined) {
    headers["Content-Type"] = options.contentType ?? "application/x-www-form-urlencoded";
    headers["Content-Length"] = Buffer.byteLength(body);
  }
  const safe = method === "GET" || method === "HEAD";
  if (options.sameOrigin ?? !safe) headers["Sec-Fetch-Site"] = "same-origin";
  if (options.cookie) headers.Cookie = `crosswalk_session=${options.cookie}`;
  Object.assign(headers, options.headers);
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        // Sent as given: tests need paths that URL parsing would normalise.
        path: options.path,
        headers,
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const setCookie = response.headers["set-cookie"];
          const requestId = response.headers["x-request-id"];
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            location: response.headers.location ?? null,
            setCookies: setCookie ?? [],
            requestId: typeof requestId === "string" ? requestId : null,
          });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.setTimeout(60_000, () =>
      outgoing.destroy(new Error(`${method} ${options.path} timed out`)),
    );
    outgoing.end(body);
  });
}

/**
 * application/x-www-form-urlencoded, byte by byte, as a client may really send it: a lone
 * surrogate goes as its WTF-8 bytes (which are not valid UTF-8), which URLSearchParams would have
 * quietly replaced with U+FFFD before the server ever saw it. Returns a string of ASCII.
 */
export function encodeForm(fields: FormFields): string {
  return fields.map(([name, value]) => `${encodeValue(name)}=${encodeValue(value)}`).join("&");
}

/** Percent-encode for a query string or form body, lone surrogates included (see encodeForm). */
export function encodeValue(value: string): string {
  let out = "";
  for (const byte of wtf8(value)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9*\-._]/.test(char)) out += char;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A query string of these fields, with its leading "?" (empty for none). */
export function queryOf(fields: FormFields): string {
  return fields.length === 0 ? "" : `?${encodeForm(fields)}`;
}

function wtf8(value: string): number[] {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index += 1) {
    let code = value.charCodeAt(index);
    const next = value.charCodeAt(index + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      index += 1;
    }
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000)
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
  }
  return bytes;
}

/** The session id a Set-Cookie header sets, or null. */
export function sessionFrom(setCookies: readonly string[]): string | null {
  for (const header of setCookies) {
    const match = /^(?:__Host-)?crosswalk_session=([^;]*)/.exec(header);
    if (match?.[1]) return match[1];
  }
  return null;
}
