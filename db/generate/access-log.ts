import type pg from "pg";
import { GENESIS_HASH, eventHash } from "../audit/canonical";
import { copyText } from "./copy-in";
import { jsonbText, type JsonValue } from "./jsonb-text";
import { apportion } from "./population";
import { Random } from "./random";

/**
 * One partnership's access log over the generated history: an event for every write the case
 * data records (each decision, step, note and action, at its own time, most of them after the
 * person opened the referral), and between them the reading that fills a working day (signing in,
 * caseload lists, opening referrals and records, an auditor's searches, now and then a refused
 * view), made in TypeScript so that each event's hash can be computed as it is written. Every
 * action comes from the access log's vocabulary and names records that exist.
 *
 * The partnership's total is exact: the events the writes need are counted first, and the reading
 * is shared out over the months by how many cases were open in each (largest remainders).
 */

/** One access-log event before it is chained. Times are microseconds since the Unix epoch. */
export interface LogEvent {
  us: number;
  actor: string | null;
  action: string;
  recordType: string | null;
  recordId: string | null;
  youngPersonId: string | null;
  outcome: "allowed" | "refused";
  reason: string | null;
  /** The jsonb text of the details (PostgreSQL's rendering), or null. */
  details: string | null;
}

export interface LogPlan {
  seed: string;
  tag: string;
  partnershipId: string;
  /** How many events the partnership's log gets in all. */
  events: number;
  from: Date;
  until: Date;
}

interface Person {
  id: string;
  agencyId: string;
  role: string;
  address: string;
}

interface ActiveCase {
  id: string;
  youngPersonId: string;
  users: string[];
  agencies: string[];
}

/** A month as an integer (year * 12 + month - 1) and its bounds in microseconds. */
export interface Month {
  index: number;
  startUs: number;
  endUs: number;
}

