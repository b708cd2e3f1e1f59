import { Form, useRouteLoaderData, type FormProps } from "@remix-run/react";
import { forwardRef } from "react";

/** The field a form that writes is sent with, read by the HTTP host (decision 018). */
export const SUBMISSION_ID_FIELD = "submissionId";

/** The one-time id the server made for this page's render, from the root loader. */
function usePageSubmissionId(): string | undefined {
  const root = useRouteLoaderData<{ submissionId?: unknown }>("root");
  return typeof root?.submissionId === "string" ? root.submissionId : undefined;
}

/**
 * The hidden field carrying a form's one-time submission id: the page's own, or `value` when the
 * form is one sent before and given back (its first id travels with it). For a plain `<form>`;
 * PostForm adds it itself.
 */
export function SubmissionIdField({ value }: { value?: string | undefined }) {
  const pageId = usePageSubmissionId();
  const id = value ?? pageId;
  return id ? <input type="hidden" name={SUBMISSION_ID_FIELD} value={id} /> : null;
}

/**
 * A form that changes something: Remix's `<Form method="post">`, carrying the page's one-time
 * submission id first, so that the form sent twice (a retry after a lost answer, a double click)
 * is saved once and the second sending is shown what was saved.
 */
export const PostForm = forwardRef<
  HTMLFormElement,
  Omit<FormProps, "method"> & {
    /** The id of a form sent before and given back to send again (a kept form). */
    submissionId?: string | undefined;
  }
>(function PostForm({ submissionId, children, ...props }, ref) {
  return (
    <Form method="post" {...props} ref={ref}>
      <SubmissionIdField value={submissionId} />
      {children}
    </Form>
  );
});

/** The submission id among a kept form's fields, and the other fields, to send it again as it was. */
export function withoutSubmissionId(fields: readonly (readonly [string, string])[]): {
  submissionId: string | undefined;
  fields: (readonly [string, string])[];
} {
  return {
    submissionId: fields.find(([name]) => name === SUBMISSION_ID_FIELD)?.[1],
    fields: fields.filter(([name]) => name !== SUBMISSION_ID_FIELD),
  };
}
