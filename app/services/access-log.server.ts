import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type SqlBool,
  type Transaction,
} from "kysely";
import type { Database } from "../../db/types";
import { RULES, ROLE_DESCRIPTIONS, describeRule, isRole } from "../../policies";
import {
  ACCESS_LOG_FILTERS,
  REFERENCE_PATTERN,
  actionLabel,
  type AccessLogQuery,
  type AccessLogView,
} from "./access-log-vocabulary";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import type { ServiceContext } from "./context.server";
import { inActorReadTransaction, type ReadingContext } from "./read-replica.server";
import { RecordNotFound } from "./errors";
import { referralReference } from "./referral-access.server";

/**
 * The auditor's reading of the access log: searches by person, agency, young person, record,
 * action, outcome, emergency access and date; a young person's access history; a person's
 * activity; CSV exports. Auditors see who did what to which record, when and why, by name and
 * reference, never case narratives: nothing here selects a narrative column. Every reading is
 * itself recorded, with what was looked for and how many events it showed.
 */

export const PAGE_SIZE = 50;
/** A CSV export carries at most this many events; a larger search must be narrowed. */
export const EXPORT_LIMIT = 100_000;
/**
 * Counting stops here, so a broad search over millions of events stays quick: a count reads every
 * event it counts (across the monthly partitions, back to the first), so beyond this the page says
 * "more than" and the auditor narrows the search by date or person.
 */
export const COUNT_CAP = 1_000;

type Db = ExpressionBuilder<Database & { e: Database["audit_events"] }, "e">;

/** One event, as an auditor sees it. */
export interface LoggedEvent {
  id: string;
  occurredAt: Date;
  actor: { id: string; name: string; role: string } | null;
  agency: { id: string; name: string } | null;
  action: string;
  actionLabel: string;
  outcome: "allowed" | "refused";
  record: { type: string; id: string; label: string } | null;
  youngPerson: { id: string; name: string } | null;
  reason: string | null;
  /**
   * Why, in words: the reason or purpose the event gives, else the rule of access that allowed it
   * ("When their agency is involved in the case"), else null.
   */
  basis: string | null;
  emergencyAccessId: string | null;
  /** Non-narrative detail of the event (a rule, a transition, what was searched for). */
  details: Record<string, unknown> | null;
  requestId: string | null;
  clientAddress: string | null;
  /** The event's place in its partnership's hash chain, once sealed. */
  chainSeq: string | null;
}

/** The people, agencies and young person a search's filters name, for the page to show. */
export interface SearchSubjects {
  user: { id: string; name: string; role: string; agency: string; active: boolean } | null;
  agency: { id: string; name: string } | null;
  youngPerson: { id: string; name: string; dateOfBirth: string | null } | null;
}

export interface AccessLogPage {
  events: LoggedEvent[];
  /** How many events match, up to COUNT_CAP; `capped` when there are more. */
  total: { count: number; capped: boolean };
  /** The cursor for the next (older) page, or null on the last page. */
  next: string | null;
  subjects: SearchSubjects;
}

/** Search the log (one page, newest first) and record the search. */
export function searchAccessLog(
  ctx: ReadingContext,
  query: AccessLogQuery,
): Promise<AccessLogPage> {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.read");
    const subjects = await loadSubjects(trx, ctx, query);
    const filtered = matching(trx, ctx, query);
    const rows = await withNames(filtered)
      .$if(query.after !== undefined, (qb) => qb.where(afterCursor(query.after ?? "")))
      .orderBy("e.occurred_at", "desc")
      .orderBy("e.id", "desc")
      .limit(PAGE_SIZE + 1)
      .execute();
    // A first page that holds every match is its own count.
    const whole = query.after === undefined && rows.length <= PAGE_SIZE;
    const counted = whole
      ? { count: String(rows.length) }
      : await trx
          .selectFrom(
            matching(trx, ctx, query)
              .select(sql<number>`1`.as("one"))
              .limit(COUNT_CAP + 1)
              .as("capped"),
          )
          .select((eb) => eb.fn.countAll<string>().as("count"))
          .executeTakeFirstOrThrow();
    const events = rows.slice(0, PAGE_SIZE).map(toLoggedEvent);
    const last = rows.length > PAGE_SIZE ? rows[PAGE_SIZE - 1] : undefined;
    const count = Number(counted.count);
    await recordReading(trx, ctx, "search", query, {
      shown: events.length,
      firstEventId: events[0]?.id ?? null,
      lastEventId: events.at(-1)?.id ?? null,
    });
    return {
      events,
      total: { count: Math.min(count, COUNT_CAP), capped: count > COUNT_CAP },
      next: last ? `${last.occurred_at_text}_${last.id}` : null,
      subjects,
    };
  });
}

