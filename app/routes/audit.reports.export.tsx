import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { csvResponse } from "~/csv.server";
import { serviceCall } from "~/http.server";
import { AccessReportQuerySchema, queryFields } from "~/services/access-log-vocabulary";
import { EVENT_CSV_HEADER, eventCsvRow } from "~/services/access-log.server";
import { exportAccessReport, isAccessReport } from "~/services/access-reports.server";
import { readingFrom } from "~/services/read-replica.server";

/** Every event behind one inappropriate-access report, as CSV; the export is recorded. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = readingFrom(
    await requireActorFor(request, context, "audit.export"),
    context.replicaDb,
  );
  await requireStepUp(request, context, ctx);
  const { report = "", ...fields } = queryFields(new URL(request.url).searchParams);
  const parsed = AccessReportQuerySchema.safeParse(fields);
  if (!isAccessReport(report) || !parsed.success) {
    throw data("The report in this address is not valid.", { status: 400 });
  }
  const { events, finding } = await serviceCall(() => exportAccessReport(ctx, report, parsed.data));
  return csvResponse(
    `crosswalk-access-report-${report.replace(/_/g, "-")}.csv`,
    ["finding", ...EVENT_CSV_HEADER],
    events.map((event) => [finding.get(event.id) ?? null, ...eventCsvRow(event)]),
  );
}
