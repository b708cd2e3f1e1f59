import { randomUUID } from "node:crypto";
import type pg from "pg";
import { dateAnswerOf } from "../../../app/ui/date-input";
import { todayInLondon } from "../../../app/ui/dates";
import { send, type SentRequest } from "../../e2e/support/http";

/** Where notes are written: a server, the signed-in session's cookie and an open referral. */
export interface NoteTarget {
  baseUrl: string;
  /** The session cookie's value. */
  cookie: string;
  referralId: string;
}

/** One note POST and how it ended. */
export interface NoteWrite {
  body: string;
  submissionId: string;
  /** The status answered, or null when no complete answer came (the connection failed). */
  status: number | null;
  location: string | null;
  error: string | null;
  /** When the answer (or the failure) came, in milliseconds since the epoch. */
  endedAt: number;
}

/** The fields of the add-a-note form as a person fills it in. */
export function noteForm(body: string, submissionId: string): Record<string, string> {
  const { day, month, year } = dateAnswerOf(todayInLondon());
  return {
    kind: "contact_phone",
    "occurredOn-day": day,
    "occurredOn-month": month,
    "occurredOn-year": year,
    body,
    visibility: "shared",
    submissionId,
  };
}

/** Headers a browser sends with a form of the site, signed in. */
export function formHeaders(target: NoteTarget): Record<string, string> {
  return {
    Cookie: `crosswalk_session=${target.cookie}`,
    "Sec-Fetch-Site": "same-origin",
    Origin: target.baseUrl,
  };
}

export function notePath(target: NoteTarget): string {
  return `/referrals/${target.referralId}/notes/new`;
}

/** Send one note on its own connection. */
export function postNote(target: NoteTarget, body: string, submissionId: string): SentRequest {
  return send(target.baseUrl, {
    method: "POST",
    path: notePath(target),
    form: noteForm(body, submissionId),
    headers: formHeaders(target),
  });
}

/** GET a page as the signed-in person: its status, or the connection error that prevented one. */
export async function pageStatus(target: NoteTarget, path: string): Promise<number | string> {
  const outcome = await send(target.baseUrl, {
    method: "GET",
    path,
    headers: { Cookie: `crosswalk_session=${target.cookie}` },
  }).outcome;
  return outcome.kind === "response" ? outcome.status : outcome.error;
}

/** Whether the server said the note was saved: a redirect (303) to the case it was added to. */
export function isAcknowledged(write: NoteWrite, target: NoteTarget): boolean {
  return (
    write.status !== null &&
    [302, 303].includes(write.status) &&
    (write.location ?? "").startsWith(`/referrals/${target.referralId}`)
  );
}

/** Send one note and record how it ended. */
export async function writeNote(target: NoteTarget, body: string): Promise<NoteWrite> {
  const submissionId = randomUUID();
  const outcome = await postNote(target, body, submissionId).outcome;
  if (outcome.kind === "failed")
    return {
      body,
      submissionId,
      status: null,
      location: null,
      error: outcome.error,
      endedAt: Date.now(),
    };
  const location = outcome.headers.location;
  return {
    body,
    submissionId,
    status: outcome.status,
    location: typeof location === "string" ? location : null,
    error: null,
    endedAt: Date.now(),
  };
}

/** Writers sending notes while a fault is tried. */
export interface NoteWriters {
  /** Every write that has ended so far, in the order they ended. */
  writes: NoteWrite[];
  acknowledged(): number;
  /** Stop sending (each writer finishes the note it is sending) and return every write. */
  stop(): Promise<NoteWrite[]>;
}

/**
 * `workers` writers, each sending notes with unique text one after another until stopped (or
 * `maxPerWorker` each). A writer whose note was not answered with a redirect pauses 100 ms
 * before the next, so a server that is down is not sent thousands of requests a second.
 */
export function startWriters(
  target: NoteTarget,
  options: {
    workers: number;
    /** Begins every note's text, so this burst's notes can be found. */
    tag: string;
    maxPerWorker?: number;
  },
): NoteWriters {
  const writes: NoteWrite[] = [];
  const maxPerWorker = options.maxPerWorker ?? 400;
  let writing = true;
  const finished = Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      for (let index = 0; index < maxPerWorker && writing; index += 1) {
        const write = await writeNote(
          target,
          `${options.tag} writer ${worker} note ${index} ${randomUUID()}`,
        );
        writes.push(write);
        if (!isAcknowledged(write, target))
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
  return {
    writes,
    acknowledged: () => writes.filter((write) => isAcknowledged(write, target)).length,
    stop: async () => {
      writing = false;
      await finished;
      return writes;
    },
  };
}

/** What a burst of note writes left in the database. */
export interface NoteTally {
  attempted: number;
  acknowledged: number;
  /** This burst's notes in the database. */
  found: number;
  /** Notes whose text is saved more than once. */
  duplicates: number;
  /**
   * A note without its access-log event, or an event of an added note naming a note that is not
   * there (in the whole database, not only this burst).
   */
  orphans: number;
  /** Acknowledged notes that are not in the database: the one figure that must never be above 0. */
  lost: number;
  /** Notes saved whose answer never arrived (the connection died after the commit). */
  savedUnanswered: number;
  /** Every answer's status (or "failed"), counted. */
  answers: Record<string, number>;
}

/** Compare what the writers were told with what the database holds (read as a superuser). */
export async function tallyNotes(
  client: pg.Client,
  writes: readonly NoteWrite[],
  target: NoteTarget,
  tag: string,
): Promise<NoteTally> {
  const notes = await client.query<{ id: string; body: string }>(
    "select id, body from case_notes where left(body, length($1)) = $1",
    [tag],
  );
  const events = await client.query<{ record_id: string; events: string }>(
    `select record_id, count(*) as events from audit_events
      where action = 'note.add' and outcome = 'allowed' and record_id = any($1::uuid[])
      group by record_id`,
    [notes.rows.map((note) => note.id)],
  );
  const dangling = await client.query<{ events: string }>(
    `select count(*) as events from audit_events event
      where event.action = 'note.add' and event.outcome = 'allowed'
        and not exists (select 1 from case_notes note where note.id = event.record_id)`,
  );
  const eventsOf = new Map(events.rows.map((row) => [row.record_id, Number(row.events)]));
  const copies = new Map<string, number>();
  for (const note of notes.rows) copies.set(note.body, (copies.get(note.body) ?? 0) + 1);

  const acknowledged = writes.filter((write) => isAcknowledged(write, target));
  const answers: Record<string, number> = {};
  for (const write of writes) {
    const key = write.status === null ? "failed" : String(write.status);
    answers[key] = (answers[key] ?? 0) + 1;
  }
  return {
    attempted: writes.length,
    acknowledged: acknowledged.length,
    found: notes.rows.length,
    duplicates: [...copies.values()].filter((count) => count > 1).length,
    orphans:
      notes.rows.filter((note) => eventsOf.get(note.id) !== 1).length +
      Number(dangling.rows[0]?.events ?? 0),
    lost: acknowledged.filter((write) => !copies.has(write.body)).length,
    savedUnanswered: writes.filter((write) => write.status === null && copies.has(write.body))
      .length,
    answers,
  };
}

/** One line of figures for a scenario, printed for docs/RELIABILITY.md. */
export function printFigures(scenario: string, figures: Record<string, unknown>): void {
  const parts = Object.entries(figures).map(
    ([name, value]) =>
      `${name} ${typeof value === "object" && value !== null ? JSON.stringify(value) : String(value as string | number)}`,
  );
  process.stdout.write(`fault figures | ${scenario} | ${parts.join(" | ")}\n`);
}
