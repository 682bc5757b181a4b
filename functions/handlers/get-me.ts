/**
 * GET /api/me — the verified identity as the backend sees it: the claims it accepted, how they
 * were proven, and the session keys as the database itself reports them.
 */
import { json } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return null;
  }
}

export const getMe: Operation = {
  name: 'getMe',
  method: 'GET',
  route: 'me',
  requiresIdentity: true,
  async execute({ deps, identity, sessionValues, requestId, runOptions }) {
    const result = await deps.session.run(sessionValues, deps.queries.me(), runOptions());
    const db = result.rows[0] ?? {};
    const claims = identity?.claims ?? {};
    const roles = claims['roles'];
    const dbRoles = parseJson(db['roles']);
    return json(200, {
      proof: identity?.source ?? null,
      subject: str(claims['sub']),
      objectId: str(claims['oid']),
      tenantId: str(claims['tid']),
      roles: Array.isArray(roles) ? roles.filter((r) => typeof r === 'string') : [],
      requestId,
      database: {
        user: str(db['db_user']),
        tenantId: str(db['tenant_id']),
        userOid: str(db['user_oid']),
        roles: dbRoles,
        requestId: str(db['request_id']),
        tenantName: str(db['tenant_name']),
      },
    });
  },
};
