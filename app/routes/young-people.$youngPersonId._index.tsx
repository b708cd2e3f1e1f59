import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { OUTCOMES } from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getYoungPersonRecord } from "~/services/young-person-record.server";
import { BackLink } from "~/ui/back-link";
import { EmergencyAccessBanner } from "~/ui/emergency-access-banner";
import { formatDate, formatDateTime } from "~/ui/dates";
import { RagTag, StateTag } from "~/ui/referral-tags";
import { SummaryList } from "~/ui/summary-list";
import { Table } from "~/ui/table";

// A child's name stays out of the title, and so out of the browser's history on a shared computer.
export const meta: MetaFunction = () => [{ title: "Young person's record – Crosswalk" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "young_person", id: params.youngPersonId },
    "young_person.view",
  );
  const youngPersonId = uuidParam(params, "youngPersonId");
  return serviceCall(() => getYoungPersonRecord(ctx, youngPersonId));
}

const NOT_RECORDED = "Not recorded";

export default function YoungPerson() {
  const person = useLoaderData<typeof loader>();
  const dateOfBirth = person.dateOfBirth
    ? `${formatDate(person.dateOfBirth)} (${person.ageInYears ?? "?"} years old)`
    : "Not known";
  return (
    <>
      <BackLink to="/cases">Back to cases</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <EmergencyAccessBanner access={person.emergencyAccess} />
          <span className="govuk-caption-l">Young person</span>
          <h1 className="govuk-heading-l">{person.name}</h1>
          <SummaryList
            rows={[
              { key: "Given name", value: person.givenName },
              { key: "Family name", value: person.familyName },
              { key: "Known as", value: person.knownAs ?? NOT_RECORDED },
              { key: "Date of birth", value: dateOfBirth },
              { key: "Gender", value: person.genderLabel ?? NOT_RECORDED },
              { key: "Postcode district", value: person.postcodeDistrict ?? NOT_RECORDED },
              { key: "School", value: person.school ?? NOT_RECORDED },
              { key: "NHS number", value: person.nhsNumber ?? NOT_RECORDED },
              { key: "Unique pupil number", value: person.uniquePupilNumber ?? NOT_RECORDED },
              { key: "Police reference", value: person.policeReference ?? NOT_RECORDED },
            ]}
          />
          {person.mayCorrect ? (
            <p className="govuk-body">
              <Link className="govuk-link" to={`/young-people/${person.id}/edit`}>
                Correct these details
              </Link>
            </p>
          ) : null}
        </div>
      </div>
      <h2 className="govuk-heading-m">Referrals</h2>
      {person.referrals.length === 0 ? (
        <p className="govuk-body">There are no referrals about {person.name} that you can see.</p>
      ) : (
        <Table
          caption={`Referrals about ${person.name} that you can see`}
          captionSize="s"
          columns={[
            { label: "Reference" },
            { label: "Status" },
            { label: "RAG rating" },
            { label: "Submitted" },
            { label: "From" },
            { label: "Outcome" },
          ]}
          rows={person.referrals.map((referral) => ({
            key: referral.id,
            cells: [
              <Link key="reference" to={`/referrals/${referral.id}`} className="govuk-link">
                {referral.reference}
              </Link>,
              <StateTag key="state" state={referral.state} />,
              <RagTag key="rag" rag={referral.rag} />,
              referral.submittedAt ? formatDateTime(new Date(referral.submittedAt)) : "Not yet",
              referral.referrerAgencyName,
              referral.outcome ? OUTCOMES[referral.outcome] : "Not closed yet",
            ],
          }))}
        />
      )}
    </>
  );
}
