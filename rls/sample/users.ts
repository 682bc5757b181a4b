/** The sample personas: token claims per user (sub/oid/tid/roles). */
export interface SampleUser {
  name: string;
  sub: string;
  oid: string;
  tid: string;
  roles: string[];
}

const oid = (suffix: string) => `00000000-0000-0000-0000-0000000000${suffix}`;

export const sampleUsers = {
  /** contoso, reads and writes her own orders */
  alice: { name: 'alice', sub: 'alice', oid: oid('a1'), tid: 'contoso', roles: ['Orders.Read', 'Orders.Write'] },
  /** contoso, administers every contoso order */
  bob: { name: 'bob', sub: 'bob', oid: oid('b1'), tid: 'contoso', roles: ['Orders.Admin'] },
  /** fabrikam, reads and writes her own orders */
  carol: { name: 'carol', sub: 'carol', oid: oid('c1'), tid: 'fabrikam', roles: ['Orders.Read', 'Orders.Write'] },
  /** northwind (concurrency test tenant) */
  dave: { name: 'dave', sub: 'dave', oid: oid('d1'), tid: 'northwind', roles: ['Orders.Read', 'Orders.Write'] },
  /** adatum (concurrency test tenant) */
  erin: { name: 'erin', sub: 'erin', oid: oid('e1'), tid: 'adatum', roles: ['Orders.Read', 'Orders.Write'] },
} as const satisfies Record<string, SampleUser>;

export type SampleUserName = keyof typeof sampleUsers;
