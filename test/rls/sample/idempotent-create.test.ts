/**
 * Issue 14 item 5 on PostgreSQL (PGlite): the orders create is idempotent by the request id, so a
 * repeat — the Azure SQL driver's retry after a timeout whose first attempt committed, or the
 * client sending the same request again — finds the first row instead of writing a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { freshPglite } from '../../support/pglite.js';
import { HttpError } from '../../../functions/errors.js';
import { mapClaims, ordersClaimMap } from '../../../functions/identity/claim-map.js';
import { postgresOrdersQueries } from '../../../functions/queries/orders-postgres.js';
import { createPGliteSession } from '../../../functions/session/pglite.js';
import { fromPglite } from '../../../rls/db/pglite.js';
import { sampleUsers, setupSampleDatabase } from '../../../rls/sample/index.js';

const { alice } = sampleUsers;
const as = (requestId: string) => mapClaims({ tid: alice.tid, oid: alice.oid, roles: alice.roles }, ordersClaimMap, requestId);

describe('sample schema: POST /orders is idempotent by the request id (PostgreSQL)', () => {
  let pg: PGlite;
  before(async () => {
    pg = await freshPglite();
    await setupSampleDatabase(fromPglite(pg));
  });
  after(async () => {
    await pg.close();
  });

  const count = async (requestId: string) =>
    Number((await pg.query<{ n: number }>('select count(*)::int as n from app.orders where request_id = $1', [requestId])).rows[0]?.n);

  it('the same request twice: one row, both answers the same order', async () => {
    const session = createPGliteSession({ db: pg, role: 'apim_rls_app' });
    const first = await session.run(as('req-idem-1'), postgresOrdersQueries.create({ item: 'widget', quantity: 2 }));
    const again = await session.run(as('req-idem-1'), postgresOrdersQueries.create({ item: 'widget', quantity: 2 }));
    assert.equal(first.rows.length, 1);
    assert.deepEqual(again.rows, first.rows);
    assert.equal(await count('req-idem-1'), 1);
    // a new request id is a new order
    const other = await session.run(as('req-idem-2'), postgresOrdersQueries.create({ item: 'widget', quantity: 2 }));
    assert.notEqual(other.rows[0]?.['id'], first.rows[0]?.['id']);
  });

  it('the same request id with another body → 409, nothing written', async () => {
    const session = createPGliteSession({ db: pg, role: 'apim_rls_app' });
    await session.run(as('req-idem-3'), postgresOrdersQueries.create({ item: 'widget', quantity: 2 }));
    await assert.rejects(session.run(as('req-idem-3'), postgresOrdersQueries.create({ item: 'Widget', quantity: 2 })), (e: unknown) => e instanceof HttpError && e.status === 409);
    await assert.rejects(session.run(as('req-idem-3'), postgresOrdersQueries.create({ item: 'widget', quantity: 3 })), (e: unknown) => e instanceof HttpError && e.status === 409);
    assert.equal(await count('req-idem-3'), 1);
  });

  it('another caller reusing the request id gets its own order (the key is per tenant and owner)', async () => {
    const session = createPGliteSession({ db: pg, role: 'apim_rls_app' });
    const carol = mapClaims({ tid: sampleUsers.carol.tid, oid: sampleUsers.carol.oid, roles: sampleUsers.carol.roles }, ordersClaimMap, 'req-idem-1');
    const r = await session.run(carol, postgresOrdersQueries.create({ item: 'widget', quantity: 2 }));
    assert.equal(r.rows[0]?.['tenant_id'], 'fabrikam');
    assert.equal(await count('req-idem-1'), 2);
    // the schema itself refuses a second row with the same key
    await assert.rejects(pg.query("insert into app.orders (tenant_id, owner_oid, item, quantity, request_id) values ('fabrikam', $1, 'x', 1, 'req-idem-1')", [sampleUsers.carol.oid]), /orders_request_id_key/);
  });
});
