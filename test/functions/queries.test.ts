/** Structural checks of the statements: values only as parameters; every SESSION_CONTEXT read is CAST. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mssqlOrdersQueries } from '../../functions/queries/orders-mssql.js';
import { postgresOrdersQueries } from '../../functions/queries/orders-postgres.js';
import type { OrdersQueries } from '../../functions/queries/types.js';
import { renderStatement, sql, type Statement } from '../../functions/session/statement.js';

const hostile = "x'); DROP TABLE app.orders; --";
function all(q: OrdersQueries): [string, Statement][] {
  return [
    ['list', q.list(21, 5)],
    ['get', q.get(7)],
    ['create', q.create({ item: hostile, quantity: 3 })],
    ['update', q.update(7, { item: hostile, status: 'shipped' })],
    ['remove', q.remove(7)],
    ['me', q.me()],
    ['ping', q.ping()],
  ];
}

describe('statements', () => {
  for (const [dialect, q] of [['postgres', postgresOrdersQueries], ['mssql', mssqlOrdersQueries]] as const) {
    it(`${dialect}: caller values never appear in the SQL text`, () => {
      for (const [name, s] of all(q)) {
        assert.equal(s.parts.length, s.params.length + 1, name);
        const textOnly = s.parts.join('');
        assert.ok(!textOnly.includes('DROP TABLE'), name);
      }
      const create = q.create({ item: hostile, quantity: 3 });
      assert.deepEqual(create.params.map((p) => p.value), [hostile, 3]);
    });
  }

  it('mssql: every SESSION_CONTEXT read is CAST (it returns sql_variant)', () => {
    for (const [name, s] of all(mssqlOrdersQueries)) {
      const text = renderStatement(s, (i) => `@a${i}`);
      const reads = text.match(/SESSION_CONTEXT\(/g)?.length ?? 0;
      const cast = text.match(/CAST\(SESSION_CONTEXT\(N'[a-z_]+'\) AS n?varchar\(\d+\)\)/g)?.length ?? 0;
      assert.equal(cast, reads, name);
    }
  });

  it('postgres: every setting read is nullif(current_setting(k, true), \'\')', () => {
    for (const [name, s] of all(postgresOrdersQueries)) {
      const text = s.parts.join('$');
      const reads = text.match(/current_setting\(/g)?.length ?? 0;
      const safe = text.match(/nullif\(current_setting\('app\.[a-z_]+', true\), ''\)/g)?.length ?? 0;
      assert.equal(safe, reads, name);
    }
  });

  it('the sql tag refuses anything but typed parameters', () => {
    assert.throws(() => sql`select ${'1; drop table x' as never}`, TypeError);
    assert.throws(() => sql`select ${5 as never}`, TypeError);
    assert.throws(() => sql`select ${{ type: 'raw', value: 'x' } as never}`, TypeError);
  });
});
