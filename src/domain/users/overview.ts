import type { Db } from '../../db/client.js';
import { getUserOverview } from '../../db/repos/users.js';
import type { User } from '../../db/schema.js';

export interface AccountOverview {
  baseDomain: string;
  dnsRecordCount: number;
  hasCertificate: boolean;
}

/** What the landing page shows about a user's account: their domain, record count, certificate. */
export async function describeAccount(
  db: Db,
  user: User,
  rootDomain: string,
): Promise<AccountOverview> {
  const o = await getUserOverview(db, user.id);
  return { baseDomain: `${user.dns_label}.${rootDomain}`, ...o };
}
