import {
  data,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { lookUpYoungPeople } from "~/services/access-log.server";
import { readDelaySeconds, readingFrom } from "~/services/read-replica.server";
import { searchHref } from "~/ui/access-log-table";
import { formatDate } from "~/ui/dates";
import { Button, ErrorSummary, TextInput, errorFor, type FieldError } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { ReplicaDelayNotice } from "~/ui/replica-delay-notice";
import { Table } from "~/ui/table";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [
  { title: "Look up a young person – Access log – Crosswalk" },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireActorFor(request, context, "audit.read");
  return null;
}

const NAME_MAX = 100;

const NameSchema = plainText("The name")
  .trim()
  .min(2, "Enter at least 2 letters of the young person's name")
  .max(NAME_MAX, `The name must be ${NAME_MAX} characters or fewer`);

/** The name travels in the form's body, never the address, and the lookup is recorded. */
export async function action({ request, context }: ActionFunctionArgs) {
  // The lookup reads the replica, when there is one; it is recorded on the primary.
  const ctx = readingFrom(await requireActorFor(request, context, "audit.read"), context.replicaDb);
  const form = await readForm(request);
  const raw = form.get("name");
  const parsed = NameSchema.safeParse(typeof raw === "string" ? raw : "");
  const name = asTyped(raw, NAME_MAX);
  if (!parsed.success) {
    const errors: FieldError[] = [
      { field: "name", message: parsed.error.issues[0]?.message ?? "" },
    ];
    return data({ name, errors, matches: null, replicaDelay: 0 }, { status: 400 });
  }
  const matches = await serviceCall(() => lookUpYoungPeople(ctx, parsed.data));
  const replicaDelay = await readDelaySeconds(ctx);
  return { name, errors: [] as FieldError[], matches, replicaDelay };
}

export default function LookUpYoungPerson() {
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <ReplicaDelayNotice
          seconds={result?.replicaDelay ?? 0}
          subject="These results"
          consequence="A young person recorded in the last moments may not be found yet."
        />
        <Link className="govuk-back-link" to="/audit">
          Access log
        </Link>
        <span className="govuk-caption-l">Access log</span>
        <h1 className="govuk-heading-l">Look up a young person</h1>
        <p className="govuk-body">
          Find a young person to see everyone who opened, searched for or changed their records.
          Your lookup is recorded in the access log.
        </p>
        <PostForm action="/audit/young-people">
          <TextInput
            id="name"
            label="Young person's name"
            hint="Given name, family name or the name they are known by"
            defaultValue={result?.name ?? ""}
            error={errorFor(errors, "name")}
            autoComplete="off"
            spellCheck={false}
          />
          <Button>Look up</Button>
        </PostForm>
      </div>
      {result?.matches ? (
        <div className="govuk-grid-column-full">
          {result.matches.length === 0 ? (
            <p className="govuk-body">No young person in the partnership has a name like that.</p>
          ) : (
            <Table
              caption={`${result.matches.length} ${result.matches.length === 1 ? "young person" : "young people"} found`}
              columns={[
                { label: "Name" },
                { label: "Date of birth" },
                { label: "Postcode district" },
              ]}
              rows={result.matches.map((match) => ({
                key: match.id,
                cells: [
                  <Link
                    key="name"
                    className="govuk-link"
                    to={searchHref({ youngPerson: match.id })}
                  >
                    {match.name}
                    <span className="govuk-visually-hidden">: access history</span>
                  </Link>,
                  match.dateOfBirth ? formatDate(match.dateOfBirth) : "Not known",
                  match.postcodeDistrict ?? "Not known",
                ],
              }))}
            />
          )}
        </div>
      ) : null}
    </div>
  );
}