/** Every event a search matches, newest first, for a CSV file; the export is recorded. */
export function exportAccessLog(
  ctx: ReadingContext,
  query: AccessLogQuery,
): Promise<{ events: LoggedEvent[]; truncated: boolean }> {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.export");
    await loadSubjects(trx, ctx, query);
    const rows = await withNames(matching(trx, ctx, { ...query, after: undefined }))
      .orderBy("e.occurred_at", "desc")
      .orderBy("e.id", "desc")
      .limit(EXPORT_LIMIT + 1)
      .execute();
    const events = rows.slice(0, EXPORT_LIMIT).map(toLoggedEvent);
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "audit.export",
      outcome: "allowed",
      youngPersonId: query.youngPerson,
      details: { filters: filtersOf(query), rows: events.length },
    });
    return { events, truncated: rows.length > EXPORT_LIMIT };
  });
}

/** The young people whose names match, for an auditor choosing whose access history to read. */
export interface YoungPersonMatch {
  id: string;
  name: string;
  dateOfBirth: string | null;
  postcodeDistrict: string | null;
}

/**
 * Look up young people by name (given, family or known-as, in any order), to open their access
 * history. The name arrives in a form body, never a URL; it is recorded with the ids shown.
 */
export function lookUpYoungPeople(ctx: ReadingContext, name: string): Promise<YoungPersonMatch[]> {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.read");
    const words = name.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 4);
    const fullName = sql<string>`lower(yp.given_name || ' ' || yp.family_name || ' ' || coalesce(yp.known_as, ''))`;
    const rows = await trx
      .selectFrom("audit_young_people as yp")
      .select([
        "yp.id",
        "yp.given_name",
        "yp.family_name",
        "yp.date_of_birth",
        "yp.postcode_district",
      ])
      .where("yp.partnership_id", "=", ctx.actor.partnershipId)
      .where((eb) =>
        eb.or([
          eb.and(words.map((word) => eb(fullName, "like", `%${word.replace(/[\\%_]/g, "\\$&")}%`))),
          eb(sql<number>`similarity(${fullName}, ${words.join(" ")})`, ">", 0.35),
        ]),
      )
      .orderBy(sql`similarity(${fullName}, ${words.join(" ")})`, "desc")
      .orderBy("yp.family_name")
      .orderBy("yp.given_name")
      .limit(20)
      .execute();
    const matches = rows.map((row) => ({
      id: row.id,
      name: `${row.given_name} ${row.family_name}`,
      dateOfBirth: row.date_of_birth ? isoDate(row.date_of_birth) : null,
      postcodeDistrict: row.postcode_district,
    }));
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "audit.read",
      outcome: "allowed",
      details: {
        view: "young_person_lookup" satisfies AccessLogView,
        lookedFor: name,
        shown: matches.map((match) => match.id),
      },
    });
    return matches;
  });
}

/** The people and agencies of the partnership, for the search's choices (including former staff). */
export function searchChoices(ctx: ReadingContext) {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.read");
    const [users, agencies] = await Promise.all([
      trx
        .selectFrom("users as u")
        .innerJoin("agencies as a", "a.id", "u.agency_id")
        .select(["u.id", "u.display_name", "u.is_active", "a.name as agency"])
        .where("u.partnership_id", "=", ctx.actor.partnershipId)
        .orderBy("u.display_name")
        .execute(),
      trx
        .selectFrom("agencies")
        .select(["id", "name"])
        .where("partnership_id", "=", ctx.actor.partnershipId)
        .orderBy("name")
        .execute(),
    ]);
    return {
      users: users.map((user) => ({
        value: user.id,
        label: `${user.display_name} (${user.agency}${user.is_active ? "" : ", deactivated"})`,
      })),
      agencies: agencies.map((agency) => ({ value: agency.id, label: agency.name })),
    };
  });
}

/** The filters given, without the page cursor: what an event records about a search. */
export function filtersOf(query: AccessLogQuery): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const key of ACCESS_LOG_FILTERS) {
    const value = query[key];
    if (value !== undefined) filters[key] = value;
  }
  return filters;
}

async function recordReading(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  view: AccessLogView,
  query: AccessLogQuery,
  shown: Record<string, unknown>,
): Promise<void> {
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "audit.read",
    outcome: "allowed",
    youngPersonId: query.youngPerson,
    details: {
      view,
      filters: filtersOf(query),
      ...(query.after ? { after: query.after } : {}),
      ...shown,
    },
  });
}

