import { AsyncLocalStorage } from "node:async_hooks";
import pino, { type Logger } from "pino";

interface RequestScope {
  requestId: string;
}

/** The request being served, so every log line written while serving it carries its id. */
export const requestScope = new AsyncLocalStorage<RequestScope>();

/**
 * Structured JSON logs. They carry request ids, routes without query strings, status codes and
 * timings: never personal data, passwords, cookies or session tokens. Headers and bodies are not
 * logged at all, and the redaction list is a second net for fields that should never appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "crosswalk" },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const scope = requestScope.getStore();
        return scope ? { requestId: scope.requestId } : {};
      },
      redact: {
        paths: [
          "password",
          "*.password",
          "cookie",
          "*.cookie",
          "authorization",
          "*.authorization",
          "email",
          "*.email",
          "token",
          "*.token",
        ],
        censor: "[redacted]",
      },
      serializers: { err: serializeError },
    },
    // Standard output written asynchronously: a line per request written synchronously held the
    // event loop for every request under load. Lines still buffered are flushed at exit.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Errors are logged by name, code and stack. PostgreSQL's `detail` (which can quote the values of
 * a row) and any attached request are left out.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: "non-error thrown", type: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    stack: error.stack,
  };
}
