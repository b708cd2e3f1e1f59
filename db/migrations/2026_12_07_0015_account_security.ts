import { sql, type Kysely } from "kysely";

/**
 * Account security for administrators: whether a person has a second factor, and resetting it.
 *
 * Migration 0013 lets only the person themselves read their authenticator key, recovery codes and
 * passkeys. An administrator must still see *whether* a person has them (yes or no, and which
 * kind), and reset them, without any way to read the key. Row-level security cannot hide a column,
 * and a DELETE whose WHERE names the person needs the rows to be readable, so both go through two
 * narrow definer-owned functions (as migration 0011's do): the owner may read these rows within
 * the partnership (a policy for the owner role alone, which the application never connects as),
 * and the functions return counts and yes/no, never a key. Each checks the acting person in the
 * database as well: only an administrator (or the person, for the status), never on themselves
 * for a reset. Frozen once landed.
 */
const definer = "security definer set search_path = pg_catalog, public";

const tables = ["totp_authenticators", "recovery_codes", "passkeys"];

const statements = [
  ...tables.map(
    (table) =>
      `create policy ${table}_owner_read on ${table} for select to crosswalk_owner
         using (partnership_id = app_partnership_id())`,
  ),

  // Whether a person can give a second factor: a confirmed authenticator app, how many passkeys,
  // and how many recovery codes are unused. For an administrator, or the person themselves.
  `create function app_second_factor_status(p_user uuid,
       out totp boolean, out passkeys integer, out recovery_codes_left integer)
     language plpgsql stable ${definer} as $$
   begin
     if public.app_actor_role() is distinct from 'administrator'
        and p_user is distinct from public.app_user_id() then
       raise exception 'only an administrator or the person may see whether they have a second factor'
         using errcode = 'insufficient_privilege';
     end if;
     select exists (select 1 from public.totp_authenticators t
                    where t.partnership_id = public.app_partnership_id() and t.user_id = p_user
                      and t.confirmed_at is not null)
       into totp;
     select count(*) from public.passkeys p
       where p.partnership_id = public.app_partnership_id() and p.user_id = p_user
       into passkeys;
     select count(*) from public.recovery_codes r
       where r.partnership_id = public.app_partnership_id() and r.user_id = p_user
         and r.used_at is null
       into recovery_codes_left;
   end $$`,

  // An administrator's reset: the person's authenticator key (confirmed or half set up), recovery
  // codes and passkeys are removed, so they set one up again at their next sign-in. Returns how
  // many of each there were.
  `create function app_reset_second_factor(p_user uuid,
       out totp integer, out passkeys integer, out recovery_codes integer)
     language plpgsql volatile ${definer} as $$
   begin
     if public.app_actor_role() is distinct from 'administrator' then
       raise exception 'only an administrator may reset a second factor'
         using errcode = 'insufficient_privilege';
     end if;
     if p_user = public.app_user_id() then
       raise exception 'an administrator may not reset their own second factor'
         using errcode = 'insufficient_privilege';
     end if;
     delete from public.totp_authenticators t
       where t.partnership_id = public.app_partnership_id() and t.user_id = p_user;
     get diagnostics totp = row_count;
     delete from public.passkeys p
       where p.partnership_id = public.app_partnership_id() and p.user_id = p_user;
     get diagnostics passkeys = row_count;
     delete from public.recovery_codes r
       where r.partnership_id = public.app_partnership_id() and r.user_id = p_user;
     get diagnostics recovery_codes = row_count;
   end $$`,

  `revoke all on function app_second_factor_status(uuid), app_reset_second_factor(uuid) from public`,
  `grant execute on function app_second_factor_status(uuid), app_reset_second_factor(uuid)
     to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`drop function app_reset_second_factor(uuid), app_second_factor_status(uuid)`)
    .execute(db);
  for (const table of tables) {
    await sql.raw(`drop policy ${table}_owner_read on ${table}`).execute(db);
  }
}
