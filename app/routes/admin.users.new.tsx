import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { setPasswordUrl } from "~/auth/set-password-links.server";
import { fieldErrors, readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { InvalidInput } from "~/services/errors";
import { agencyChoices, createUser } from "~/services/users.server";
import { BackLink } from "~/ui/back-link";
import { formatDateTime } from "~/ui/dates";
import { Button, ErrorSummary } from "~/ui/form";
import { OneTimeLink } from "~/ui/one-time-link";
import {
  EMPTY_USER,
  NEW_USER_FIELDS,
  NewUserSchema,
  UserFields,
  userAnswers,
} from "~/ui/user-form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Add a user – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "user.manage");
  return { agencies: await serviceCall(() => agencyChoices(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "user.manage");
  await requireStepUp(request, context, ctx);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: NewUserSchema });
  if (submission.status !== "success") {
    const errors = fieldErrors(submission.reply(), NEW_USER_FIELDS);
    return data({ answers: userAnswers(form), errors, created: null }, { status: 400 });
  }
  try {
    const { link } = await serviceCall(() => createUser(ctx, submission.value));
    // The link is shown once, in this response: never in a URL, never stored, never cached.
    const created = {
      displayName: submission.value.displayName,
      url: setPasswordUrl(context.publicUrl, link.token),
      expires: formatDateTime(link.expiresAt),
    };
    return data(
      { answers: EMPTY_USER, errors: [], created },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data(
      { answers: userAnswers(form), errors: error.errors, created: null },
      { status: 400 },
    );
  }
}

export default function NewUser() {
  const { agencies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  if (result?.created) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <OneTimeLink
            title={`Account created for ${result.created.displayName}`}
            displayName={result.created.displayName}
            link={result.created}
          >
            <ul className="govuk-list">
              <li>
                <Link to="/admin/users" className="govuk-link">
                  Go to user accounts
                </Link>
              </li>
              <li>
                <Link to="/admin/users/new" className="govuk-link">
                  Add another user
                </Link>
              </li>
            </ul>
          </OneTimeLink>
        </div>
      </div>
    );
  }
  return (
    <>
      <BackLink to="/admin/users">Back to user accounts</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">Partnership administration</span>
          <h1 className="govuk-heading-l">Add a user</h1>
          {agencies.length === 0 ? (
            <p className="govuk-body">
              There are no active agencies to add someone to.{" "}
              <Link to="/admin/agencies/new" className="govuk-link">
                Add an agency
              </Link>{" "}
              first.
            </p>
          ) : (
            <>
              <p className="govuk-body">
                You will get a one-time link for the person to set their own password. You never
                choose or see their password.
              </p>
              <PostForm action="/admin/users/new" noValidate>
                <UserFields
                  answers={result?.answers ?? EMPTY_USER}
                  errors={errors}
                  agencies={agencies}
                  withEmail
                />
                <Button>Add user</Button>
              </PostForm>
            </>
          )}
        </div>
      </div>
    </>
  );
}
