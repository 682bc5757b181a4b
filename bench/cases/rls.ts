/**
 * RLS costs on the embedded database (PGlite), measured in one run:
 * - the orders sample read as the application role through the policies, against the same query
 *   as the table owner with the tenant filter written by hand (no policies evaluated);
 * - identity as one `select set_config(...), ...` statement against one statement per key.
 */
import { openPglite } from '../../rls/db/pglite.js';
import { sampleSchemaSql, seedSample, sampleUsers } from '../../rls/sample/index.js';
import { applySpec } from '../../rls/apply.js';
import { ordersSpec } from '../../rls/sample/index.js';
import { ratePerSecond, type BenchResult } from '../result.js';

export default async function rlsBench(): Promise<BenchResult[]> {
  const db = await openPglite();
  try {
    await db.exec(sampleSchemaSql);
    await seedSample(db);
    // more rows: 2,000 per tenant, half of them alice's in contoso
    await db.exec(`insert into app.orders (tenant_id, owner_oid, item, quantity)
      select t.id, case when t.id = 'contoso' and g % 2 = 0 then '${sampleUsers.alice.oid}' else 'someone-' || g end, 'bulk-' || g, 1 + g % 100
        from app.tenants t cross join generate_series(1, 2000) g;
      create index on app.orders (tenant_id, owner_oid);`);
    await applySpec(db, ordersSpec);
    const alice = sampleUsers.alice;
    const keys = [alice.tid, alice.oid, JSON.stringify(alice.roles), 'bench'];

    const viaPolicies = () =>
      db.transaction(
        async (tx) => {
          await tx.query(
            "select set_config('role', 'apim_rls_app', true), set_config('app.tenant_id', $1, true), set_config('app.user_oid', $2, true), set_config('app.roles', $3, true), set_config('app.request_id', $4, true)",
            keys,
          );
          return tx.query('select id, item, quantity from app.orders order by id limit 50');
        },
        { rollback: true },
      );
    const byHand = () =>
      db.transaction(
        async (tx) => {
          await tx.query(
            "select set_config('app.tenant_id', $1, true), set_config('app.user_oid', $2, true), set_config('app.roles', $3, true), set_config('app.request_id', $4, true)",
            keys,
          );
          return tx.query('select id, item, quantity from app.orders where tenant_id = $1 and owner_oid = $2 order by id limit 50', [alice.tid, alice.oid]);
        },
        { rollback: true },
      );
    const perKey = () =>
      db.transaction(
        async (tx) => {
          await tx.query("select set_config('role', 'apim_rls_app', true)");
          await tx.query("select set_config('app.tenant_id', $1, true)", [keys[0]]);
          await tx.query("select set_config('app.user_oid', $1, true)", [keys[1]]);
          await tx.query("select set_config('app.roles', $1, true)", [keys[2]]);
          await tx.query("select set_config('app.request_id', $1, true)", [keys[3]]);
          return tx.query('select id, item, quantity from app.orders order by id limit 50');
        },
        { rollback: true },
      );

    // sanity: both read the same rows
    const a = (await viaPolicies()).rows.length;
    const b = (await byHand()).rows.length;
    if (a !== b || a === 0) throw new Error(`policy read returned ${a} rows, hand-filtered ${b}`);

    // alternate the subjects over two rounds and keep each one's best rate (less sensitive to load drift)
    let policyRate = 0;
    let handRate = 0;
    let perKeyRate = 0;
    for (let round = 0; round < 2; round++) {
      policyRate = Math.max(policyRate, await ratePerSecond(viaPolicies, 1500));
      handRate = Math.max(handRate, await ratePerSecond(byHand, 1500));
      perKeyRate = Math.max(perKeyRate, await ratePerSecond(perKey, 1500));
    }
    return [
      {
        name: 'rls: orders read through policies vs hand-written filter (PGlite)',
        ratio: policyRate / handRate,
        policyReadsPerSecond: policyRate,
        handFilteredReadsPerSecond: handRate,
        rowsInTable: 8011,
      },
      {
        name: 'rls: identity in one set_config statement vs one statement per key (PGlite)',
        ratio: policyRate / perKeyRate,
        oneStatementPerSecond: policyRate,
        statementPerKeyPerSecond: perKeyRate,
      },
    ];
  } finally {
    await db.close();
  }
}
