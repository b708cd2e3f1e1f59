import type pg from "pg";
import { OUTCOME_CODES } from "../../policies";
import {
  ACTIONS,
  AGENCY_ONLY_NOTES,
  CANCEL_NOTES,
  COMPETENCE_ASSESSMENT,
  DONE_NOTES,
  ESCALATION_RATIONALES,
  FIRST_NOTES,
  HUB_NOTE,
  IMMEDIATE_ACTION,
  LATER_NOTES,
  NOT_SOUGHT,
  OUTCOME_SUMMARIES,
  PANEL_RATIONALES,
  RAG_RATIONALES,
  SCREENING_NOTE,
  SHARE_ADVICE,
  SHARE_RATIONALES,
  SHARE_VIEWS,
  STORIES,
  STORY_BASIS,
  YOUNG_PERSON_KNOWS,
  type ShareBasis,
  type StoryKey,
} from "../seed/demo-cases";
import {
  DECLINE_REASONS_GENERATED,
  EMERGENCY_DETAILS,
  EMERGENCY_REVIEW_NOTES,
  FAMILY_NAMES,
  GIVEN_NAMES,
  KNOWN_AS,
  NOTE_FOLLOW_UPS,
  WITHDRAWAL_REASONS,
} from "./vocabulary";

/**
 * The words generated cases are written in, as session tables the set-based SQL picks from:
 * `gen_text` (kind, i, n, body, extra), where a pick is `i = floor(u * n)`; `gen_story`, the demo's
 * stories grouped by the kind of agency that tells them; `gen_given` and `gen_family`, the names.
 * Placeholders ({name}, {their}, {them}) are filled per young person by fillSql().
 */

/** The demo seed's stories, four for each group of referring agencies. */
const STORY_GROUPS: Readonly<Record<string, readonly StoryKey[]>> = {
  school: ["attendance", "video", "knife", "missing"],
  police: ["countyLine", "stabbing", "estate", "careHome"],
  hospital: ["stabWound", "assault", "party", "payback"],
  advocacy: ["excluded", "debt", "onlineThreats", "witness"],
  statutory: ["careHome", "countyLine", "excluded", "debt"],
};
export const STORIES_PER_GROUP = 4;

const BASES: readonly ShareBasis[] = [
  "consent",
  "writtenConsent",
  "competentConsent",
  "increaseRisk",
  "investigation",
  "unobtainable",
  "emergency",
];

/** Every text kind and its texts (with an extra column where a text carries a code). */
function textRows(): { kind: string; body: string; extra: string | null }[] {
  const rows: { kind: string; body: string; extra: string | null }[] = [];
  const add = (kind: string, bodies: readonly string[], extra: (index: number) => string | null) =>
    bodies.forEach((body, index) => rows.push({ kind, body, extra: extra(index) }));
  const plain = (kind: string, bodies: readonly string[]) => add(kind, bodies, () => null);
  plain("yp_knows", YOUNG_PERSON_KNOWS);
  plain("immediate", IMMEDIATE_ACTION);
  for (const [rag, texts] of Object.entries(RAG_RATIONALES)) plain(`rag:${rag}`, texts);
  plain("panel", PANEL_RATIONALES);
  for (const outcome of OUTCOME_CODES) plain(`outcome:${outcome}`, OUTCOME_SUMMARIES[outcome]);
  for (const [to, text] of Object.entries(ESCALATION_RATIONALES)) plain(`escalate:${to}`, [text]);
  add(
    "first_note",
    FIRST_NOTES.map((note) => note.body),
    (i) => FIRST_NOTES[i]?.kind ?? null,
  );
  add(
    "later_note",
    LATER_NOTES.map((note) => note.body),
    (i) => LATER_NOTES[i]?.kind ?? null,
  );
  plain("follow_up", NOTE_FOLLOW_UPS);
  plain("hub_note", [HUB_NOTE]);
  plain("screening_note", [SCREENING_NOTE]);
  for (const [agency, text] of Object.entries(AGENCY_ONLY_NOTES))
    plain(`agency_only:${agency}`, [text]);
  for (const [agency, texts] of Object.entries(ACTIONS)) plain(`action:${agency}`, texts);
  plain("done", DONE_NOTES);
  plain("cancel", CANCEL_NOTES);
  for (const basis of BASES) {
    plain(`share:${basis}`, SHARE_RATIONALES[basis]);
    const advice = SHARE_ADVICE[basis];
    if (advice) plain(`advice:${basis}`, [advice]);
    const views = SHARE_VIEWS[basis];
    if (views) plain(`views:${basis}`, [views]);
    const reason = NOT_SOUGHT[basis];
    if (reason) plain(`not_sought:${basis}`, [reason]);
  }
  plain("competence", [COMPETENCE_ASSESSMENT]);
  plain("withdraw", WITHDRAWAL_REASONS);
  plain("decline", DECLINE_REASONS_GENERATED);
  plain("emergency", EMERGENCY_DETAILS);
  plain("emergency_review", EMERGENCY_REVIEW_NOTES);
  return rows;
}