export function monthOf(date: Date): number {
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

export function monthBounds(index: number): Month {
  const start = Date.UTC(Math.floor(index / 12), index % 12, 1);
  const end = Date.UTC(Math.floor((index + 1) / 12), (index + 1) % 12, 1);
  return { index, startUs: start * 1000, endUs: end * 1000 };
}

/** The SQL for a time's month as an integer, as monthOf() counts it. */
const MONTH_SQL = (at: string) =>
  `(extract(year from ${at} at time zone 'UTC')::int * 12 + extract(month from ${at} at time zone 'UTC')::int - 1)`;
const US_SQL = (at: string) => `(extract(epoch from ${at}) * 1000000)::bigint::text`;

/** An address on a documentation network per agency: offices sit behind one address. */
function addressOf(agencyIndex: number): string {
  const networks = ["192.0.2", "198.51.100", "203.0.113"];
  return `${networks[agencyIndex % 3] ?? "192.0.2"}.${10 + Math.floor(agencyIndex / 3)}/32`;
}

const TRANSITION_ACTIONS: Readonly<Record<string, string>> = {
  submit: "referral.submit",
  discard: "referral.edit_draft",
  screen: "referral.screen",
  rerate: "referral.screen",
  route: "referral.route",
  accept: "referral.accept",
  decline: "referral.decline",
  refer_to_panel: "referral.refer_to_panel",
  close: "referral.close",
  escalate: "referral.escalate",
  withdraw: "referral.withdraw",
};

/** A partnership's log: its facts and open cases in session tables, and its events month by month. */
export class PartnershipLog {
  private readonly people = new Map<string, Person>();
  private readonly agencyLead = new Map<string, string>();
  private leads: string[] = [];
  private auditors: string[] = [];
  private readonly reads = new Map<number, number>();
  private factsTable: string;
  private activeTable: string;
  /** Events written by the writes (and the views before them), counted once prepared. */
  writeEvents = 0;
  private recentIds: string[] = [];
  private recentCursor = 0;

  constructor(private readonly plan: LogPlan) {
    this.factsTable = `gen_fact_${plan.tag.replace(/[^a-z0-9]/g, "_")}`;
    this.activeTable = `gen_active_${plan.tag.replace(/[^a-z0-9]/g, "_")}`;
  }

  get partnershipId(): string {
    return this.plan.partnershipId;
  }

  get tag(): string {
    return this.plan.tag;
  }

  /** Months from the history's first to its last, in order. */
  months(): Month[] {
    const first = monthOf(this.plan.from);
    const last = monthOf(this.plan.until);
    return Array.from({ length: last - first + 1 }, (_, offset) => monthBounds(first + offset));
  }

  /**
   * Build the session tables of the partnership's facts and open cases (its case data must be
   * written), count the events the writes make, and share the rest out over the months. The
   * session's tenant must be the partnership.
   */
  async prepare(client: pg.ClientBase): Promise<void> {
    const P = `'${this.plan.partnershipId}'::uuid`;
    const people = await client.query<{ id: string; agency_id: string; role: string; idx: number }>(
      `select u.id, u.agency_id, u.role,
         (dense_rank() over (order by a.name))::int as idx
       from users u join agencies a on a.id = u.agency_id
       where u.partnership_id = ${P} order by u.email`,
    );
    for (const row of people.rows) {
      this.people.set(row.id, {
        id: row.id,
        agencyId: row.agency_id,
        role: row.role,
        address: addressOf(row.idx),
      });
      if (row.role === "agency_lead" && !this.agencyLead.has(row.agency_id)) {
        this.agencyLead.set(row.agency_id, row.id);
      }
    }
    this.leads = people.rows.filter((row) => row.role === "partnership_lead").map((row) => row.id);
    this.auditors = people.rows.filter((row) => row.role === "auditor").map((row) => row.id);

    const F = this.factsTable;
    const A = this.activeTable;
    const since = `'${this.plan.from.toISOString()}'::timestamptz`;
    const until = `'${this.plan.until.toISOString()}'::timestamptz`;
    const statements = [
      `drop table if exists ${F}, ${A}`,
      // Every write the case data records, at its own time, as the service that made it would
      // have recorded it; `view` marks those the person opened the referral for first.
      `create temp table ${F} as
       select ${MONTH_SQL("at")} as month, ${US_SQL("at")} as us, * from (
         select r.created_at as at, 'referral.create' as action, r.referrer_user_id as actor,
           'referral' as record_type, r.id as record_id, null::uuid as young_person_id,
           null::uuid as referral_id, null::text as details, null::text as reason, false as view
         from referrals r where r.partnership_id = ${P}
         union all
         select y.created_at - interval '90 seconds', 'young_person.search', y.created_by,
           'young_person', null, null, null,
           jsonb_build_object('lookedFor', jsonb_build_object('givenName', y.given_name,
             'familyName', y.family_name, 'dateOfBirth', y.date_of_birth,
             'postcodeDistrict', y.postcode_district), 'shown', '[]'::jsonb,
             'signposted', '[]'::jsonb)::text, null, false
         from young_people y where y.partnership_id = ${P}
         union all
         select y.created_at, 'young_person.create', y.created_by, 'young_person', y.id, y.id, null,
           '{"confirmedNotAMatch": false}', null, false
         from young_people y where y.partnership_id = ${P}
         union all
         select r.created_at + (coalesce(r.submitted_at, r.created_at + interval '1 hour')
                                - r.created_at) / 2,
           'referral.edit_draft', r.referrer_user_id, 'referral', r.id, r.young_person_id, null,
           '{"fields": ["youngPersonId", "concernRoles", "themes", "riskIndicators", "concern"]}',
           null, false
         from referrals r where r.partnership_id = ${P}
         union all
         select d.decided_at, 'sharing.record_decision', d.decided_by, 'decision_to_share', d.id,
           d.young_person_id, null,
           jsonb_build_object('referralId', d.referral_id, 'decision', d.decision,
             'recipientAgencyIds', to_jsonb(d.recipient_agency_ids), 'purposes', to_jsonb(d.purposes),
             'article6', d.article6, 'article9', d.article9, 'gateway', d.gateway,
             'consentReliedOn', d.consent_relied_on)::text, null, false
         from decisions_to_share d where d.partnership_id = ${P}
         union all
         select t.occurred_at,
           case t.transition ${Object.entries(TRANSITION_ACTIONS)
             .map(([transition, action]) => `when '${transition}' then '${action}'`)
             .join(" ")} end,
           t.actor_user_id, 'referral', t.referral_id, r.young_person_id, t.referral_id,
           (jsonb_build_object('transition', t.transition, 'from', t.from_state, 'to', t.to_state)
             || t.details)::text, null, t.transition not in ('submit', 'discard')
         from referral_transitions t join referrals r on r.id = t.referral_id
         where t.partnership_id = ${P}
         union all
         select n.created_at, 'note.add', n.author_user_id, 'case_note', n.id, r.young_person_id,
           n.referral_id,
           jsonb_build_object('referralId', n.referral_id, 'kind', n.kind,
             'visibility', n.visibility)::text, null, true
         from case_notes n join referrals r on r.id = n.referral_id where n.partnership_id = ${P}
         union all
         select v.revised_at, 'note.correct', v.revised_by, 'case_note', v.note_id,
           r.young_person_id, n.referral_id,
           jsonb_build_object('referralId', n.referral_id, 'version', v.version + 1)::text, null, true
         from case_note_revisions v join case_notes n on n.id = v.note_id
         join referrals r on r.id = n.referral_id where v.partnership_id = ${P}
         union all
         select a.created_at, 'case_action.add', a.created_by, 'case_action', a.id,
           r.young_person_id, a.referral_id,
           jsonb_build_object('referralId', a.referral_id, 'assignedAgencyId', a.assigned_agency_id,
             'dueOn', a.due_on)::text, null, true
         from case_actions a join referrals r on r.id = a.referral_id where a.partnership_id = ${P}
         union all
         select u.updated_at, 'case_action.update', u.updated_by, 'case_action', u.action_id,
           r.young_person_id, a.referral_id,
           jsonb_build_object('referralId', a.referral_id, 'from', u.from_status,
             'to', u.to_status)::text, null, true
         from case_action_updates u join case_actions a on a.id = u.action_id
         join referrals r on r.id = a.referral_id where u.partnership_id = ${P}
         union all
         select e.opened_at, 'emergency_access.open', e.user_id, 'emergency_access', e.id,
           e.young_person_id, null,
           jsonb_build_object('reason', e.reason, 'emergencyAccessId', e.id)::text,
           e.reason || ': ' || e.reason_detail, false
         from emergency_accesses e where e.partnership_id = ${P}
         union all
         select e.opened_at + interval '1 minute', 'young_person.view', e.user_id, 'young_person',
           e.young_person_id, e.young_person_id, null,
           jsonb_build_object('rule', 'emergency-views-young-person',
             'emergencyAccessId', e.id)::text, null, false
         from emergency_accesses e where e.partnership_id = ${P}
         union all
         select e.reviewed_at, 'emergency_access.review', e.reviewed_by, 'emergency_access', e.id,
           e.young_person_id, null,
           jsonb_build_object('outcome', e.review_outcome, 'openedBy', e.user_id)::text, null, false
         from emergency_accesses e where e.partnership_id = ${P} and e.reviewed_at is not null
       ) as facts where at >= ${since} and at <= ${until}`,
      `create index on ${F} (month, us)`,
      // The cases open in each month, with who works on them and which agencies are involved.
      `create temp table ${A} as
       with c as (
         select r.id, r.young_person_id, r.submitted_at,
           least(coalesce(r.closed_at, case when r.state = 'withdrawn' then r.updated_at end,
                          '${this.plan.until.toISOString()}'::timestamptz),
                 '${this.plan.until.toISOString()}'::timestamptz) as ended_at,
           array_remove(array_agg(distinct ra.allocated_user_id), null)
             || r.referrer_user_id as users,
           array_agg(distinct ra.agency_id) filter (where ra.status is distinct from 'declined')
             as agencies
         from referrals r join referral_agencies ra on ra.referral_id = r.id
         where r.partnership_id = ${P} and r.submitted_at is not null
         group by r.id)
       select m as month, c.id, c.young_person_id, c.users, c.agencies
       from c, generate_series(${MONTH_SQL("c.submitted_at")}, ${MONTH_SQL("c.ended_at")}) as m`,
      `create index on ${A} (month)`,
      `analyze ${F}, ${A}`,
    ];
    for (const statement of statements) await client.query(statement);

    const counted = await client.query<{ events: string }>(
      `select (count(*) + count(*) filter (where view))::text as events from ${F}`,
    );
    this.writeEvents = Number(counted.rows[0]?.events ?? 0);
    const readTotal = this.plan.events - this.writeEvents;
    if (readTotal < 0) {
      throw new Error(
        `the case data of ${this.plan.tag} needs ${this.writeEvents} access-log events, more than the ${this.plan.events} asked for`,
      );
    }
    const weights = await client.query<{ month: number; open: number }>(
      `select month, count(*)::int as open from ${A} group by month`,
    );
    const openByMonth = new Map(weights.rows.map((row) => [row.month, row.open]));
    const months = this.months();
    const shares = apportion(
      readTotal,
      months.map((month) => Math.max(1, openByMonth.get(month.index) ?? 0)),
    );
    months.forEach((month, index) => this.reads.set(month.index, shares[index] ?? 0));
  }

  /** The month's events, in time order: the writes' own, and the month's share of reading. */
  async eventsOf(client: pg.ClientBase, month: Month): Promise<LogEvent[]> {
    const random = new Random(`${this.plan.seed}:${this.plan.tag}:log:${month.index}`);
    const facts = await client.query<{
      us: string;
      action: string;
      actor: string;
      record_type: string | null;
      record_id: string | null;
      young_person_id: string | null;
      referral_id: string | null;
      details: string | null;
      reason: string | null;
      view: boolean;
    }>(
      `select us, action, actor, record_type, record_id, young_person_id, referral_id, details,
         reason, view
       from ${this.factsTable} where month = $1 order by us, action, record_id`,
      [month.index],
    );
    const events: LogEvent[] = [];
    const firstUs = Math.max(month.startUs, this.plan.from.getTime() * 1000);
    const lastUs = Math.min(month.endUs - 1, this.plan.until.getTime() * 1000);
    for (const fact of facts.rows) {
      const us = Number(fact.us);
      if (fact.view && fact.referral_id) {
        events.push(
          this.view(
            Math.max(firstUs, us - random.int(30, 300) * 1_000_000 - random.int(0, 999_999)),
            fact.actor,
            fact.referral_id,
            fact.young_person_id,
          ),
        );
      }
      events.push({
        us,
        actor: fact.actor,
        action: fact.action,
        recordType: fact.record_type,
        recordId: fact.record_id,
        youngPersonId: fact.young_person_id,
        outcome: "allowed",
        reason: fact.reason,
        details: fact.details,
      });
    }

    const active = await client.query<{
      id: string;
      young_person_id: string;
      users: string[];
      agencies: string[];
    }>(
      `select id, young_person_id, users, agencies from ${this.activeTable}
       where month = $1 order by id`,
      [month.index],
    );
    const cases: ActiveCase[] = active.rows.map((row) => ({
      id: row.id,
      youngPersonId: row.young_person_id,
      users: row.users,
      agencies: row.agencies,
    }));
    for (const event of this.reading(
      random,
      cases,
      this.reads.get(month.index) ?? 0,
      firstUs,
      lastUs,
    )) {
      events.push(event);
    }
    events.sort((a, b) => a.us - b.us);
    return events;
  }

  private view(
    us: number,
    actor: string,
    referralId: string,
    youngPersonId: string | null,
  ): LogEvent {
    const lead = this.people.get(actor)?.role === "partnership_lead";
    return {
      us,
      actor,
      action: "referral.view",
      recordType: "referral",
      recordId: referralId,
      youngPersonId,
      outcome: "allowed",
      reason: null,
      details: jsonbText({
        rule: lead ? "lead-views-any-referral" : "involved-and-covered-views-referral",
      }),
    };
  }

  /** Exactly `budget` events of people reading, in sessions on working days of the month. */
  private reading(
    random: Random,
    cases: ActiveCase[],
    budget: number,
    firstUs: number,
    lastUs: number,
  ): LogEvent[] {
    const events: LogEvent[] = [];
    if (budget <= 0 || lastUs <= firstUs) return events;
    const byUser = new Map<string, ActiveCase[]>();
    const byAgency = new Map<string, ActiveCase[]>();
    const pairs: string[] = [];
    for (const item of cases) {
      for (const user of new Set(item.users)) {
        if (!this.people.has(user)) continue;
        const list = byUser.get(user);
        if (list) list.push(item);
        else byUser.set(user, [item]);
        pairs.push(user);
      }
      for (const agency of item.agencies) {
        if (!this.agencyLead.has(agency)) continue;
        const list = byAgency.get(agency);
        if (list) list.push(item);
        else byAgency.set(agency, [item]);
      }
    }
    const agencies = [...byAgency.keys()];
    const everyone = cases;

    while (events.length < budget) {
      const left = budget - events.length;
      let at = this.sessionStart(random, firstUs, lastUs);
      const session: LogEvent[] = [];
      const next = () => {
        at = Math.min(lastUs, at + random.int(15, 150) * 1_000_000 + random.int(0, 999_999));
        return at;
      };
      const kind = random.next();
      let actor: string | undefined;
      let caseload: { action: string; name: string; list: ActiveCase[] } | null = null;
      if (kind < 0.62 && pairs.length) {
        actor = random.pick(pairs);
        caseload = { action: "caseload.view_own", name: "mine", list: byUser.get(actor) ?? [] };
      } else if (kind < 0.82 && agencies.length) {
        const agency = random.pick(agencies);
        actor = this.agencyLead.get(agency);
        caseload = {
          action: "caseload.view_agency",
          name: "agency",
          list: byAgency.get(agency) ?? [],
        };
      } else if (kind < 0.97 && this.leads.length) {
        actor = random.pick(this.leads);
        caseload = { action: "caseload.view_partnership", name: "all", list: everyone };
      } else if (this.auditors.length) {
        actor = random.pick(this.auditors);
      }
      if (!actor) actor = random.pick([...this.people.keys()]);
      const person = this.people.get(actor);
      if (!person) continue;

      session.push(this.simple(next(), actor, "auth.password_accepted", "user", actor, null));
      session.push(
        this.simple(next(), actor, "auth.sign_in", "user", actor, jsonbText({ method: "totp" })),
      );
      if (caseload) {
        const shown = caseload.list.slice(0, 25).map((item) => item.id);
        session.push(
          this.simple(
            next(),
            actor,
            caseload.action,
            "referral",
            null,
            jsonbText({
              caseload: caseload.name,
              filters: { page: 1, sort: "due" },
              total: caseload.list.length,
              shown,
              withheld: 0,
            }),
          ),
        );
        if (person.role === "partnership_lead" && random.chance(0.2)) {
          session.push(
            this.simple(
              next(),
              actor,
              "oversight.view",
              "referral",
              null,
              jsonbText({
                dashboard: "partnership",
                cell: {},
                filters: {},
                total: caseload.list.length,
                shown: shown.slice(0, 10),
                withheld: 0,
              }),
            ),
          );
        }
        const opened = caseload.list.length ? random.int(1, 5) : 0;
        for (let count = 0; count < opened; count += 1) {
          const item = random.pick(caseload.list);
          session.push(this.view(next(), actor, item.id, item.youngPersonId));
          if (random.chance(0.3)) {
            session.push({
              us: next(),
              actor,
              action: "young_person.view",
              recordType: "young_person",
              recordId: item.youngPersonId,
              youngPersonId: item.youngPersonId,
              outcome: "allowed",
              reason: null,
              details: jsonbText({
                rule:
                  person.role === "partnership_lead"
                    ? "lead-views-any-young-person"
                    : "involved-and-covered-views-young-person",
              }),
            });
          }
        }
        // Now and then someone opens a case their agency has no part in, and is refused.
        if (person.role === "practitioner" && everyone.length && random.chance(0.03)) {
          const item = random.pick(everyone);
          if (!item.agencies.includes(person.agencyId)) {
            session.push({
              us: next(),
              actor,
              action: "referral.view",
              recordType: "referral",
              recordId: item.id,
              youngPersonId: item.youngPersonId,
              outcome: "refused",
              reason: "Your agency is not involved in this referral",
              details: jsonbText({ rule: "involved-and-covered-views-referral:agency_involved" }),
            });
          }
        }
      } else {
        const searches = random.int(2, 6);
        for (let count = 0; count < searches; count += 1) {
          const first = this.recentIds.length ? random.pick(this.recentIds) : null;
          session.push(
            this.simple(
              next(),
              actor,
              "audit.read",
              null,
              null,
              jsonbText({
                view: "search",
                filters: {},
                shown: first ? 50 : 0,
                firstEventId: first,
                lastEventId: first,
              }),
            ),
          );
        }
      }
      if (random.chance(0.4))
        session.push(this.simple(next(), actor, "auth.sign_out", "user", actor, null));
      for (const event of session.slice(0, left)) events.push(event);
    }
    return events;
  }

  private simple(
    us: number,
    actor: string,
    action: string,
    recordType: string | null,
    recordId: string | null,
    details: string | null,
  ): LogEvent {
    return {
      us,
      actor,
      action,
      recordType,
      recordId,
      youngPersonId: null,
      outcome: "allowed",
      reason: null,
      details,
    };
  }

  /** A moment in office hours on a weekday of the month (sometimes an evening or weekend). */
  private sessionStart(random: Random, firstUs: number, lastUs: number): number {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const day = Math.floor(random.between(firstUs, lastUs) / 86_400_000_000) * 86_400_000_000;
      const weekday = new Date(day / 1000).getUTCDay();
      const office = random.chance(0.9);
      if (office && (weekday === 0 || weekday === 6)) continue;
      const hour = office ? random.between(8, 18) : random.between(0, 24);
      const us = day + Math.floor(hour * 3_600_000_000);
      if (us >= firstUs && us <= lastUs) return us;
    }
    return Math.floor(random.between(firstUs, lastUs));
  }

  /** A person's agency, role and address, for the event's columns. */
  personOf(userId: string | null): Person | null {
    return userId ? (this.people.get(userId) ?? null) : null;
  }

  /** Remember a few event ids for the auditors' searches to name. */
  remember(id: string): void {
    this.recentIds[this.recentCursor % 64] = id;
    this.recentCursor += 1;
  }
}