/** The user, agency and young person a search names; a missing one is a 404, as for any record. */
async function loadSubjects(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  query: AccessLogQuery,
): Promise<SearchSubjects> {
  const partnershipId = ctx.actor.partnershipId;
  const [user, agency, youngPerson] = await Promise.all([
    query.user
      ? trx
          .selectFrom("users as u")
          .innerJoin("agencies as a", "a.id", "u.agency_id")
          .select(["u.id", "u.display_name", "u.role", "u.is_active", "a.name as agency"])
          .where("u.partnership_id", "=", partnershipId)
          .where("u.id", "=", query.user)
          .executeTakeFirst()
      : undefined,
    query.agency
      ? trx
          .selectFrom("agencies")
          .select(["id", "name"])
          .where("partnership_id", "=", partnershipId)
          .where("id", "=", query.agency)
          .executeTakeFirst()
      : undefined,
    query.youngPerson
      ? trx
          .selectFrom("audit_young_people")
          .select(["id", "given_name", "family_name", "date_of_birth"])
          .where("partnership_id", "=", partnershipId)
          .where("id", "=", query.youngPerson)
          .executeTakeFirst()
      : undefined,
  ]);
  if ((query.user && !user) || (query.agency && !agency) || (query.youngPerson && !youngPerson)) {
    throw new RecordNotFound("access log search subject");
  }
  return {
    user: user
      ? {
          id: user.id,
          name: user.display_name,
          role: roleLabel(user.role),
          agency: user.agency,
          active: user.is_active,
        }
      : null,
    agency: agency ?? null,
    youngPerson: youngPerson
      ? {
          id: youngPerson.id,
          name: `${youngPerson.given_name} ${youngPerson.family_name}`,
          dateOfBirth: youngPerson.date_of_birth ? isoDate(youngPerson.date_of_birth) : null,
        }
      : null,
  };
}

/** The events a search's filters match, in the actor's partnership (row-level security agrees). */
function matching(trx: Transaction<Database>, ctx: ServiceContext, query: AccessLogQuery) {
  return trx
    .selectFrom("audit_events as e")
    .where("e.partnership_id", "=", ctx.actor.partnershipId)
    .$if(query.user !== undefined, (qb) => qb.where("e.actor_user_id", "=", query.user ?? ""))
    .$if(query.agency !== undefined, (qb) => qb.where("e.actor_agency_id", "=", query.agency ?? ""))
    .$if(query.youngPerson !== undefined, (qb) =>
      qb.where("e.young_person_id", "=", query.youngPerson ?? ""),
    )
    .$if(query.record !== undefined, (qb) => qb.where(recordFilter(query.record ?? "")))
    .$if(query.action !== undefined, (qb) => qb.where("e.action", "=", query.action ?? ""))
    .$if(query.outcome !== undefined, (qb) =>
      qb.where("e.outcome", "=", query.outcome ?? "allowed"),
    )
    .$if(query.emergency === "yes", (qb) => qb.where(isEmergency()))
    .$if(query.from !== undefined, (qb) =>
      qb.where("e.occurred_at", ">=", startOfLondonDay(query.from ?? "")),
    )
    .$if(query.to !== undefined, (qb) =>
      qb.where("e.occurred_at", "<", startOfLondonDay(query.to ?? "", 1)),
    );
}

/** An event made under emergency access: opening or reviewing one, or a view it allowed. */
export function isEmergency(): Expression<SqlBool> {
  // Written as the partial index audit_events_emergency_idx is, so the planner can use it.
  return sql<SqlBool>`(e.action like 'emergency\\_access.%' or e.details ? 'emergencyAccessId')`;
}

/**
 * A record by its id, or a referral by its reference (CW- and the id's first eight hex digits):
 * a reference is a range of ids, which the record index serves.
 */
function recordFilter(record: string) {
  return (eb: Db): Expression<SqlBool> => {
    const reference = REFERENCE_PATTERN.exec(record);
    if (!reference) return eb("e.record_id", "=", record.toLowerCase());
    const prefix = `${reference[1]}${reference[2]}`.toLowerCase();
    return eb.and([
      eb("e.record_id", ">=", `${prefix}-0000-0000-0000-000000000000`),
      eb("e.record_id", "<=", `${prefix}-ffff-ffff-ffff-ffffffffffff`),
    ]);
  };
}

/** Midnight at the start of a UK date (plus some days), as the database compares times. */
function startOfLondonDay(date: string, plusDays = 0) {
  return sql<Date>`((${date}::date + ${plusDays}::int)::timestamp at time zone 'Europe/London')`;
}

/** Events older than the cursor's (time to the microsecond, then id). */
function afterCursor(cursor: string) {
  const [time, id] = cursor.split("_");
  return sql<SqlBool>`(e.occurred_at, e.id) < (${time}::timestamptz, ${id}::uuid)`;
}

