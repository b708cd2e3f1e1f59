import { sql, type Kysely } from "kysely";

/**
 * Two rough edges a practitioner trips over (issue 18), in the tables' own rules.
 *
 * A case no longer closes with an action still open: closing says what happens to each, and one
 * of the answers is "handed over to another agency that stays involved", a status of its own that
 * names the agency (and only that status does).
 *
 * A decision not to share is asked only what it needs: what was not shared (`data_items`), with
 * whom, why, who decided and when to review it (`review_on`). The lawful basis, the purposes and
 * the consent questions are about sharing, so a decision not to share may leave them empty; every
 * decision to share must still give them, as before. Frozen once landed.
 */
const PURPOSES = `array['safeguarding', 'preventing_crime', 'early_intervention',
  'health_and_wellbeing', 'education']`;

const statements = [
  `alter table case_actions drop constraint case_actions_status_check`,
  `alter table case_actions add constraint case_actions_status_check
     check (status in ('open', 'done', 'cancelled', 'handed_over'))`,
  `alter table case_actions add column handed_to_agency_id uuid`,
  `alter table case_actions add constraint case_actions_handed_to_agency_fkey
     foreign key (partnership_id, handed_to_agency_id) references agencies (partnership_id, id)`,
  `alter table case_actions add constraint case_actions_handed_over_names_agency
     check ((status = 'handed_over') = (handed_to_agency_id is not null))`,

  `alter table decisions_to_share alter column article6 drop not null,
     alter column article9 drop not null,
     alter column gateway drop not null,
     add column review_on date`,
  `alter table decisions_to_share add constraint decisions_to_share_sharing_has_basis
     check (decision = 'not_share'
       or (article6 is not null and article9 is not null and gateway is not null))`,
  `alter table decisions_to_share drop constraint decisions_to_share_purposes_check`,
  `alter table decisions_to_share add constraint decisions_to_share_purposes_check
     check ((decision = 'not_share' or cardinality(purposes) > 0) and purposes <@ ${PURPOSES})`,
  `alter table decisions_to_share drop constraint decisions_to_share_check1`,
  `alter table decisions_to_share add constraint decisions_to_share_consent_or_reason
     check (decision = 'not_share' or consent_relied_on or consent_not_sought_reason is not null)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    `alter table decisions_to_share drop constraint decisions_to_share_consent_or_reason`,
    `alter table decisions_to_share add constraint decisions_to_share_check1
       check (consent_relied_on or consent_not_sought_reason is not null)`,
    `alter table decisions_to_share drop constraint decisions_to_share_purposes_check`,
    `alter table decisions_to_share add constraint decisions_to_share_purposes_check
       check (cardinality(purposes) > 0 and purposes <@ ${PURPOSES})`,
    `alter table decisions_to_share drop constraint decisions_to_share_sharing_has_basis`,
    `alter table decisions_to_share drop column review_on,
       alter column article6 set not null,
       alter column article9 set not null,
       alter column gateway set not null`,
    `alter table case_actions drop constraint case_actions_handed_over_names_agency`,
    `alter table case_actions drop constraint case_actions_handed_to_agency_fkey`,
    `alter table case_actions drop column handed_to_agency_id`,
    `alter table case_actions drop constraint case_actions_status_check`,
    `alter table case_actions add constraint case_actions_status_check
       check (status in ('open', 'done', 'cancelled'))`,
  ]) {
    await sql.raw(statement).execute(db);
  }
}
