import { sql, type Kysely } from "kysely";

/**
 * Young people, referrals and their lifecycle, and the work on a case: involvement of agencies,
 * transitions, notes with their earlier versions, and actions. Nothing here is ever deleted by the
 * application (the app role has no DELETE); corrections keep the previous version and a reason.
 *
 * The vocabularies are written out literally so this migration stays frozen when the lists in
 * policies/referral-vocabulary.ts grow (a new code is a new migration).
 */
const tenant = (table: string) => [
  `alter table ${table} enable row level security`,
  `alter table ${table} force row level security`,
  `create policy ${table}_tenant on ${table}
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
];

const statements = [
  // Trusted extensions: the database owner may create them. Name similarity for the duplicate check.
  `create extension if not exists pg_trgm`,
  `create extension if not exists fuzzystrmatch`,

  // Response targets per RAG rating, from submission to screening and from routing to acceptance.
  `alter table partnerships add column response_targets jsonb not null default
     '{"red": {"hours": 4}, "amber": {"workingDays": 1}, "green": {"workingDays": 3}}'`,

  `create table young_people (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null references partnerships (id),
     given_name text not null check (length(given_name) between 1 and 100),
     family_name text not null check (length(family_name) between 1 and 100),
     known_as text check (length(known_as) <= 100),
     date_of_birth date check (date_of_birth > '1990-01-01'),
     gender text check (gender in ('female', 'male', 'non_binary', 'other', 'not_known')),
     postcode_district text check (postcode_district ~ '^[A-Z]{1,2}[0-9][0-9A-Z]?$'),
     school text check (length(school) <= 200),
     nhs_number text check (nhs_number ~ '^[0-9]{10}$'),
     unique_pupil_number text check (unique_pupil_number ~ '^[A-Z][0-9]{11}[0-9A-Z]$'),
     police_reference text check (length(police_reference) <= 50),
     created_by uuid not null,
     created_by_agency_id uuid not null,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     version integer not null default 1 check (version >= 1),
     unique (partnership_id, id),
     foreign key (partnership_id, created_by) references users (partnership_id, id),
     foreign key (partnership_id, created_by_agency_id) references agencies (partnership_id, id)
   )`,
  `create index young_people_name_trgm_idx on young_people
     using gin ((lower(given_name || ' ' || family_name)) gin_trgm_ops)`,
  `create index young_people_dob_idx on young_people (partnership_id, date_of_birth)`,
  ...tenant("young_people"),

  `create table young_person_revisions (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     young_person_id uuid not null,
     version integer not null,
     previous jsonb not null,
     reason text not null check (length(reason) between 1 and 1000),
     changed_by uuid not null,
     changed_at timestamptz not null default now(),
     unique (young_person_id, version),
     foreign key (partnership_id, young_person_id) references young_people (partnership_id, id)
   )`,
  ...tenant("young_person_revisions"),

  `create table referrals (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null references partnerships (id),
     state text not null default 'draft' check (state in ('draft', 'submitted', 'screened', 'allocated',
       'active', 'panel', 'closed', 'withdrawn', 'discarded')),
     young_person_id uuid,
     referrer_user_id uuid not null,
     referrer_agency_id uuid not null,
     destination text check (destination in ('hub', 'agency')),
     destination_agency_id uuid,
     concern_roles text[] not null default '{}'
       check (concern_roles <@ array['at_risk', 'victim', 'suspected_perpetrator']),
     themes text[] not null default '{}' check (themes <@ array['county_lines_drugs',
       'early_intervention', 'community_partnership', 'law_enforcement']),
     risk_indicators jsonb not null default '[]' check (jsonb_typeof(risk_indicators) = 'array'),
     concern text check (length(concern) <= 10000),
     young_person_knows text check (length(young_person_knows) <= 5000),
     family_knows text check (length(family_knows) <= 5000),
     immediate_danger text check (immediate_danger in ('yes', 'no')),
     immediate_action text check (length(immediate_action) <= 2000),
     urgency text check (urgency in ('urgent', 'routine')),
     rag text check (rag in ('red', 'amber', 'green')),
     rag_rationale text check (length(rag_rationale) <= 5000),
     submitted_at timestamptz,
     screening_due_at timestamptz,
     screened_at timestamptz,
     screened_by uuid,
     escalated_to text check (escalated_to in ('childrens_social_care', 'mace')),
     escalated_at timestamptz,
     closed_at timestamptz,
     outcome text check (outcome in ('support_completed', 'support_completed_risk_remains', 'signposted',
       'no_further_action', 'declined_support', 'disengaged', 'escalated_statutory', 'moved_away')),
     outcome_summary text check (length(outcome_summary) <= 5000),
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     -- Optimistic locking: every change names the version it saw and moves it on by one.
     version integer not null default 1 check (version >= 1),
     unique (partnership_id, id),
     foreign key (partnership_id, young_person_id) references young_people (partnership_id, id),
     foreign key (partnership_id, referrer_user_id) references users (partnership_id, id),
     foreign key (partnership_id, referrer_agency_id) references agencies (partnership_id, id),
     foreign key (partnership_id, destination_agency_id) references agencies (partnership_id, id),
     -- Past the draft, a referral is complete: the database refuses a half-written one.
     check (state in ('draft', 'discarded') or (
       young_person_id is not null and destination is not null and cardinality(themes) > 0
       and cardinality(concern_roles) > 0 and concern is not null and immediate_danger is not null
       and urgency is not null and submitted_at is not null and screening_due_at is not null)),
     check (destination is distinct from 'agency' or destination_agency_id is not null),
     check (state <> 'closed' or (outcome is not null and outcome_summary is not null and closed_at is not null)),
     check (rag is null or (rag_rationale is not null and screened_at is not null))
   )`,
  `create index referrals_state_idx on referrals (partnership_id, state, submitted_at)`,
  `create index referrals_young_person_idx on referrals (partnership_id, young_person_id)`,
  `create index referrals_referrer_idx on referrals (partnership_id, referrer_user_id)`,
  ...tenant("referrals"),

  // Which agencies are involved in a referral: the referrer's, and each agency it is routed to.
  `create table referral_agencies (
     partnership_id uuid not null,
     referral_id uuid not null,
     agency_id uuid not null,
     involvement text not null check (involvement in ('referrer', 'receiving')),
     status text check (status in ('awaiting', 'accepted', 'declined')),
     routed_at timestamptz,
     routed_by uuid,
     response_due_at timestamptz,
     responded_at timestamptz,
     responded_by uuid,
     decline_reason text check (length(decline_reason) <= 2000),
     allocated_user_id uuid,
     primary key (referral_id, agency_id),
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id),
     foreign key (partnership_id, agency_id) references agencies (partnership_id, id),
     foreign key (partnership_id, allocated_user_id) references users (partnership_id, id),
     check ((involvement = 'referrer') = (status is null)),
     check (status is distinct from 'accepted' or allocated_user_id is not null),
     check (status is distinct from 'declined' or decline_reason is not null)
   )`,
  `create index referral_agencies_agency_idx on referral_agencies (partnership_id, agency_id, status)`,
  `create index referral_agencies_allocated_idx on referral_agencies (partnership_id, allocated_user_id)`,
  ...tenant("referral_agencies"),

  // Every step along the lifecycle: who, when, from which state to which, and why.
  `create table referral_transitions (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     referral_id uuid not null,
     transition text not null,
     from_state text not null,
     to_state text not null,
     actor_user_id uuid not null,
     actor_agency_id uuid not null,
     occurred_at timestamptz not null default now(),
     rationale text check (length(rationale) <= 5000),
     details jsonb not null default '{}',
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id)
   )`,
  `create index referral_transitions_referral_idx on referral_transitions (referral_id, occurred_at)`,
  ...tenant("referral_transitions"),

  `create table case_notes (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     referral_id uuid not null,
     agency_id uuid not null,
     author_user_id uuid not null,
     kind text not null check (kind in ('contact_in_person', 'contact_phone', 'contact_message',
       'contact_attempted', 'case_note')),
     visibility text not null check (visibility in ('shared', 'agency_only')),
     occurred_on date not null,
     body text not null check (length(body) between 1 and 10000),
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     version integer not null default 1 check (version >= 1),
     unique (partnership_id, id),
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id),
     foreign key (partnership_id, agency_id) references agencies (partnership_id, id),
     foreign key (partnership_id, author_user_id) references users (partnership_id, id)
   )`,
  `create index case_notes_referral_idx on case_notes (referral_id, occurred_on)`,
  ...tenant("case_notes"),

  // The versions a correction replaced, each with the reason it was corrected.
  `create table case_note_revisions (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     note_id uuid not null,
     version integer not null,
     kind text not null,
     visibility text not null,
     occurred_on date not null,
     body text not null,
     reason text not null check (length(reason) between 1 and 1000),
     revised_by uuid not null,
     revised_at timestamptz not null default now(),
     unique (note_id, version),
     foreign key (partnership_id, note_id) references case_notes (partnership_id, id)
   )`,
  ...tenant("case_note_revisions"),

  `create table case_actions (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     referral_id uuid not null,
     description text not null check (length(description) between 1 and 1000),
     assigned_agency_id uuid not null,
     due_on date not null,
     status text not null default 'open' check (status in ('open', 'done', 'cancelled')),
     created_by uuid not null,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     completed_at timestamptz,
     version integer not null default 1 check (version >= 1),
     unique (partnership_id, id),
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id),
     foreign key (partnership_id, assigned_agency_id) references agencies (partnership_id, id)
   )`,
  `create index case_actions_referral_idx on case_actions (referral_id)`,
  `create index case_actions_due_idx on case_actions (partnership_id, status, due_on)`,
  ...tenant("case_actions"),

  `create table case_action_updates (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     action_id uuid not null,
     from_status text not null,
     to_status text not null,
     note text check (length(note) <= 2000),
     updated_by uuid not null,
     updated_at timestamptz not null default now(),
     foreign key (partnership_id, action_id) references case_actions (partnership_id, id)
   )`,
  ...tenant("case_action_updates"),

  `grant select, insert, update on young_people, referrals, referral_agencies, case_notes, case_actions
     to crosswalk_app`,
  `grant select, insert on young_person_revisions, referral_transitions, case_note_revisions,
     case_action_updates to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
