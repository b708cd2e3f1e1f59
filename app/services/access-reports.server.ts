import { sql, type RawBuilder, type Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  ACCESS_REPORT_NAMES,
  CASE_ACCESS_ACTIONS,
  VIEW_ACTIONS,
  type AccessReport,
  type AccessReportQuery,
  type AccessLogView,
} from "./access-log-vocabulary";
import { searchEventsById, type LoggedEvent } from "./access-log.server";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { todayOf, type ServiceContext } from "./context.server";
import { inActorReadTransaction, type ReadingContext } from "./read-replica.server";

/**
 * The inappropriate-access reports of DOMAIN.md section 6, each a query over the access log and
 * the case records it names, and each listing the events behind it. The period defaults to the
 * last 30 days; the volume threshold and working hours are the auditor's to set (the defaults are
 * 20 young people a day and 08:00 to 18:00 on weekdays, UK time).
 */

/** Each report lists at most this many events on the page; its CSV file has them all. */
export const REPORT_PAGE_EVENTS = 100;
/** A report's CSV carries at most this many events. */
const REPORT_EXPORT_LIMIT = 50_000;
const DEFAULT_DAYS = 30;

export interface VolumeFinding {
  userId: string;
  userName: string;
  agencyName: string;
  day: string;
  youngPeople: number;
  events: number;
}

export interface EmergencyFinding {
  id: string;
  userId: string;
  userName: string;
  agencyName: string;
  youngPersonId: string;
  youngPersonName: string;
  reason: string;
  openedAt: Date;
  expiresAt: Date;
  events: LoggedEvent[];
}

export interface AccessReports {
  period: { from: string; to: string };
  settings: AccessReportQuery;
  /** Each report's events (at most REPORT_PAGE_EVENTS) and how many there are in all. */
  reports: Record<Exclude<AccessReport, "volume" | "emergency_unreviewed">, ReportEvents>;
  volume: VolumeFinding[];
  emergencyUnreviewed: EmergencyFinding[];
}

export interface ReportEvents {
  count: number;
  events: LoggedEvent[];
  /** For the surname report: whether the viewer's home postcode district matches too. */
  notes?: Record<string, string>;
}

type EventReport = keyof AccessReports["reports"];
const EVENT_REPORTS: EventReport[] = [
  "uninvolved",
  "out_of_hours",
  "after_deactivation",
  "after_withdrawal",
  "same_surname",
];

/** Run every report for the period and record that the auditor read them. */
export function accessReports(
  ctx: ReadingContext,
  query: AccessReportQuery,
): Promise<AccessReports> {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.read");
    const period = periodOf(ctx, query);
    const reports = {} as AccessReports["reports"];
    for (const name of EVENT_REPORTS) {
      const found = await findingEvents(trx, ctx, name, query, period, REPORT_PAGE_EVENTS);
      reports[name] = found;
    }
    const volume = await volumeFindings(trx, ctx, query, period);
    const emergencyUnreviewed = await unreviewedEmergencies(trx, ctx);
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "audit.read",
      outcome: "allowed",
      details: {
        view: "reports" satisfies AccessLogView,
        settings: { ...query, ...period },
        found: Object.fromEntries([
          ...EVENT_REPORTS.map((name) => [name, reports[name].count]),
          ["volume", volume.length],
          ["emergency_unreviewed", emergencyUnreviewed.length],
        ]),
      },
    });
    return { period, settings: query, reports, volume, emergencyUnreviewed };
  });
}

/** Every event behind one report, for its CSV file; the export is recorded. */
export function exportAccessReport(
  ctx: ReadingContext,
  report: AccessReport,
  query: AccessReportQuery,
): Promise<{ events: LoggedEvent[]; finding: Map<string, string> }> {
  return inActorReadTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "audit.export");
    const period = periodOf(ctx, query);
    const finding = new Map<string, string>();
    let events: LoggedEvent[];
    if (report === "volume") {
      const findings = await volumeFindings(trx, ctx, query, period);
      events = [];
      for (const found of findings) {
        const ids = await volumeEventIds(trx, ctx, found);
        const rows = await searchEventsById(trx, ctx, ids);
        for (const event of rows) {
          finding.set(
            event.id,
            `${found.userName}: ${found.youngPeople} young people on ${found.day}`,
          );
        }
        events.push(...rows);
      }
    } else if (report === "emergency_unreviewed") {
      const findings = await unreviewedEmergencies(trx, ctx);
      events = findings.flatMap((found) => {
        for (const event of found.events) {
          finding.set(
            event.id,
            `Emergency access by ${found.userName} to ${found.youngPersonName}`,
          );
        }
        return found.events;
      });
    } else {
      const found = await findingEvents(trx, ctx, report, query, period, REPORT_EXPORT_LIMIT);
      events = found.events;
      for (const [id, note] of Object.entries(found.notes ?? {})) finding.set(id, note);
    }
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "audit.export",
      outcome: "allowed",
      details: { report, settings: { ...query, ...period }, rows: events.length },
    });
    return { events, finding };
  });
}

