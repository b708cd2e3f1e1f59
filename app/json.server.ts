/**
 * Answers of the endpoints that Crosswalk's own pages call from script (the passkey ceremonies):
 * they take a form, as every other route does, and answer JSON that no cache may keep.
 */

/** A JSON answer, never stored. */
export function jsonAnswer(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}
