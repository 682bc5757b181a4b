import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorTable, HttpError, problemResponse, type ErrorCode } from '../../functions/errors.js';

describe('errors', () => {
  it('declares each code once, with a status matching its stage', () => {
    const codes = Object.keys(errorTable) as ErrorCode[];
    assert.equal(new Set(codes.map((c) => c.slice(0, 6))).size, codes.length, 'numbers are never reused');
    for (const c of codes) {
      const { status } = errorTable[c];
      assert.ok(status >= 400 && status < 600, c);
      if (c.startsWith('FN_2')) assert.ok(status === 401 || status === 403, c);
    }
    // the statuses the issue names are all covered
    for (const s of [400, 401, 403, 404, 409, 413, 415, 422, 503]) assert.ok(codes.some((c) => errorTable[c].status === s), String(s));
  });

  it('renders application/problem+json with the request id, Retry-After for 503 and WWW-Authenticate for 401', () => {
    const p = problemResponse(new HttpError('FN_503_UNAVAILABLE', undefined, { retryAfterSeconds: 12 }), 'req-9');
    assert.equal(p.status, 503);
    assert.equal(p.headers['content-type'], 'application/problem+json');
    assert.equal(p.headers['retry-after'], '12');
    assert.deepEqual(JSON.parse(p.body), {
      type: 'urn:apim-rls:problem:FN_503_UNAVAILABLE',
      title: 'The database is unavailable',
      status: 503,
      code: 'FN_503_UNAVAILABLE',
      detail: 'The database is unavailable',
      instance: 'urn:apim-rls:request:req-9',
    });
    const u = problemResponse(new HttpError('FN_200_UNAUTHENTICATED'));
    assert.equal(u.headers['www-authenticate'], 'Bearer');
    assert.equal(u.headers['retry-after'], undefined);
  });
});

describe('errors documentation', () => {
  it("the error table in docs/functions.md lists exactly the declared codes, with their statuses", () => {
    const readme = readFileSync(new URL('../../docs/functions.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- section:functions -->'), readme.indexOf('<!-- /section:functions -->'));
    const rows = [...section.matchAll(/^\| `(FN_\d{3}_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(rows, Object.entries(errorTable).map(([code, e]) => [code, e.status]));
  });
});
