import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  getEmergencyAccessMinutes,
  setEmergencyAccessMinutes,
} from "~/services/partnership-settings.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";

export const meta: MetaFunction = () => [{ title: "Emergency access – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  return { minutes: await serviceCall(() => getEmergencyAccessMinutes(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const form = await readForm(request);
  const value = form.get("minutes");
  const answer = typeof value === "string" ? value.trim() : "";
  const minutes = Number(answer);
  if (!/^\d+$/.test(answer) || minutes < 5 || minutes > 1440) {
    const message =
      answer === ""
        ? "Enter how long emergency access lasts"
        : "Emergency access must last a whole number of minutes from 5 to 1,440 (24 hours)";
    return data({ answer, errors: [{ field: "minutes", message }] }, { status: 400 });
  }
  await serviceCall(() => setEmergencyAccessMinutes(ctx, minutes));
  throw redirect("/admin/emergency-access?done=emergency-access-saved");
}

export default function EmergencyAccessSettings() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to="/admin">Back to administration</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={{ "emergency-access-saved": "Emergency access time saved" }} />
          <h1 className="govuk-heading-l">Emergency access</h1>
          <p className="govuk-body">
            A practitioner who is not involved in a case may open it in an emergency, stating why.
            The access ends by itself after this time, is flagged to the partnership lead and
            auditors, and is reviewed. Accesses already open keep the end they were given.
          </p>
          <Form method="post" action="/admin/emergency-access" noValidate>
            <TextInput
              id="minutes"
              label="How long emergency access lasts, in minutes"
              hint="240 minutes is 4 hours"
              inputMode="numeric"
              defaultValue={result?.answer ?? String(page.minutes)}
              error={errors[0]?.message}
            />
            <Button>Save</Button>
          </Form>
        </div>
      </div>
    </>
  );
}
