import type { AgencyKind, Gender } from "../../policies";

/**
 * The words of generated data: fictional people (common first names and surnames, combined at
 * random, so they match nobody), the generated partnership's fictional place and agencies, and
 * the sentences practitioners add to their notes. Case texts themselves come from the demo seed
 * (db/seed/demo-cases.ts), so generated cases read like the demo's.
 */

function words(text: string): string[] {
  return text.split(" ");
}

/** The generated partnership's fictional area, its postcode districts' letters and email domain. */
export const PLACE = { name: "Eastmoor", postcode: "EM", domain: "eastmoor.example" } as const;

export const GIVEN_NAMES: readonly { name: string; gender: Gender }[] = [
  ...words(
    "Aaron Adam Ahmed Alfie Ali Archie Ben Bilal Bradley Caleb Callum Charlie Connor Daniel " +
      "Darnell Dylan Elijah Ethan Ewan Finley Harley Harry Hassan Isaac Jack Jacob Jamal Jayden " +
      "Joel Jordan Joshua Kai Kacper Kieran Kofi Leon Lewis Liam Logan Louis Luca Malachi Marcus " +
      "Mason Mohammed Nathan Noah Oliver Omar Oscar Reece Rhys Riley Ryan Samuel Theo Tyler " +
      "Yusuf Zach Zain",
  ).map((name) => ({ name, gender: "male" as const })),
  ...words(
    "Aaliyah Abigail Aisha Amara Amelia Amy Ava Bethany Chantelle Chloe Courtney Demi Ella " +
      "Ellie Emily Erin Esme Fatima Freya Grace Hana Hodan Imani Isla Jade Jasmine Kayla Keira " +
      "Lacey Leah Lily Maja Maryam Mia Nadia Niamh Olivia Paige Precious Ruby Sade Shannon " +
      "Sienna Simran Skye Sophie Tia Zara Zainab",
  ).map((name) => ({ name, gender: "female" as const })),
  ...words("Alex Frankie Jesse Remi Robin Sam Tomi").map((name) => ({
    name,
    gender: "non_binary" as const,
  })),
];

export const FAMILY_NAMES: readonly string[] = words(
  "Adams Adebayo Ahmed Ali Anderson Asante Bailey Baker Begum Bennett Brown Campbell Carter " +
    "Clarke Collins Cooper Davies Dixon Doyle Edwards Evans Farah Fletcher Francis Gordon Grant " +
    "Green Hall Harris Hassan Hill Hughes Hussain Jackson James Johnson Jones Kaur Kelly Khan " +
    "King Kowalski Lewis Lloyd Malik Marshall Martin Mensah Miah Mitchell Moore Morgan Murphy " +
    "Nowak O'Brien O'Connor Okafor Okonkwo Owen Palmer Parker Patel Phillips Price Rahman Reid " +
    "Richards Roberts Robinson Rose Shah Singh Smith Spencer Stewart Taylor Thomas Thompson " +
    "Turner Walker Walsh Ward Warsame Watson White Williams Wilson Wood Wright Yilmaz Young",
);

/** Names a young person goes by, for some of the given names. */
export const KNOWN_AS: Readonly<Record<string, string>> = {
  Mohammed: "Mo",
  Nathan: "Nate",
  Joshua: "Josh",
  Samuel: "Sam",
  Oliver: "Ollie",
  Abigail: "Abi",
  Jasmine: "Jas",
  Alexander: "Alex",
  Daniel: "Dan",
  Malachi: "Kai",
};

const PLACES = (
  "Ashgrove,Brookfield,Castlegate,Dunmore,Elmbridge,Fairhaven,Greystone,Highbury Vale," +
  "Ironbridge,Juniper Hill,Kingsmead,Larkspur,Millbrook,Northfield,Oakwood,Parkside,Queensway," +
  "Riverside,Stonecross,Thornbury,Underhill,Victoria Park,Westbrook,Yewtree,Abbeyfields,Bramley," +
  "Cedar Lane,Deanswood,Eastgate,Foxhill,Glenfield,Hawthorn"
).split(",");
const SCHOOL_KINDS = ["Academy", "High School", "Community College", "School", "Academy"];

