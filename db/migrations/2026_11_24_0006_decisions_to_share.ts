import { sql, type Kysely } from "kysely";

/**
 * The decision to share, consent withdrawals and emergency access (DOMAIN.md sections 4 and 5).
 * Decisions are never overwritten: a new decision supersedes an earlier one and both are kept.
 * Frozen once landed.
 */
const tenant = (table: string) => [
  `alter table ${table} enable row level security`,
  `alter table ${table} force row level security`,
  `create policy ${table}_tenant on ${table}
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
];

const statements = [
  `alter table partnerships add column emergency_access_minutes integer not null default 240
     check (emergency_access_minutes between 5 and 1440)`,

  `create table decisions_to_share (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     referral_id uuid not null,
     young_person_id uuid not null,
     supersedes_id uuid references decisions_to_share (id),
     decision text not null check (decision in ('share', 'share_partial', 'not_share')),
     decided_by uuid not null,
     decided_by_agency_id uuid not null,
     decided_at timestamptz not null default now(),
     advice_from text check (length(advice_from) <= 500),
     recipient_agency_ids uuid[] not null check (cardinality(recipient_agency_ids) > 0),
     purposes text[] not null check (cardinality(purposes) > 0 and purposes <@ array['safeguarding',
       'preventing_crime', 'early_intervention', 'health_and_wellbeing', 'education']),
     data_items text[] not null default '{}' check (data_items <@ array['identity', 'concern',
       'risk_indicators', 'family_knowledge', 'case_notes', 'actions', 'outcome']),
     article6 text not null check (article6 in ('public_task', 'legal_obligation', 'vital_interests',
       'consent', 'legitimate_interests')),
     article9 text not null check (article9 in ('none', 'safeguarding', 'preventing_crime',
       'health_social_care', 'explicit_consent')),
     gateway text not null check (gateway in ('none', 'crime_and_disorder_act_s115', 'pcsc_act_2022_s16',
       'children_act_s17', 'children_act_s47')),
     source_kind text not null,
     consent_relied_on boolean not null,
     consent_given_by text check (consent_given_by in ('young_person', 'parental_responsibility')),
     competence_assessment text check (length(competence_assessment) <= 2000),
     consent_scope_agency_ids uuid[] not null default '{}',
     consent_scope_purposes text[] not null default '{}',
     consent_form text check (consent_form in ('verbal', 'written')),
     consent_expires_on date,
     consent_not_sought_reason text check (consent_not_sought_reason in ('would_increase_risk',
       'would_prejudice_investigation', 'cannot_be_given', 'cannot_reasonably_be_obtained',
       'required_by_law', 'emergency')),
     young_person_views text check (length(young_person_views) <= 5000),
     rationale text not null check (length(rationale) between 1 and 5000),
     unique (partnership_id, id),
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id),
     foreign key (partnership_id, young_person_id) references young_people (partnership_id, id),
     foreign key (partnership_id, decided_by) references users (partnership_id, id),
     -- The database refuses what the law does not allow, whatever the application checked.
     check (not consent_relied_on or (consent_given_by is not null and consent_form is not null)),
     check (consent_relied_on or consent_not_sought_reason is not null),
     check (decision = 'not_share' or gateway <> 'pcsc_act_2022_s16'
       or source_kind not in ('health', 'childrens_social_care')),
     check (decision <> 'share_partial' or cardinality(data_items) > 0)
   )`,
  `create index decisions_to_share_referral_idx on decisions_to_share (referral_id, decided_at)`,
  `create index decisions_to_share_young_person_idx on decisions_to_share (partnership_id, young_person_id)`,
  ...tenant("decisions_to_share"),

  `create table consent_withdrawals (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     decision_id uuid not null unique,
     withdrawn_by text not null check (withdrawn_by in ('young_person', 'parental_responsibility')),
     withdrawn_at timestamptz not null,
     recorded_by uuid not null,
     recorded_at timestamptz not null default now(),
     note text check (length(note) <= 2000),
     foreign key (partnership_id, decision_id) references decisions_to_share (partnership_id, id),
     foreign key (partnership_id, recorded_by) references users (partnership_id, id)
   )`,
  ...tenant("consent_withdrawals"),

  `create table emergency_accesses (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     young_person_id uuid not null,
     user_id uuid not null,
     agency_id uuid not null,
     reason text not null check (reason in ('risk_to_life', 'missing_child', 'imminent_harm',
       'out_of_hours_safeguarding', 'other')),
     reason_detail text not null check (length(reason_detail) between 1 and 2000),
     opened_at timestamptz not null,
     expires_at timestamptz not null check (expires_at > opened_at),
     review_outcome text check (review_outcome in ('appropriate', 'not_appropriate')),
     reviewed_by uuid,
     reviewed_at timestamptz,
     review_note text check (length(review_note) <= 2000),
     check ((review_outcome is null) = (reviewed_at is null)),
     foreign key (partnership_id, young_person_id) references young_people (partnership_id, id),
     foreign key (partnership_id, user_id) references users (partnership_id, id)
   )`,
  `create index emergency_accesses_user_idx on emergency_accesses (partnership_id, user_id, young_person_id)`,
  `create index emergency_accesses_review_idx on emergency_accesses (partnership_id, reviewed_at)`,
  ...tenant("emergency_accesses"),

  `grant select, insert on decisions_to_share, consent_withdrawals to crosswalk_app`,
  `grant select, insert on emergency_accesses to crosswalk_app`,
  // An administrator sets how long emergency access lasts for their partnership.
  `grant update (emergency_access_minutes) on partnerships to crosswalk_app`,
  `grant update (review_outcome, reviewed_by, reviewed_at, review_note) on emergency_accesses to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
