import { randomUUID } from "node:crypto";
import pg from "pg";
import type { BenchDatabase } from "./database";

/**
 * "The same SQL as the application": what PostgreSQL itself logged while the application served
 * one request, read back with its bind parameters and replayed by the baseline.
 *
 * Method: `log_statement = 'all'` is set for the application's role in the benchmark database
 * (`alter role crosswalk_app in database … set`, so only new connections of that role log), a
 * separate application process is started for the capture only, and each capture is bracketed by
 * two marker statements from a connection of the same role. Every statement logged between the
 * markers by another backend belongs to the request: `execute <unnamed>: …` with the
 * `DETAIL:  Parameters: $1 = '…'` line after it, or `statement: …` for BEGIN, COMMIT and
 * parameterless queries. Statements are kept grouped by the transaction that ran them (a lone
 * statement is a group of its own), in the order each began. The
 * setting is reset, and the capture process stopped, before anything is measured.
 *
 * Each scenario is captured twice: a parameter that differs between the two (an event's id, the
 * request id, a timestamp) is made afresh for every replay; one that does not is replayed as it was.
 */

export type CapturedParam = string | null;

export interface CapturedStatement {
  text: string;
  params: CapturedParam[];
}

/** A parameter replayed as captured, or made anew for each replay. */
export type ReplayParam =
  CapturedParam | { fresh: "uuid" | "timestamp" | "first"; first: string | null };

export interface ReplayStatement {
  text: string;
  params: ReplayParam[];
}

/** The statements one backend ran for the request, in order. */
export type StatementGroup = CapturedStatement[];

const ENTRY =
  /^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL|ERROR|WARNING|NOTICE|STATEMENT|HINT|CONTEXT|FATAL): {2}(.*)$/;
const EXECUTE = /^execute [^:]*: ([\s\S]*)$/;
const SIMPLE = /^statement: ([\s\S]*)$/;
const PARAM = /\$(\d+) = (NULL|'((?:[^']|'')*)')/g;

interface LogEntry {
  pid: number;
  kind: string;
  text: string;
}

/** Join continuation lines (which start with a tab) to the entry they belong to. */
function entriesOf(lines: string[]): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of lines) {
    const match = ENTRY.exec(line);
    if (match) {
      entries.push({ pid: Number(match[1]), kind: match[2] ?? "", text: match[3] ?? "" });
    } else {
      const last = entries.at(-1);
      if (last) last.text += `\n${line.replace(/^\t/, "")}`;
    }
  }
  return entries;
}

/**
 * The statements in a stretch of the log, as the transactions (or lone statements) that ran
 * them, in the order each began; `exclude` is the marker's backend.
 */
