import { rulesFor, type Action, type Role } from "../policies";
import type { NavigationItem } from "./ui/frame";

/**
 * The header's menu: each item names the policy action its page performs, and a role sees the
 * item only when some rule lets it take that action. The menu can never offer a page the
 * policies would refuse.
 */
const NAVIGATION: (NavigationItem & { action: Action | null })[] = [
  { href: "/home", label: "Home", action: null },
  { href: "/cases", label: "Cases", action: "caseload.view_own" },
  { href: "/referrals/new", label: "Make a referral", action: "referral.create" },
  { href: "/emergency-access", label: "Emergency access", action: "emergency_access.open" },
  {
    href: "/emergency-access/reviews",
    label: "Emergency access reviews",
    action: "emergency_access.review",
  },
  { href: "/oversight", label: "Dashboards", action: "oversight.view" },
  { href: "/audit", label: "Access log", action: "audit.read" },
  { href: "/audit/reports", label: "Access reports", action: "audit.read" },
  { href: "/admin", label: "Administration", action: "user.manage" },
  { href: "/access-matrix", label: "Access rules", action: "access_matrix.view" },
];

/** The menu a person with this role sees. */
export function navigationFor(role: Role): NavigationItem[] {
  return NAVIGATION.filter(
    (item) => item.action === null || rulesFor(role, item.action).length > 0,
  ).map(({ href, label }) => ({ href, label }));
}
