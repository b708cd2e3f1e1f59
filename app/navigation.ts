import type { Role } from "../policies";
import type { NavigationItem } from "./ui/frame";

/**
 * The header's menu for each role: only pages the role can use. Each later page adds itself here
 * with the roles its access rule allows.
 */
const NAVIGATION: (NavigationItem & { roles: readonly Role[] | "all" })[] = [
  { href: "/home", label: "Home", roles: "all" },
];

/** The menu a person with this role sees. */
export function navigationFor(role: Role): NavigationItem[] {
  return NAVIGATION.filter((item) => item.roles === "all" || item.roles.includes(role)).map(
    ({ href, label }) => ({ href, label }),
  );
}
