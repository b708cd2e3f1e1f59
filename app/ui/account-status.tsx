import { Tag } from "./tag";

/** Where an account stands, from the users service's summary of it. */
export function accountStatus(account: {
  isActive: boolean;
  hasPassword: boolean;
  linkPending: boolean;
}): "active" | "deactivated" | "waiting" | "link_expired" {
  if (!account.isActive) return "deactivated";
  if (account.hasPassword) return "active";
  return account.linkPending ? "waiting" : "link_expired";
}

/** The account's status as a GOV.UK tag. */
export function AccountStatusTag({ status }: { status: ReturnType<typeof accountStatus> }) {
  switch (status) {
    case "active":
      return <Tag colour="green">Active</Tag>;
    case "deactivated":
      return <Tag colour="grey">Deactivated</Tag>;
    case "waiting":
      return <Tag colour="blue">Waiting for password</Tag>;
    case "link_expired":
      return <Tag colour="orange">Link expired</Tag>;
  }
}
