import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { readForm, wholeNumberField } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  getEmergencyAccessMinutes,
  setEmergencyAccessMinutes,
} from "~/services/partnership-settings.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Emergency access – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  return { minutes: await serviceCall(() => getEmergencyAccessMinutes(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const parsed = wholeNumberField(await readForm(request), "minutes", {
    min: 5,
    max: 1440,
    empty: "Enter how long emergency access lasts",
    invalid: "Emergency access must last a whole number of minutes from 5 to 1,440 (24 hours)",
  });
  if (!("value" in parsed)) return data(parsed, { status: 400 });
  const minutes = parsed.value;
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
          <PostForm action="/admin/emergency-access" noValidate>
            <TextInput
              id="minutes"
              label="How long emergency access lasts, in minutes"
              hint="240 minutes is 4 hours"
              inputMode="numeric"
              defaultValue={result?.answer ?? String(page.minutes)}
              error={errors[0]?.message}
            />
            <Button>Save</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
