import { data } from "@remix-run/node";
import { publicRoute } from "~/route-access";

export const handle = { access: publicRoute("Any address no other route matches is a 404.") };

export function loader() {
  throw data(null, { status: 404 });
}

export function action() {
  throw data(null, { status: 404 });
}

// Rendered by the root error boundary.
export default function NotFound() {
  return null;
}
