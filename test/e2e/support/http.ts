import http from "node:http";

/** What became of one HTTP request: a complete response, or the error that ended it. */
export type Outcome =
  | { kind: "response"; status: number; headers: http.IncomingHttpHeaders; body: string }
  | { kind: "failed"; error: string };

export interface SentRequest {
  description: string;
  /** Settles once the whole request has been handed to a connected socket. */
  written: Promise<void>;
  /** Settles when the response's status line and headers have arrived. */
  answered: Promise<void>;
  isAnswered(): boolean;
  outcome: Promise<Outcome>;
}

/**
 * Send one request on its own connection (no keep-alive pool, so no request can be written to a
 * socket the server has already closed) and report exactly how it ended.
 */
export function send(
  baseUrl: string,
  request: {
    method: "GET" | "POST";
    path: string;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  },
): SentRequest {
  const body = request.form ? new URLSearchParams(request.form).toString() : undefined;
  const description = `${request.method} ${request.path}${request.form?.email ? ` as ${request.form.email}` : ""}`;
  let markWritten!: () => void;
  let markAnswered!: () => void;
  let answered = false;
  const written = new Promise<void>((resolve) => (markWritten = resolve));
  const answeredPromise = new Promise<void>((resolve) => (markAnswered = resolve));

  const outcome = new Promise<Outcome>((resolve) => {
    const fail = (error: Error) =>
      resolve({
        kind: "failed",
        error: `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`,
      });
    const outgoing = http.request(new URL(request.path, baseUrl), {
      method: request.method,
      agent: false,
      headers: {
        ...(body
          ? {
              "Content-Type": "application/x-www-form-urlencoded",
              "Content-Length": Buffer.byteLength(body),
            }
          : {}),
        ...request.headers,
      },
    });
    outgoing.on("error", fail);
    outgoing.on("finish", () => markWritten());
    outgoing.on("response", (response) => {
      answered = true;
      markAnswered();
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", fail);
      response.on("aborted", () => fail(new Error("response aborted")));
      response.on("end", () => {
        if (!response.complete) return fail(new Error("response ended before it was complete"));
        resolve({
          kind: "response",
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    outgoing.end(body);
  });
  // A request that fails before it is written or answered must not leave those promises hanging.
  void outcome.then(() => {
    markWritten();
    markAnswered();
  });
  return { description, written, answered: answeredPromise, isAnswered: () => answered, outcome };
}

/** A wrong-password sign-in for an email no account has, as a page of this site would post it. */
export function wrongSignIn(baseUrl: string, email: string): SentRequest {
  return send(baseUrl, {
    method: "POST",
    path: "/sign-in",
    form: { email, password: "not-anyones-password" },
    // Passes the server's same-origin check the way an older browser without Sec-Fetch-Site would.
    headers: { Origin: baseUrl },
  });
}

/** The status of GET path, or the connection error that prevented one. */
export async function statusOf(baseUrl: string, path: string): Promise<number | string> {
  const result = await send(baseUrl, { method: "GET", path }).outcome;
  return result.kind === "response" ? result.status : result.error;
}
