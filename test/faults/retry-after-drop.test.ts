import { randomUUID } from "node:crypto";
import net from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { send } from "../e2e/support/http";
import { formsOf } from "../security/support/pages";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, removeDataDir, startHost, type FaultHost } from "./support/host";
import { formHeaders, noteForm, notePath, printFigures, type NoteTarget } from "./support/notes";
import { endQuietly, postmasterOf, superuserClient, waitFor } from "./support/postgres";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

let host: FaultHost;
let target: NoteTarget;
let dataDir: string;
let port: number;

beforeAll(async () => {
  dataDir = await copyDataDir(world.templateDir);
  cleanup.add(() => removeDataDir(dataDir));
  // Long enough lock waits for a request to be held while its connection is dropped.
  host = await startHost({
    appDir: world.appDir,
    dataDir,
    env: { DB_STATEMENT_TIMEOUT_MS: "30000", DB_LOCK_TIMEOUT_MS: "20000" },
  });
  cleanup.add(() => host.stop());
  target = { baseUrl: host.baseUrl, cookie: world.cookie, referralId: world.referralId };
  port = (await postmasterOf(dataDir))?.port ?? 0;
});

/** The submissionId the add-a-note form carries when its page is served, or null. */
async function submissionIdOfForm(): Promise<string | null> {
  const outcome = await send(target.baseUrl, {
    method: "GET",
    path: notePath(target),
    headers: { Cookie: `crosswalk_session=${target.cookie}` },
  }).outcome;
  if (outcome.kind !== "response") return null;
  const form = formsOf(outcome.body).find(
    (found) => found.method === "post" && found.action === notePath(target),
  );
  return form?.controls.find((control) => control.name === "submissionId")?.value ?? null;
}

/** Hold every write to case_notes until released. */
async function lockNotes(): Promise<{ client: pg.Client; release(): Promise<void> }> {
  const client = await superuserClient(dataDir, port);
  cleanup.add(() => endQuietly(client));
  await client.query("begin");
  await client.query("lock table case_notes in access exclusive mode");
  return { client, release: () => client.query("rollback").then(() => undefined) };
}

/** Whether a request of the application waits for a lock (it is inside its transaction). */
async function applicationWaitsForLock(client: pg.Client): Promise<boolean> {
  const waiting = await client.query(
    "select 1 from pg_stat_activity where usename = 'crosswalk_app' and wait_event_type = 'Lock'",
  );
  return (waiting.rowCount ?? 0) > 0;
}

/**
 * Send a form on a raw connection and drop the connection once `dropWhen` holds, before any
 * answer: what a browser does when the network fails after sending. Resolves with whatever bytes
 * of an answer had arrived (none, for the test to mean anything).
 */
async function sendAndDrop(
  fields: Record<string, string>,
  dropWhen: () => Promise<boolean>,
): Promise<string> {
  const body = new URLSearchParams(fields).toString();
  const headers = {
    Host: new URL(target.baseUrl).host,
    ...formHeaders(target),
    "Content-Type": "application/x-www-form-urlencoded",
    "Content-Length": String(Buffer.byteLength(body)),
    Connection: "close",
  };
  const socket = net.connect(Number(new URL(target.baseUrl).port), "127.0.0.1");
  let answered = "";
  socket.on("data", (chunk: Buffer) => (answered += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  socket.write(
    `POST ${notePath(target)} HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n${body}`,
  );
  await waitFor(dropWhen, 10_000);
  socket.destroy();
  return answered;
}

async function notesWithBody(body: string): Promise<number> {
  const client = await superuserClient(dataDir, port);
  try {
    const found = await client.query("select id from case_notes where body = $1", [body]);
    return found.rowCount ?? 0;
  } finally {
    await endQuietly(client);
  }
}

describe("a note sent again with the same submissionId after its answer was lost", () => {
  test("the add-a-note form carries a one-time submissionId", async () => {
    const id = await submissionIdOfForm();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    expect(await submissionIdOfForm()).not.toBe(id);
  });

  test("dropped after sending, then sent again: one note is saved, and the second answer is a 303 to the case showing it", async () => {
    const submissionId = (await submissionIdOfForm()) ?? randomUUID();
    const body = `Spoke to his mum after school ${randomUUID()}`;
    const fields = noteForm(body, submissionId);

    const lock = await lockNotes();
    const before = await sendAndDrop(fields, () => applicationWaitsForLock(lock.client));
    await lock.release();
    // The dropped request goes on and saves: the person never saw that it did.
    const savedFirst = await waitFor(async () => (await notesWithBody(body)) > 0, 10_000);

    const again = await send(target.baseUrl, {
      method: "POST",
      path: notePath(target),
      form: fields,
      headers: formHeaders(target),
    }).outcome;
    const notes = await notesWithBody(body);
    const location =
      again.kind === "response" && typeof again.headers.location === "string"
        ? again.headers.location
        : null;
    const shown = location
      ? await send(target.baseUrl, {
          method: "GET",
          path: location,
          headers: { Cookie: `crosswalk_session=${target.cookie}` },
        }).outcome
      : null;
    printFigures("sent again after a dropped connection", {
      "answer before the drop": before.length,
      "saved by the dropped request": savedFirst,
      "second answer": again.kind === "response" ? again.status : again.error,
      "notes saved": notes,
    });

    expect(before, "an answer arrived before the connection was dropped").toBe("");
    expect(savedFirst, "the dropped request did not save its note").toBe(true);
    expect(notes, "notes saved with the text").toBe(1);
    expect(again.kind === "response" ? again.status : again.error).toBe(303);
    expect(location ?? "").toMatch(new RegExp(`^/referrals/${target.referralId}(?:[?#]|$)`));
    expect(shown?.kind === "response" ? shown.status : null).toBe(200);
    expect(shown?.kind === "response" && shown.body.includes(body)).toBe(true);
  });

  test("sent twice at once (a double click): one note is saved and both answers lead to the case", async () => {
    const submissionId = (await submissionIdOfForm()) ?? randomUUID();
    const body = `Home visit, nobody in ${randomUUID()}`;
    const fields = noteForm(body, submissionId);
    const lock = await lockNotes();
    const sendOnce = () =>
      send(target.baseUrl, {
        method: "POST",
        path: notePath(target),
        form: fields,
        headers: formHeaders(target),
      }).outcome;
    const first = sendOnce();
    await waitFor(() => applicationWaitsForLock(lock.client), 10_000);
    const second = sendOnce();
    await lock.release();
    const answers = await Promise.all([first, second]);
    const notes = await notesWithBody(body);
    printFigures("sent twice at once", {
      answers: answers.map((answer) => (answer.kind === "response" ? answer.status : answer.error)),
      "notes saved": notes,
    });

    expect(notes).toBe(1);
    // Whichever came first is answered as any saved note is; the other as a form already saved.
    for (const answer of answers) {
      expect([302, 303]).toContain(answer.kind === "response" ? answer.status : answer.error);
      expect(answer.kind === "response" ? String(answer.headers.location) : "").toMatch(
        new RegExp(`^/referrals/${target.referralId}(?:[?#]|$)`),
      );
    }
  });
});