/** Create the session's text, story and name tables (once per session). */
export async function prepareTextTables(client: pg.ClientBase): Promise<void> {
  const texts = textRows();
  const stories = Object.entries(STORY_GROUPS).flatMap(([group, keys]) =>
    keys.map((key, index) => ({ group, index, key, story: STORIES[key] })),
  );
  await client.query("drop table if exists gen_text, gen_story, gen_given, gen_family");
  await client.query(
    `create temp table gen_text as
     select kind, (row_number() over (partition by kind order by ordinality) - 1)::int as i,
       (count(*) over (partition by kind))::int as n, body, extra
     from unnest($1::text[], $2::text[], $3::text[]) with ordinality as t (kind, body, extra, ordinality)`,
    [texts.map((t) => t.kind), texts.map((t) => t.body), texts.map((t) => t.extra)],
  );
  await client.query("create index on gen_text (kind, i)");
  await client.query(
    `create temp table gen_story as
     select grp, i::int, key, themes, roles, indicators::jsonb, concern, family, basis
     from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[])
       as s (grp, i, key, themes_text, roles_text, indicators, concern, family, basis),
     lateral (select string_to_array(themes_text, ',') as themes,
                     string_to_array(roles_text, ',') as roles) as arrays`,
    [
      stories.map((s) => s.group),
      stories.map((s) => s.index),
      stories.map((s) => s.key),
      stories.map((s) => s.story.themes.join(",")),
      stories.map((s) => s.story.roles.join(",")),
      stories.map((s) =>
        JSON.stringify(s.story.indicators.map(([code, severity]) => ({ code, severity }))),
      ),
      stories.map((s) => s.story.concern),
      stories.map((s) => s.story.family),
      stories.map((s) => STORY_BASIS[s.key]),
    ],
  );
  await client.query(
    `create temp table gen_given as
     select (ordinality - 1)::int as i, name, gender, known_as
     from unnest($1::text[], $2::text[], $3::text[]) with ordinality as g (name, gender, known_as, ordinality)`,
    [
      GIVEN_NAMES.map((g) => g.name),
      GIVEN_NAMES.map((g) => g.gender),
      GIVEN_NAMES.map((g) => KNOWN_AS[g.name] ?? null),
    ],
  );
  await client.query(
    `create temp table gen_family as
     select (ordinality - 1)::int as i, name
     from unnest($1::text[]) with ordinality as f (name, ordinality)`,
    [FAMILY_NAMES],
  );
  await client.query("analyze gen_text, gen_story, gen_given, gen_family");
}

export const GIVEN_COUNT = GIVEN_NAMES.length;
export const FAMILY_COUNT = FAMILY_NAMES.length;

/** SQL picking a text of `kind` (an SQL expression) with the uniform `u`. */
export function textSql(kind: string, u: string): string {
  return `(select t.body from gen_text t where t.kind = ${kind} and t.i = floor(${u} * t.n)::int)`;
}

/** SQL picking a text's extra column (a note's kind) with the same pick as textSql. */
export function textExtraSql(kind: string, u: string): string {
  return `(select t.extra from gen_text t where t.kind = ${kind} and t.i = floor(${u} * t.n)::int)`;
}

/** SQL filling {name}, {their} and {them} from a row of gen_yp aliased `person`. */
export function fillSql(text: string, person: string): string {
  return `replace(replace(replace(${text}, '{name}', ${person}.call_name), '{their}', ${person}.their), '{them}', ${person}.them)`;
}