export function isAccessReport(value: string): value is AccessReport {
  return (ACCESS_REPORT_NAMES as string[]).includes(value);
}

function periodOf(ctx: ServiceContext, query: AccessReportQuery): { from: string; to: string } {
  const to = query.to ?? todayOf(ctx);
  if (query.from) return { from: query.from, to };
  const start = new Date(`${to}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - DEFAULT_DAYS);
  return { from: start.toISOString().slice(0, 10), to };
}

/** The events of one report in the period, newest first, with how many there are in all. */
async function findingEvents(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  report: EventReport,
  query: AccessReportQuery,
  period: { from: string; to: string },
  limit: number,
): Promise<ReportEvents> {
  const condition = REPORT_CONDITIONS[report](query);
  const inPeriod = sql`e.partnership_id = ${ctx.actor.partnershipId}
    and e.occurred_at >= (${period.from}::date::timestamp at time zone 'Europe/London')
    and e.occurred_at < ((${period.to}::date + 1)::timestamp at time zone 'Europe/London')`;
  const found = await sql<{ id: string; note: string | null; total: string }>`
    select e.id, ${condition.note} as note, count(*) over () as total
    from audit_events e ${condition.joins}
    where ${inPeriod} and ${condition.where}
    order by e.occurred_at desc, e.id desc
    limit ${limit}`.execute(trx);
  const events = await searchEventsById(
    trx,
    ctx,
    found.rows.map((row) => row.id),
  );
  const notes: Record<string, string> = {};
  for (const row of found.rows) if (row.note) notes[row.id] = row.note;
  return {
    count: Number(found.rows[0]?.total ?? 0),
    events,
    ...(Object.keys(notes).length ? { notes } : {}),
  };
}

interface ReportCondition {
  joins: RawBuilder<unknown>;
  where: RawBuilder<unknown>;
  note: RawBuilder<unknown>;
}

const inList = (values: readonly string[]) => sql.join(values.map((value) => sql`${value}`));
const viewed = sql`e.action in (${inList(VIEW_ACTIONS)}) and e.outcome = 'allowed'`;
const caseAccess = sql`e.action in (${inList(CASE_ACCESS_ACTIONS)}) and e.outcome = 'allowed'`;
const noJoins = sql``;
const noNote = sql`null::text`;
/** A person's surname: the last word of their name, as the partnership recorded it. */
const viewerSurname = sql`lower(substring(u.display_name from '([^[:space:]]+)$'))`;
/** Particles of surnames, not surnames in themselves: "da" in da Silva, "al" in al-Hassan. */
const SURNAME_PARTICLES = [
  "al",
  "ap",
  "bin",
  "binti",
  "da",
  "das",
  "de",
  "del",
  "della",
  "den",
  "der",
  "des",
  "di",
  "do",
  "dos",
  "du",
  "el",
  "ibn",
  "la",
  "le",
  "st",
  "van",
  "von",
];
/**
 * The viewer and the young person share a surname: the same last word, or a part of it that is
 * not a particle. The viewer's surname is the last word of their name, split at hyphens; the young
 * person's family name is split at hyphens and spaces (Okafor-Reid and Reid, da Silva and Silva,
 * Silva-Ng and Ng).
 */
const sharedSurname = sql`(
  lower(yp.family_name) = ${viewerSurname}
  or exists (
    select 1
    from unnest(regexp_split_to_array(${viewerSurname}, '-')) as viewer_part (part)
    join unnest(regexp_split_to_array(lower(yp.family_name), '[-[:space:]]+')) as family_part (part)
      on family_part.part = viewer_part.part
    where viewer_part.part <> all (${SURNAME_PARTICLES}::text[])))`;

const REPORT_CONDITIONS: Record<EventReport, (query: AccessReportQuery) => ReportCondition> = {
  // An agency is involved with a young person when it referred them or received a referral for
  // them, or recorded them; partnership leads may open any case, so only the roles whose access
  // rests on involvement are looked at. Involvement is judged as it was when the event happened,
  // from the referral's steps: the referrer's agency from the referral's creation, a receiving
  // agency from a routing to it until it declines (the rules drop a declining agency), so a view
  // made before an agency was brought in, or after it declined, is reported.
  uninvolved: () => ({
    joins: noJoins,
    where: sql`${viewed}
      and e.actor_role in ('practitioner', 'agency_lead')
      and not coalesce(e.details ? 'emergencyAccessId', false)
      and not exists (
        select 1 from audit_referrals r
        join audit_referral_agencies ra on ra.partnership_id = r.partnership_id and ra.referral_id = r.id
        where r.partnership_id = e.partnership_id and ra.agency_id = e.actor_agency_id
          and (r.id = e.record_id or r.young_person_id = e.young_person_id)
          and case ra.involvement
            when 'referrer' then r.created_at <= e.occurred_at
            else exists (
              select 1 from audit_referral_transitions routed
              where routed.partnership_id = r.partnership_id and routed.referral_id = r.id
                and routed.transition = 'route' and routed.occurred_at <= e.occurred_at
                and routed.details -> 'agencyIds' ? ra.agency_id::text
                and not exists (
                  select 1 from audit_referral_transitions declined
                  where declined.partnership_id = r.partnership_id and declined.referral_id = r.id
                    and declined.transition = 'decline'
                    and declined.details ->> 'agencyId' = ra.agency_id::text
                    and declined.occurred_at > routed.occurred_at
                    and declined.occurred_at <= e.occurred_at))
          end)
      and not exists (
        select 1 from audit_young_people yp
        where yp.partnership_id = e.partnership_id and yp.id = e.young_person_id
          and yp.created_by_agency_id = e.actor_agency_id and yp.created_at <= e.occurred_at)`,
    note: noNote,
  }),
  out_of_hours: (query) => ({
    joins: noJoins,
    where: sql`${caseAccess} and (
      extract(isodow from e.occurred_at at time zone 'Europe/London') >= 6
      or (e.occurred_at at time zone 'Europe/London')::time < ${query.dayStarts}::time
      or (e.occurred_at at time zone 'Europe/London')::time >= ${query.dayEnds}::time)`,
    note: noNote,
  }),
  after_deactivation: () => ({
    joins: sql`join users u on u.partnership_id = e.partnership_id and u.id = e.actor_user_id`,
    where: sql`u.deactivated_at is not null and e.occurred_at > u.deactivated_at`,
    note: sql`'Deactivated ' || to_char(u.deactivated_at at time zone 'Europe/London', 'DD/MM/YYYY HH24:MI')`,
  }),
  // Consent shared the case with the agency, the consent was withdrawn, and no later decision
  // shared it again before the event.
  after_withdrawal: () => ({
    joins: noJoins,
    where: sql`${caseAccess} and exists (
      select 1 from audit_decisions_to_share d
      join audit_consent_withdrawals w on w.partnership_id = d.partnership_id and w.decision_id = d.id
      where d.partnership_id = e.partnership_id
        and d.young_person_id = e.young_person_id
        and e.actor_agency_id = any (d.recipient_agency_ids)
        and w.withdrawn_at < e.occurred_at
        and not exists (
          select 1 from audit_decisions_to_share later
          where later.partnership_id = d.partnership_id and later.referral_id = d.referral_id
            and later.decision <> 'not_share' and later.decided_at > w.withdrawn_at
            and later.decided_at <= e.occurred_at
            and e.actor_agency_id = any (later.recipient_agency_ids)))`,
    note: noNote,
  }),
  same_surname: () => ({
    joins: sql`join users u on u.partnership_id = e.partnership_id and u.id = e.actor_user_id
      join audit_young_people yp on yp.partnership_id = e.partnership_id and yp.id = e.young_person_id`,
    where: sql`${viewed} and ${sharedSurname}`,
    note: sql`case
      when u.home_postcode_district is null then 'Same surname; the viewer''s home postcode district is not recorded'
      when u.home_postcode_district = yp.postcode_district then 'Same surname and postcode district (' || yp.postcode_district || ')'
      else 'Same surname; different postcode district' end`,
  }),
};

/** People who opened more distinct young people's records in one UK day than the threshold. */
async function volumeFindings(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  query: AccessReportQuery,
  period: { from: string; to: string },
): Promise<VolumeFinding[]> {
  const found = await sql<{
    user_id: string;
    user_name: string;
    agency_name: string;
    day: string;
    young_people: string;
    events: string;
  }>`
    select e.actor_user_id as user_id, u.display_name as user_name, a.name as agency_name,
      to_char((e.occurred_at at time zone 'Europe/London')::date, 'YYYY-MM-DD') as day,
      count(distinct e.young_person_id) as young_people, count(*) as events
    from audit_events e
    join users u on u.partnership_id = e.partnership_id and u.id = e.actor_user_id
    join agencies a on a.partnership_id = e.partnership_id and a.id = u.agency_id
    where e.partnership_id = ${ctx.actor.partnershipId}
      and e.occurred_at >= (${period.from}::date::timestamp at time zone 'Europe/London')
      and e.occurred_at < ((${period.to}::date + 1)::timestamp at time zone 'Europe/London')
      and ${viewed} and e.young_person_id is not null
    group by 1, 2, 3, 4
    having count(distinct e.young_person_id) > ${query.threshold}
    order by young_people desc, day desc
    limit ${REPORT_PAGE_EVENTS}`.execute(trx);
  return found.rows.map((row) => ({
    userId: row.user_id,
    userName: row.user_name,
    agencyName: row.agency_name,
    day: row.day,
    youngPeople: Number(row.young_people),
    events: Number(row.events),
  }));
}

async function volumeEventIds(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  found: VolumeFinding,
): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    select e.id from audit_events e
    where e.partnership_id = ${ctx.actor.partnershipId} and e.actor_user_id = ${found.userId}
      and e.occurred_at >= (${found.day}::date::timestamp at time zone 'Europe/London')
      and e.occurred_at < ((${found.day}::date + 1)::timestamp at time zone 'Europe/London')
      and ${viewed}
    order by e.occurred_at desc, e.id desc
    limit ${REPORT_EXPORT_LIMIT}`.execute(trx);
  return rows.rows.map((row) => row.id);
}

/** Emergency accesses no lead has reviewed, oldest first, each with the events made under it. */
async function unreviewedEmergencies(
  trx: Transaction<Database>,
  ctx: ServiceContext,
): Promise<EmergencyFinding[]> {
  const accesses = await trx
    .selectFrom("emergency_accesses as ea")
    .innerJoin("users as u", "u.id", "ea.user_id")
    .innerJoin("agencies as a", "a.id", "ea.agency_id")
    .innerJoin("audit_young_people as yp", "yp.id", "ea.young_person_id")
    .select([
      "ea.id",
      "ea.user_id",
      "u.display_name",
      "a.name as agency_name",
      "ea.young_person_id",
      "yp.given_name",
      "yp.family_name",
      "ea.reason",
      "ea.opened_at",
      "ea.expires_at",
    ])
    .where("ea.partnership_id", "=", ctx.actor.partnershipId)
    .where("ea.reviewed_at", "is", null)
    .orderBy("ea.opened_at")
    .execute();
  const findings: EmergencyFinding[] = [];
  for (const access of accesses) {
    const ids = await sql<{ id: string }>`
      select e.id from audit_events e
      where e.partnership_id = ${ctx.actor.partnershipId}
        and e.young_person_id = ${access.young_person_id}
        and (e.details ->> 'emergencyAccessId' = ${access.id}
          or (e.record_type = 'emergency_access' and e.record_id = ${access.id}))
      order by e.occurred_at desc, e.id desc
      limit ${REPORT_EXPORT_LIMIT}`.execute(trx);
    findings.push({
      id: access.id,
      userId: access.user_id,
      userName: access.display_name,
      agencyName: access.agency_name,
      youngPersonId: access.young_person_id,
      youngPersonName: `${access.given_name} ${access.family_name}`,
      reason: access.reason,
      openedAt: access.opened_at,
      expiresAt: access.expires_at,
      events: await searchEventsById(
        trx,
        ctx,
        ids.rows.map((row) => row.id),
      ),
    });
  }
  return findings;
}
