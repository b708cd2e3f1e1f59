import { sql } from "kysely";
import { addAction, addNote } from "../../../app/services/case-work.server";
import { openEmergencyAccess } from "../../../app/services/emergency-access.server";
import type { TestDatabase } from "../../support/database";
import {
  contextFor,
  createReferralWorld,
  referralAt,
  TEST_PASSWORD,
} from "../../support/factories";
import { connectTo, type ServerAddress } from "./server";

/**
 * A second partnership beside the demo one, with a record of every kind an id can name: what a
 * person of one partnership must never reach by typing another's ids.
 */
export interface SecondPartnership {
  partnershipId: string;
  /** Its partnership lead, who may see every case of their own partnership. */
  lead: { userId: string; agencyId: string; email: string; password: string };
  ids: {
    referral: string;
    youngPerson: string;
    note: string;
    agencyOnlyNote: string;
    action: string;
    decision: string;
    emergencyAccess: string;
    user: string;
    agency: string;
  };
}

/**
 * Make the second partnership in the server's database: its agencies and people as the owner role
 * (test/support/factories), and an active case with notes, an action, a decision to share and an
 * emergency access through the services as its own people would, so its access log is real too.
 */
export async function seedSecondPartnership(address: ServerAddress): Promise<SecondPartnership> {
  const owner = await connectTo(address, "owner");
  const app = await connectTo(address, "app");
  const superuser = await connectTo(address, "superuser");
  try {
    const world = await createReferralWorld(owner);
    const db = { owner, app, superuser } as unknown as TestDatabase;
    const referral = await referralAt(db, world, "active", {
      youngPerson: { givenName: "Kofi", familyName: "Second-Partnership" },
    });
    const advocate = contextFor(app, world.people.advocacyPractitioner);
    const today = new Date().toISOString().slice(0, 10);
    const note = await addNote(advocate, referral.id, {
      kind: "contact_in_person",
      visibility: "shared",
      occurredOn: today,
      body: "Met at the youth centre; he talked about the older boys.",
    });
    const agencyOnlyNote = await addNote(advocate, referral.id, {
      kind: "case_note",
      visibility: "agency_only",
      occurredOn: today,
      body: "Within the advocates only: worried about his brother too.",
    });
    const action = await addAction(advocate, referral.id, {
      description: "Arrange a mentor.",
      assignedAgencyId: world.agencies.advocacy.id,
      dueOn: today,
    });
    await openEmergencyAccess(
      contextFor(app, world.people.policePractitioner),
      referral.youngPersonId,
      {
        reason: "missing_child",
        detail: "Reported missing tonight; need to know who works with him.",
      },
    );
    const decision = await sql<{ id: string }>`
      select id from decisions_to_share where referral_id = ${referral.id} limit 1
    `.execute(superuser);
    const emergency = await sql<{ id: string }>`
      select id from emergency_accesses where young_person_id = ${referral.youngPersonId} limit 1
    `.execute(superuser);
    const { lead } = world.people;
    return {
      partnershipId: world.partnership.id,
      lead: {
        userId: lead.id,
        agencyId: lead.agency_id,
        email: lead.email,
        password: TEST_PASSWORD,
      },
      ids: {
        referral: referral.id,
        youngPerson: referral.youngPersonId,
        note: note.id,
        agencyOnlyNote: agencyOnlyNote.id,
        action: action.id,
        decision: only(decision.rows, "decision to share"),
        emergencyAccess: only(emergency.rows, "emergency access"),
        user: world.people.advocacyPractitioner.id,
        agency: world.agencies.advocacy.id,
      },
    };
  } finally {
    await Promise.all([owner.destroy(), app.destroy(), superuser.destroy()]);
  }
}

function only(rows: { id: string }[], what: string): string {
  const id = rows[0]?.id;
  if (!id) throw new Error(`The second partnership has no ${what}`);
  return id;
}
