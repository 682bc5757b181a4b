/**
 * RLS costs on the embedded database (PGlite), measured in one run:
 * - the orders sample read as the application role through the policies, against the same query
 *   as the table owner with the tenant filter written by hand (no policies evaluated);
 * - identity as one `select set_config(...), ...` statement against one statement per key;
 * - a committed one-row update as the application role with the audit trigger on (one audit row
 *   written in the same transaction) against the same update with the trigger switched off.
 */
import { openPglite } from '../../rls/db/pglite.js';
import { sampleSchemaSql, seedSample, sampleUsers } from '../../rls/sample/index.js';
import { applySpec } from '../../rls/apply.js';
import { ordersSpec } from '../../rls/sample/index.js';
import { median, ratePerSecond, type BenchResult } from '../result.js';

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
    // auditing a write: the same committed update with the audit trigger on and off, interleaved rounds
    const target = (await db.query<{ id: number }>("select id from app.orders where item = 'alice-1'")).rows[0]?.id;
    if (target === undefined) throw new Error('no alice-1 row');
    const write = () =>
      db.transaction(async (tx) => {
        await tx.query(
          "select set_config('role', 'apim_rls_app', true), set_config('app.tenant_id', $1, true), set_config('app.user_oid', $2, true), set_config('app.roles', $3, true), set_config('app.request_id', $4, true)",
          [alice.tid, alice.oid, JSON.stringify(['Orders.Write']), 'bench-audit'],
        );
        const r = await tx.query('update app.orders set quantity = quantity % 100 + 1 where id = $1', [target]);
        if (r.rowCount !== 1) throw new Error('the benchmark write changed no row');
      });
    const auditRows = async () => Number((await db.query<{ n: number }>("select count(*)::int as n from audit.row_changes where request_id = 'bench-audit'")).rows[0]?.n);
    const trigger = (on: boolean) => db.exec(`alter table app.orders ${on ? 'enable' : 'disable'} trigger apim_rls_audit`);
    // sanity: one audit row per write with the trigger on, none with it off
    const before = await auditRows();
    await write();
    if ((await auditRows()) !== before + 1) throw new Error('an audited write did not write exactly one audit row');
    const ratios: number[] = [];
    let auditedRate = 0;
    let plainRate = 0;
    try {
      for (let round = 0; round < 4; round++) {
        const order = round % 2 ? [false, true] : [true, false];
        const rates: Record<string, number> = {};
        for (const on of order) {
          await trigger(on);
          rates[String(on)] = await ratePerSecond(write, 1000);
        }
        ratios.push((rates['true'] ?? 0) / (rates['false'] ?? 1));
        auditedRate = Math.max(auditedRate, rates['true'] ?? 0);
        plainRate = Math.max(plainRate, rates['false'] ?? 0);
      }
    } finally {
      await trigger(true);
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
      {
        name: 'rls: committed one-row update, audited vs not audited (PGlite)',
        ratio: median(ratios),
        auditedWritesPerSecond: auditedRate,
        unauditedWritesPerSecond: plainRate,
        rounds: ratios.length,
      },
    ];
  } finally {
    await db.close();
  }
}
