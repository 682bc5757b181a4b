/**
 * What each test identity may see of the seeded orders, derived from the sample's seed and rules
 * (rls/sample): Orders.Read / Orders.Write see their own orders in their tenant, Orders.Admin all of
 * its tenant's, no role nothing. handlers.test.ts also checks these against the RLS verify cases.
 */
import { sampleOrders, sampleUsers } from '../../../rls/sample/index.js';

export type PersonaName = 'readerA' | 'adminA' | 'writerA' | 'writerB' | 'noRole' | 'noToken';

export const personaClaims: Record<Exclude<PersonaName, 'noToken'>, { oid: string; tid: string; roles: string[] }> = {
  readerA: { oid: sampleUsers.alice.oid, tid: sampleUsers.alice.tid, roles: ['Orders.Read'] },
  adminA: { oid: sampleUsers.bob.oid, tid: sampleUsers.bob.tid, roles: ['Orders.Admin'] },
  writerA: { oid: sampleUsers.alice.oid, tid: sampleUsers.alice.tid, roles: ['Orders.Read', 'Orders.Write'] },
  writerB: { oid: sampleUsers.carol.oid, tid: sampleUsers.carol.tid, roles: ['Orders.Read', 'Orders.Write'] },
  noRole: { oid: sampleUsers.alice.oid, tid: sampleUsers.alice.tid, roles: [] },
};

export function visibleItemsFor(claims: { oid: string; tid: string; roles: readonly string[] }): string[] {
  const admin = claims.roles.includes('Orders.Admin');
  const own = claims.roles.includes('Orders.Read') || claims.roles.includes('Orders.Write');
  return sampleOrders
    .filter((o) => o.tenant === claims.tid && (admin || (own && o.owner === claims.oid)))
    .map((o) => o.item as string)
    .sort();
}

export function expectedVisibleItems(p: PersonaName): string[] {
  return p === 'noToken' ? [] : visibleItemsFor(personaClaims[p]);
}