/** The agencies of each kind, in order: the first local authority is the hub (the VRU). */
export function agencyNames(kind: AgencyKind, count: number): string[] {
  const place = PLACE.name;
  const fixed: Record<Exclude<AgencyKind, "school">, string[]> = {
    local_authority: [
      `${place} Violence Reduction Unit`,
      `${place} Council Youth Service`,
      `${place} Council Community Safety`,
    ],
    police: [
      `${place} Police Safeguarding Hub`,
      `${place} Police Neighbourhood Policing North`,
      `${place} Police Neighbourhood Policing South`,
      `${place} Police Child Exploitation Team`,
      `${place} Police Schools Officers`,
    ],
    childrens_social_care: [
      `${place} Children's Social Care`,
      `${place} Children's Social Care Exploitation Team`,
    ],
    youth_justice: [`${place} Youth Justice Service`, `${place} Youth Justice Prevention Team`],
    health: [
      `${place} General Hospital (A&E youth work)`,
      `${place} Children's Mental Health Service`,
      `${place} School Nursing`,
      `${place} Sexual Health Outreach`,
      `${place} Drug and Alcohol Service for Young People`,
    ],
    advocacy: [
      `${place} Young People's Advocates`,
      `${place} Independent Child Trafficking Guardians`,
      `${place} Family Advocacy Project`,
      `${place} Young Witness Support`,
    ],
    voluntary: [
      `${place} Street Mentors`,
      `${place} Boxing Academy`,
      `${place} Youth Club Network`,
      `${place} Sports Outreach`,
      `${place} Music and Media Project`,
      `${place} Faith Communities Youth Work`,
      `${place} Parents Against Exploitation`,
    ],
  };
  if (kind === "school") {
    return Array.from({ length: count }, (_, index) => {
      const area = PLACES[index % PLACES.length] ?? "Central";
      const type = SCHOOL_KINDS[index % SCHOOL_KINDS.length] ?? "School";
      const round = Math.floor(index / PLACES.length);
      return `${area} ${type}${round ? ` ${round + 1}` : ""}`;
    });
  }
  const names = fixed[kind];
  return Array.from(
    { length: count },
    (_, index) => names[index] ?? `${names[0] ?? place} ${index + 1}`,
  );
}

/** A short web-safe name for an agency, for its email domain. */
export function agencySlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

/**
 * The second half of a note: what happens next, so a note runs to a few hundred characters, as a
 * practitioner's do.
 */
export const NOTE_FOLLOW_UPS: readonly string[] = [
  "Next contact booked for the same time next week; {name} has my number and knows to ring if anything changes before then.",
  "I have updated the safety plan with {them} and shared it with the other agencies involved, as agreed at the last review.",
  "School have been told what was agreed, and the head of year will check in with {name} at lunchtime each day this week.",
  "{name} seemed calmer than last time and talked more about what {name} wants from college next year.",
  "Parent was there for the second half and is worried about who {name} is spending evenings with; we agreed to talk again on Friday.",
  "No new concerns raised today. Will keep the rating under review and raise it at the next panel if anything escalates.",
  "Discussed with my supervisor afterwards: the plan stands, and we will look again at the risk picture in two weeks.",
  "{name} asked for help with a bus pass and a phone top-up so {name} can get to the boxing club; I will ask the hub about the small grants fund.",
  "We talked about the people {name} is worried about; nothing new to pass on, but I will keep the neighbourhood team informed.",
  "Left the family the leaflet about the drop-in at the community centre and agreed I would text {name} on Monday morning.",
];

/** Why a generated referral was withdrawn by the person who made it. */
export const WITHDRAWAL_REASONS: readonly string[] = [
  "Withdrawn after speaking with the family: {name} already has a worker through another service, who will refer with fuller information if it is needed.",
  "The family have moved out of the area for now. Will re-refer if {name} comes back.",
  "Made in error: this concern was already referred by a colleague the day before.",
];

/** Why a receiving agency declined a referral, in its lead's words. */
export const DECLINE_REASONS_GENERATED: readonly string[] = [
  "We cannot offer a worker within the response time this week: the team is at capacity. Suggest the mentoring service in the meantime.",
  "No role for us at this stage: the young person is not known to us and no offences are disclosed. We will share anything relevant if that changes.",
  "Already supported by one of our workers under another plan; a second allocation would duplicate it.",
];

/** What an emergency access was opened for, and why it was reviewed as it was. */
export const EMERGENCY_DETAILS: readonly string[] = [
  "{name} has been reported missing by {their} family and {their} phone is off. I need to know which agencies are working with {name}, and any places named in the referral, to focus the search.",
  "A caller reported a group looking for {name} with a weapon. I needed to know whether {name} is known to services and how to reach {their} allocated worker tonight.",
];
export const EMERGENCY_REVIEW_NOTES: readonly string[] = [
  "Appropriate: a credible risk out of hours, and the officer read only the contact details and the safety plan.",
  "Appropriate: the search needed the places named in the referral; the allocated worker was told the next morning.",
];
