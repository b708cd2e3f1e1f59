import type { Transaction } from "kysely";
import type { Database } from "../../db/types";

/** The names a page shows beside ids: agencies' and people's. */
export interface Names {
  agencyName(id: string | null): string | undefined;
  personName(id: string | null): string | undefined;
}

/**
 * The names of just the agencies and people a page refers to, read by id under the transaction's
 * row-level security. A partnership's users grow with it (thousands at a large one): reading
 * every one of them to name the few on a case cost more than the rest of the case.
 */
export async function namesOf(
  trx: Transaction<Database>,
  ids: { agencyIds: Iterable<string | null>; userIds: Iterable<string | null> },
): Promise<Names> {
  const wanted = (values: Iterable<string | null>) =>
    [...new Set(values)].filter((value): value is string => value !== null);
  const agencyIds = wanted(ids.agencyIds);
  const userIds = wanted(ids.userIds);
  const [agencies, people] = await Promise.all([
    agencyIds.length
      ? trx.selectFrom("agencies").select(["id", "name"]).where("id", "in", agencyIds).execute()
      : [],
    userIds.length
      ? trx.selectFrom("users").select(["id", "display_name"]).where("id", "in", userIds).execute()
      : [],
  ]);
  const agencyNames = new Map(agencies.map((agency) => [agency.id, agency.name]));
  const personNames = new Map(people.map((person) => [person.id, person.display_name]));
  return {
    agencyName: (id) => (id === null ? undefined : agencyNames.get(id)),
    personName: (id) => (id === null ? undefined : personNames.get(id)),
  };
}
