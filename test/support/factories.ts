import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { hashPassword } from "../../db/password-hash";
import { setTenant } from "../../db/tenant";
import type { Agency, Database, User } from "../../db/types";
import type { AgencyKind, Role } from "../../policies";
import type { ServiceContext } from "../../app/services/context.server";

/** The password every factory-made user has unless a test says otherwise. */
export const TEST_PASSWORD = "correct horse battery staple";
let testPasswordHash: Promise<string> | undefined;

function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A partnership with nothing in it. */
export async function createPartnership(db: Kysely<Database>, name = unique("Partnership")) {
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await setTenant(trx, id);
    await trx.insertInto("partnerships").values({ id, name }).execute();
  });
  return { id, name };
}

/** An agency in a partnership. */
export async function createAgency(
  db: Kysely<Database>,
  partnershipId: string,
  overrides: Partial<{ name: string; kind: AgencyKind; isActive: boolean }> = {},
): Promise<Agency> {
  return db.transaction().execute(async (trx) => {
    await setTenant(trx, partnershipId);
    return trx
      .insertInto("agencies")
      .values({
        partnership_id: partnershipId,
        name: overrides.name ?? unique("Agency"),
        kind: overrides.kind ?? "police",
        is_active: overrides.isActive ?? true,
        contact_name: null,
        contact_email: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** A user in an agency, with TEST_PASSWORD unless `password` is given (null: no password set yet). */
export async function createUser(
  db: Kysely<Database>,
  agency: Pick<Agency, "id" | "partnership_id">,
  overrides: Partial<{
    email: string;
    name: string;
    role: Role;
    isActive: boolean;
    password: string | null;
  }> = {},
): Promise<User> {
  const passwordHash =
    overrides.password === null
      ? null
      : overrides.password !== undefined
        ? await hashPassword(overrides.password)
        : await (testPasswordHash ??= hashPassword(TEST_PASSWORD));
  return db.transaction().execute(async (trx) => {
    await setTenant(trx, agency.partnership_id);
    return trx
      .insertInto("users")
      .values({
        partnership_id: agency.partnership_id,
        agency_id: agency.id,
        email: overrides.email ?? `${unique("user")}@example.test`,
        display_name: overrides.name ?? unique("Person"),
        role: overrides.role ?? "practitioner",
        is_active: overrides.isActive ?? true,
        password_hash: passwordHash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** A partnership with one agency and one user in it: the smallest world most tests need. */
export async function createWorld(db: Kysely<Database>, role: Role = "practitioner") {
  const partnership = await createPartnership(db);
  const agency = await createAgency(db, partnership.id);
  const user = await createUser(db, agency, { role });
  return { partnership, agency, user };
}

/** The context a service receives when this user is signed in. */
export function contextFor(
  db: Kysely<Database>,
  user: Pick<User, "id" | "partnership_id" | "agency_id" | "role" | "display_name" | "email">,
): ServiceContext {
  return {
    db,
    requestId: randomUUID(),
    clientAddress: "192.0.2.20",
    actor: {
      userId: user.id,
      partnershipId: user.partnership_id,
      partnershipName: "Test partnership",
      agencyId: user.agency_id,
      agencyName: "Test agency",
      role: user.role,
      displayName: user.display_name,
      email: user.email,
    },
  };
}
