import { data } from "@remix-run/node";

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
