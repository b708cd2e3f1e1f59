import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { csvResponse } from "~/csv.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { readCellQuery } from "~/oversight-routes.server";
import { drillHref } from "~/services/oversight";
import { isPlainText } from "~/ui/plain-text";
import { exportCellReferrals, purposeProblem } from "~/services/oversight.server";

/**
 * The identifiable export of the referrals behind one number: a POST with the reason in its body
 * (never in an address), for people with export.identifiable only, recorded in the access log
 * with the reason and the referrals exported. A missing or unusable reason sends the person back
 * to the list, which says what to fix.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "export.identifiable");
  await requireStepUp(request, context, ctx);
  const { cell, scope, filters } = readCellQuery(request, ctx);
  const value = (await readForm(request)).get("purpose");
  const purpose = typeof value === "string" ? value : "";
  if (purposeProblem(purpose) || !isPlainText(purpose)) {
    const trimmed = purpose.trim();
    const code =
      trimmed === ""
        ? "purpose-missing"
        : trimmed.length < 10
          ? "purpose-short"
          : trimmed.length > 1000
            ? "purpose-long"
            : "purpose-untypable";
    throw redirect(`${drillHref(scope, filters, cell, cell.page)}&export-error=${code}#purpose`);
  }
  const result = await serviceCall(() => exportCellReferrals(ctx, scope, filters, cell, purpose));
  return csvResponse(
    `crosswalk-referrals-${cell.table}-${filters.from}-to-${filters.to}.csv`,
    ["Reference", "Young person", "Status", "RAG rating", "Themes", "From", "Submitted"],
    result.rows.map((row) => [
      row.reference,
      row.youngPersonName,
      row.stateLabel,
      row.rag ?? "Not yet rated",
      row.themes.join("; "),
      row.referrerAgencyName,
      row.submittedAt,
    ]),
  );
}
