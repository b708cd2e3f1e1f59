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
import { getSuppressionThreshold, setSuppressionThreshold } from "~/services/oversight.server";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary, TextInput } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Dashboard exports – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  return { threshold: await serviceCall(() => getSuppressionThreshold(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "partnership.configure");
  const parsed = wholeNumberField(await readForm(request), "threshold", {
    min: 2,
    max: 100,
    empty: "Enter the smallest count an export may show",
    invalid: "The smallest count an export may show must be a whole number from 2 to 100",
  });
  if (!("value" in parsed)) return data(parsed, { status: 400 });
  const threshold = parsed.value;
  await serviceCall(() => setSuppressionThreshold(ctx, threshold));
  throw redirect("/admin/oversight?done=threshold-saved");
}

export default function OversightSettings() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to="/admin">Back to administration</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={{ "threshold-saved": "Smallest count saved" }} />
          <h1 className="govuk-heading-l">Dashboard exports</h1>
          <p className="govuk-body">
            Partnership and agency leads can download each dashboard table as a spreadsheet (CSV).
            These downloads name no one, but a very small count can still point to a young person.
            Counts below this number are shown as &ldquo;fewer than&rdquo; it instead, and another
            count is hidden with them where it would let the hidden one be worked out.
          </p>
          <PostForm action="/admin/oversight" noValidate>
            <TextInput
              id="threshold"
              label="Smallest count an export may show"
              hint="5 is the usual threshold: counts of 1 to 4 are hidden"
              inputMode="numeric"
              defaultValue={result?.answer ?? String(page.threshold)}
              error={errors[0]?.message}
            />
            <Button>Save</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
