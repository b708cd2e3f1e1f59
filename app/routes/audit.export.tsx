import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { csvResponse } from "~/csv.server";
import { serviceCall } from "~/http.server";
import { AccessLogQuerySchema, queryFields } from "~/services/access-log-vocabulary";
import { EVENT_CSV_HEADER, eventCsvRow, exportAccessLog } from "~/services/access-log.server";
import { readingFrom } from "~/services/read-replica.server";

/**
 * Every event an access-log search matches, as a CSV file. The export is itself an event, with
 * the search it exported and how many rows it carried.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = readingFrom(
    await requireActorFor(request, context, "audit.export"),
    context.replicaDb,
  );
  await requireStepUp(request, context, ctx);
  const parsed = AccessLogQuerySchema.safeParse(queryFields(new URL(request.url).searchParams));
  if (!parsed.success) throw data("The search in this address is not valid.", { status: 400 });
  const { events, truncated } = await serviceCall(() => exportAccessLog(ctx, parsed.data));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  const response = csvResponse(
    `crosswalk-access-log-${stamp}.csv`,
    EVENT_CSV_HEADER,
    events.map(eventCsvRow),
  );
  if (truncated) response.headers.set("X-Crosswalk-Truncated", "true");
  return response;
}