/** An event with the names of its actor, agency, young person and record. */
function withNames(events: ReturnType<typeof matching>) {
  return events
    .leftJoin("users as u", "u.id", "e.actor_user_id")
    .leftJoin("agencies as a", "a.id", "e.actor_agency_id")
    .leftJoin("audit_young_people as yp", "yp.id", "e.young_person_id")
    .select([
      "e.id",
      "e.occurred_at",
      sql<string>`to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        "occurred_at_text",
      ),
      "e.actor_user_id",
      "e.actor_role",
      "u.display_name as actor_name",
      "e.actor_agency_id",
      "a.name as agency_name",
      "e.action",
      "e.outcome",
      "e.record_type",
      "e.record_id",
      "e.young_person_id",
      "yp.given_name",
      "yp.family_name",
      "e.reason",
      "e.details",
      "e.request_id",
      sql<string | null>`host(e.client_address)`.as("client_address"),
      sql<string | null>`e.chain_seq::text`.as("chain_seq"),
    ]);
}

type EventRow = Awaited<ReturnType<ReturnType<typeof withNames>["execute"]>>[number];

function toLoggedEvent(row: EventRow): LoggedEvent {
  const details = row.details;
  const emergencyAccessId =
    typeof details?.emergencyAccessId === "string"
      ? details.emergencyAccessId
      : row.record_type === "emergency_access"
        ? row.record_id
        : null;
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actor:
      row.actor_user_id !== null
        ? {
            id: row.actor_user_id,
            name: row.actor_name ?? "Unknown person",
            role: roleLabel(row.actor_role),
          }
        : null,
    agency:
      row.actor_agency_id !== null
        ? { id: row.actor_agency_id, name: row.agency_name ?? "Unknown agency" }
        : null,
    action: row.action,
    actionLabel: actionLabel(row.action),
    outcome: row.outcome,
    record:
      row.record_type !== null && row.record_id !== null
        ? {
            type: row.record_type,
            id: row.record_id,
            label: recordLabel(row.record_type, row.record_id),
          }
        : null,
    youngPerson:
      row.young_person_id !== null
        ? {
            id: row.young_person_id,
            name:
              row.given_name !== null && row.family_name !== null
                ? `${row.given_name} ${row.family_name}`
                : "Unknown young person",
          }
        : null,
    reason: row.reason,
    basis: row.reason ?? ruleBasis(details?.rule),
    emergencyAccessId,
    details,
    requestId: row.request_id,
    clientAddress: row.client_address,
    chainSeq: row.chain_seq,
  };
}

const RULE_BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));

function ruleBasis(rule: unknown): string | null {
  const found = typeof rule === "string" ? RULE_BY_ID.get(rule) : undefined;
  return found ? `Allowed: ${describeRule(found).replace(/^W/, "w")}` : null;
}

/** A referral by its reference; any other record by its type and the start of its id. */
export function recordLabel(type: string, id: string): string {
  if (type === "referral") return referralReference(id);
  return `${type.replace(/_/g, " ")} ${id.slice(0, 8)}`;
}

function roleLabel(role: string | null): string {
  return role && isRole(role) ? ROLE_DESCRIPTIONS[role].label : (role ?? "");
}

function isoDate(value: Date | string): string {
  return typeof value === "string" ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

/** The columns of an access-log CSV file, and one event as a row of it. */
export const EVENT_CSV_HEADER = [
  "occurred_at_utc",
  "event_id",
  "chain_seq",
  "actor",
  "actor_id",
  "actor_role",
  "agency",
  "agency_id",
  "action",
  "action_description",
  "outcome",
  "record_type",
  "record_reference",
  "record_id",
  "young_person",
  "young_person_id",
  "emergency_access_id",
  "reason",
  "basis",
  "details",
  "request_id",
  "client_address",
] as const;

export function eventCsvRow(event: LoggedEvent): (string | null)[] {
  return [
    event.occurredAt.toISOString(),
    event.id,
    event.chainSeq,
    event.actor?.name ?? null,
    event.actor?.id ?? null,
    event.actor?.role ?? null,
    event.agency?.name ?? null,
    event.agency?.id ?? null,
    event.action,
    event.actionLabel,
    event.outcome,
    event.record?.type ?? null,
    event.record?.label ?? null,
    event.record?.id ?? null,
    event.youngPerson?.name ?? null,
    event.youngPerson?.id ?? null,
    event.emergencyAccessId,
    event.reason,
    event.basis,
    event.details ? JSON.stringify(event.details) : null,
    event.requestId,
    event.clientAddress,
  ];
}

/** Events by id, newest first, as an auditor sees them (for the reports' findings). */
export async function searchEventsById(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<LoggedEvent[]> {
  if (ids.length === 0) return [];
  const rows = await withNames(
    trx
      .selectFrom("audit_events as e")
      .where("e.partnership_id", "=", ctx.actor.partnershipId)
      // One array parameter, not one per id: a report's export names up to 50,000 events.
      .where(sql<boolean>`e.id = any(${[...ids]}::uuid[])`),
  )
    .orderBy("e.occurred_at", "desc")
    .orderBy("e.id", "desc")
    .execute();
  return rows.map(toLoggedEvent);
}
