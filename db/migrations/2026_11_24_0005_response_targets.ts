import { sql, type Kysely } from "kysely";

/**
 * An administrator sets their partnership's response targets: the application may change that one
 * column of its own partnership's row (row-level security already limits it to that row). Frozen
 * once landed.
 */
const statements = [`grant update (response_targets) on partnerships to crosswalk_app`];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