/** Where a chain stands: its newest seq and hash. */
export interface ChainState {
  seq: number;
  hash: Buffer;
}

export const EMPTY_CHAIN: ChainState = { seq: 0, hash: GENESIS_HASH };

/** The timestamptz text of a time in microseconds (UTC). */
function timestampText(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(us % 1000).padStart(3, "0")}+00`;
}

/** The columns a built month's COPY names, in order. */
export const SEALED_COLUMNS =
  "id, partnership_id, occurred_at, actor_user_id, actor_agency_id, actor_role, action, record_type, record_id, young_person_id, outcome, reason, request_id, client_address, details, chain_seq, prev_hash, hash";
/** The columns of events written through the log's own path (time and chain set by the database). */
export const LIVE_COLUMNS =
  "id, partnership_id, actor_user_id, actor_agency_id, actor_role, action, record_type, record_id, young_person_id, outcome, reason, request_id, client_address, details";

/**
 * The COPY line of one event chained after `chain` (which it moves on), with the hash the
 * database's audit_seal() would give it: SHA-256 over the previous hash and the canonical fields.
 */
export function sealedLine(
  log: PartnershipLog,
  event: LogEvent,
  random: Random,
  chain: ChainState,
): string {
  const id = random.uuid();
  const requestId = random.uuid();
  const person = log.personOf(event.actor);
  const seq = chain.seq + 1;
  const fields = [
    id,
    log.partnershipId,
    String(event.us),
    event.actor,
    person?.agencyId ?? null,
    person?.role ?? null,
    event.action,
    event.recordType,
    event.recordId,
    event.youngPersonId,
    event.outcome,
    event.reason,
    requestId,
    person?.address ?? null,
    event.details,
    String(seq),
  ];
  const hash = eventHash(chain.hash, fields);
  const line = [
    id,
    log.partnershipId,
    timestampText(event.us),
    copyText(event.actor),
    copyText(person?.agencyId ?? null),
    copyText(person?.role ?? null),
    event.action,
    copyText(event.recordType),
    copyText(event.recordId),
    copyText(event.youngPersonId),
    event.outcome,
    copyText(event.reason),
    requestId,
    copyText(person?.address ?? null),
    copyText(event.details),
    String(seq),
    `\\\\x${chain.hash.toString("hex")}`,
    `\\\\x${hash.toString("hex")}`,
  ].join("\t");
  chain.seq = seq;
  chain.hash = hash;
  log.remember(id);
  return `${line}\n`;
}

/** The COPY line of one event written unsealed, for the database to time and the sealer to chain. */
export function liveLine(log: PartnershipLog, event: LogEvent, random: Random): string {
  const id = random.uuid();
  const person = log.personOf(event.actor);
  log.remember(id);
  return `${[
    id,
    log.partnershipId,
    copyText(event.actor),
    copyText(person?.agencyId ?? null),
    copyText(person?.role ?? null),
    event.action,
    copyText(event.recordType),
    copyText(event.recordId),
    copyText(event.youngPersonId),
    event.outcome,
    copyText(event.reason),
    random.uuid(),
    copyText(person?.address ?? null),
    copyText(event.details),
  ].join("\t")}\n`;
}

export type { JsonValue };
