import { stringify } from "csv-stringify/sync";

/**
 * A CSV download: a header row and one row per record, quoted by csv-stringify. A cell that a
 * spreadsheet would run as a formula (starting with =, +, - or @, or a tab or carriage return) is
 * prefixed with an apostrophe, as OWASP advises for CSV injection. The response is never cached.
 */
export function csvResponse(
  filename: string,
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
): Response {
  const body = stringify([header.map(neutralise), ...rows.map((row) => row.map(neutralise))], {
    record_delimiter: "\r\n",
    // A bare newline inside a cell must be quoted too, or a reader splits the row there.
    quoted_match: /[\r\n]/,
  });
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "-")}"`,
      "Cache-Control": "no-store",
    },
  });
}

/** One cell as text a spreadsheet shows and never evaluates. */
export function neutralise(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) && typeof value !== "number" ? `'${text}` : text;
}