export function statementsIn(lines: string[], exclude: number): StatementGroup[] {
  const groups: StatementGroup[] = [];
  // Each backend's open transaction, while it is open.
  const open = new Map<number, StatementGroup>();
  let last: CapturedStatement | null = null;
  for (const entry of entriesOf(lines)) {
    if (entry.pid === exclude) continue;
    if (entry.kind === "LOG") {
      const sqlText = EXECUTE.exec(entry.text)?.[1] ?? SIMPLE.exec(entry.text)?.[1];
      if (sqlText === undefined) {
        last = null;
        continue;
      }
      last = { text: sqlText, params: [] };
      const command = sqlText.trim().toLowerCase();
      let group = open.get(entry.pid);
      if (!group) {
        group = [];
        groups.push(group);
        if (command === "begin" || command.startsWith("begin ")) open.set(entry.pid, group);
      }
      group.push(last);
      if (command === "commit" || command === "rollback") open.delete(entry.pid);
    } else if (entry.kind === "DETAIL" && last && entry.text.startsWith("Parameters: ")) {
      const params: CapturedParam[] = [];
      for (const match of entry.text.matchAll(PARAM)) {
        params[Number(match[1]) - 1] =
          match[2] === "NULL" ? null : (match[3] ?? "").replaceAll("''", "'");
      }
      last.params = params;
    } else if (entry.kind === "ERROR") {
      throw new Error(`a statement failed while the request was captured: ${entry.text}`);
    }
  }
  return groups;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/;

/** The shape of a transaction: its statements' text, to tell two captures' transactions alike. */
function shapeOf(group: StatementGroup): string {
  return group.map((statement) => statement.text).join("\u0001");
}

/**
 * Two captures of the same request made into one replay: parameters that differ are made afresh.
 * Transactions that ran side by side (loaders run in parallel) may begin in either order, so each
 * of the first capture's is paired with one of the same statements in the second. Null when the
 * two ran different statements (a background job's query got in, or the request took another
 * path): the caller captures again.
 */
export function replayOf(
  first: StatementGroup[],
  second: StatementGroup[],
): ReplayStatement[][] | null {
  if (first.length !== second.length) return null;
  const unpaired = [...second];
  const replay: ReplayStatement[][] = [];
  for (const group of first) {
    const at = unpaired.findIndex((other) => shapeOf(other) === shapeOf(group));
    const pair = unpaired[at];
    if (!pair) return null;
    unpaired.splice(at, 1);
    replay.push(
      group.map((statement, s) => ({
        text: statement.text,
        params: statement.params.map((value, p): ReplayParam => {
          const other = pair[s]?.params[p] ?? null;
          if (other === value || value === null) return value;
          if (UUID.test(value)) return { fresh: "uuid", first: value };
          if (TIMESTAMP.test(value)) return { fresh: "timestamp", first: value };
          return { fresh: "first", first: value };
        }),
      })),
    );
  }
  return replay;
}

/**
 * The parameters of one statement of a replay, fresh ones made now. `made` is the replay's own:
 * a value made afresh once (a new note's id) is the same in every statement that used it.
 */
export function paramsFor(statement: ReplayStatement, made: Map<string, string>): CapturedParam[] {
  return statement.params.map((param) => {
    if (param === null || typeof param === "string") return param;
    if (param.fresh === "first" || param.first === null) return param.first;
    let value = made.get(param.first);
    if (value === undefined) {
      value = param.fresh === "uuid" ? randomUUID() : new Date().toISOString();
      made.set(param.first, value);
    }
    return value;
  });
}

function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

/**
 * Turn statement logging on for the application's role (new connections only), and off again.
 * The database is the application's: its name is the last part of the app URL.
 */
export async function setStatementLogging(database: BenchDatabase, on: boolean): Promise<void> {
  const name = new URL(database.appUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: databaseUrl(database.superuserUrl, name) });
  await client.connect();
  try {
    await client.query(
      on
        ? `alter role crosswalk_app in database ${pg.escapeIdentifier(name)} set log_statement = 'all'`
        : `alter role crosswalk_app in database ${pg.escapeIdentifier(name)} reset log_statement`,
    );
  } finally {
    await client.end();
  }
}

/**
 * Capture the statements the application runs for `request()`: markers from a connection of the
 * application's role before and after, and the log between them.
 */
export async function captureStatements(
  database: BenchDatabase,
  request: () => Promise<unknown>,
): Promise<StatementGroup[]> {
  const marker = new pg.Client({ connectionString: database.appUrl });
  await marker.connect();
  const lines: string[] = [];
  const token = randomUUID();
  let ended: () => void = () => undefined;
  const endSeen = new Promise<void>((resolve) => (ended = resolve));
  let capturing = false;
  database.onLogLine((line) => {
    if (line.includes(`crosswalk-bench-begin-${token}`)) capturing = true;
    else if (line.includes(`crosswalk-bench-end-${token}`)) ended();
    else if (capturing) lines.push(line);
  });
  try {
    const pid =
      (await marker.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid ?? 0;
    await marker.query(`select 'crosswalk-bench-begin-${token}'`);
    await request();
    await marker.query(`select 'crosswalk-bench-end-${token}'`);
    // The log reaches this process through a pipe: everything before the end marker has arrived
    // once the marker has.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the statement log did not arrive")), 10_000).unref(),
    );
    await Promise.race([endSeen, timeout]);
    return statementsIn(lines, pid);
  } finally {
    database.onLogLine(null);
    await marker.end();
  }
}
