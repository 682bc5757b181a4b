/**
 * `proveChain`: every verify case of the spec, end to end. Recipe:
 *   fresh PGlite → tables + seed → `rls apply` → `rls verify` (the truth table, rolled back)
 *   → the Functions runtime on that database, the backend's settings, the local issuer's keys
 *   → per case: mint the caller's token → GET /me through the policy (emulator) → compare the
 *     forwarded headers and the session keys the database reports with the token → each read and
 *     write of the case as its API operation (plan.ts), the seed rows put back before each write
 *     → compare with the truth table; a mismatch names its layer.
 * Everything in process; every part is closed at the end, also on failure.
 */
import type { PGlite } from '@electric-sql/pglite';
import { newPglite } from '../../../rls/db/pglite-cluster.js';
import { ConfigError, loadConfig, type AppConfig } from '../../../functions/config.js';
import { createRuntime, type Runtime } from '../../../functions/runtime.js';
import { createPGliteSession, type PGliteLike } from '../../../functions/session/pglite.js';
import { oidForSubject } from '../../../local/issuer/mint.js';
import { ordersApi } from '../../../local/gateway/routes.js';
import { emulate, EmulatorError, KeyCache, LimitCounters, toPolicyTree, type Emulator, type EmulatorResult, type FetchLike } from '../../../policies/emulator/index.js';
import { PolicyXmlError } from '../../../policies/xml/index.js';
import { applySpec } from '../../../rls/apply.js';
import type { VerifyCase } from '../../../rls/cases.js';
import { fromPglite } from '../../../rls/db/pglite.js';
import type { Database } from '../../../rls/db/types.js';
import { RlsError } from '../../../rls/errors.js';
import { resolveTable, verifySpec, type VerifyRow } from '../../../rls/verify.js';
import { createProveBackend, proveBackendUrl, type ReceivedRequest } from './backend.js';
import { auditedIdentity, idsWhere, sampleProveDatabase } from './database.js';
import { ProveError } from './errors.js';
import { withTimeout } from './timeout.js';
import { backendFindings, describeAuthorization, expectedKeys, headerFindings, identityHeaderSuffixes, reportedKeys, type ClaimValue, type ReportedKeys } from './identity.js';
import { issuerOfDiscoveryUrl, openIdentityProvider, type ProveIdentityProvider } from './identity-provider.js';
import { ordersTable, planCase, type WriteCall } from './plan.js';
import { auditSources } from '../../../rls/audit/names.js';
import type { ProveCaseEvidence, ProveInput, ProveLayer, ProveOutcome, ProveReport, ProveRow } from './types.js';

/** Where callers send requests in a proof (a reserved name, RFC 2606). */
const gatewayBase = 'https://apim-rls-prove.invalid';
const defaultCallTimeoutInMs = 30_000;
const pageSize = 100;
const maxPages = 100;
/** the gateway's managed identity when the settings name none (caller-token mode) */
const defaultGatewayClientId = 'apim-rls-prove-gateway';

interface ApiResult {
  status: number;
  json: unknown;
  /** the gateway forwarded the request to the backend */
  forwarded: boolean;
  /** the last request the backend received */
  received: ReceivedRequest | undefined;
  gatewayRequestId: string;
  /** why it was refused (status ≥ 400), as one phrase */
  refusal?: string;
}

function readSettings(settings: ProveInput['settings']): AppConfig {
  try {
    return loadConfig(settings);
  } catch (err) {
    if (err instanceof ConfigError) throw new ProveError('CHAIN_PROVE_INPUT', `the backend settings are not valid: ${err.problems.join('; ')}`);
    throw err;
  }
}


function gatewayRefusal(r: EmulatorResult): string {
  const e = r.lastError;
  const why = e ? ` (${e.source}: ${e.reason})` : r.returnedBy ? ` (${r.returnedBy})` : '';
  return `${r.status} from the gateway${why}`;
}

function backendRefusal(status: number, json: unknown, received: ReceivedRequest | undefined): string {
  const code = (json as { code?: unknown } | undefined)?.code;
  const reason = received?.audit?.reason;
  return `${status} from the backend${typeof code === 'string' ? ` (${code}${reason ? `: ${reason}` : ''})` : ''}`;
}

/** Where a refusal came from: nothing forwarded → gateway; RLS said no → database; otherwise the backend before the database. */
function refusalLayer(r: ApiResult): ProveLayer {
  if (!r.forwarded) return 'gateway';
  const reason = r.received?.audit?.reason;
  return reason === 'rls_blocked' || reason === 'not_found' ? 'database' : 'backend';
}

/** The gateway's admission: a 401/403 answered by the policy itself, nothing forwarded. */
const admissionRefused = (r: ApiResult) => !r.forwarded && (r.status === 401 || r.status === 403);

/**
 * The caller's token: the case's claims, `aud` = the audience the backend accepts. When the case
 * names no `sub`, it is not the `oid`: Entra's `sub` is a pairwise identifier, unique per
 * application, while `oid` is the user's one id across applications
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference), so a
 * policy that forwards `sub` where `oid` belongs is caught.
 */
function tokenClaims(claims: Readonly<Record<string, ClaimValue>>, audience: string): Record<string, ClaimValue> {
  const oid = typeof claims['oid'] === 'string' ? claims['oid'] : undefined;
  return { sub: oid !== undefined ? `pairwise-${oid}` : 'apim-rls-prove-caller', aud: audience, ver: '2.0', ...claims };
}

function identityHeaders(headers: Record<string, string>, prefix: string): Record<string, string> {
  const p = prefix.toLowerCase();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(p) || k === 'x-request-id' || k.startsWith('x-ms-client-principal') || identityHeaderSuffixes.some((s) => k.endsWith(s))) out[k] = v;
  }
  return out;
}

/** The policy, its scopes and fragments as XML trees: parsed once per proof, compiled once per operation (and once here). */
type ParsedPolicies = Pick<ProveInput, 'policy' | 'scopes' | 'fragments'>;

function compileCheck(input: ProveInput): ParsedPolicies {
  try {
    const parsed = {
      policy: toPolicyTree(input.policy),
      scopes: (input.scopes ?? []).map(toPolicyTree),
      fragments: Object.fromEntries(Object.entries(input.fragments ?? {}).map(([id, f]) => [id, toPolicyTree(f)])),
    };
    emulate(parsed.policy, { scopes: parsed.scopes, fragments: parsed.fragments, namedValues: input.namedValues ?? {}, backend: async () => ({ status: 200 }) });
    return parsed;
  } catch (err) {
    if (err instanceof EmulatorError || err instanceof PolicyXmlError) throw new ProveError('CHAIN_PROVE_INPUT', `the policy cannot run: ${err.message}`);
    throw err;
  }
}

export async function proveChain(input: ProveInput): Promise<ProveReport> {
  const now = input.now ?? Date.now;
  const callTimeoutInMs = input.callTimeoutInMs ?? defaultCallTimeoutInMs;
  if (!Number.isInteger(callTimeoutInMs) || callTimeoutInMs <= 0) throw new RangeError('callTimeoutInMs must be a positive integer');
  const config = readSettings(input.settings);
  const { spec, cases } = input;
  const database = input.database ?? sampleProveDatabase;
  // bad input is refused before anything starts: a policy that cannot run, a case naming an unknown table
  const parsed = compileCheck(input);
  try {
    for (const c of input.cases.cases) for (const t of [...Object.keys(c.rows), ...c.writes.map((w) => w.table)]) resolveTable(input.spec, t);
  } catch (err) {
    if (err instanceof RlsError) throw new ProveError('CHAIN_PROVE_INPUT', err.message);
    throw err;
  }
  const idp = await openIdentityProvider({ issuer: config.issuer ?? issuerOfDiscoveryUrl(config.openidConfigUrl), now });
  let pg: PGlite | undefined;
  let runtime: Runtime | undefined;
  try {
    pg = input.openPglite ? ((await input.openPglite()) as PGlite) : await newPglite(undefined, input.pgliteCache);
    await pg.waitReady;
    const db = fromPglite(pg);
    await database.setup(db);
    await applySpec(db, spec);
    let truth;
    try {
      truth = await verifySpec(db, spec, cases);
    } catch (err) {
      if (err instanceof RlsError) throw new ProveError('CHAIN_PROVE_INPUT', err.message);
      throw err;
    }
    await database.afterTruthTable?.(db);
    const session = createPGliteSession({ db: pg as unknown as PGliteLike, role: config.dbRole });
    runtime = await createRuntime({ config, session, keys: idp.backendKeys, now: () => new Date(now()), ...(input.claimMap ? { claimMap: input.claimMap } : {}) });
    const run = new CaseRunner({ ...input, ...parsed }, config, idp, db, runtime, now, callTimeoutInMs);
    const rows: ProveRow[] = [];
    const evidence: ProveCaseEvidence[] = [];
    // the truth table lists, per case in order, its rows checks then its writes (audit and hardening rows between and after)
    const checks = truth.rows.filter((t) => t.kind === 'rows' || t.kind === 'write');
    let cursor = 0;
    for (const c of cases.cases) {
      const reads = checks.slice(cursor, cursor + Object.keys(c.rows).length);
      cursor += reads.length;
      const writes = checks.slice(cursor, cursor + c.writes.length);
      cursor += writes.length;
      if (!reads.every((t) => t.kind === 'rows' && t.case === c.name) || !writes.every((t) => t.kind === 'write' && t.case === c.name)) {
        throw new Error(`the truth table of rls verify is not in the order of the case "${c.name}"`);
      }
      const out = await run.prove(c, reads, writes);
      rows.push(...out.rows);
      evidence.push(out.evidence);
    }
    for (const t of truth.rows) {
      if (t.ok) continue;
      rows.push({ case: t.case, kind: 'verify', subject: t.subject, operation: '', truth: t.expected, api: t.actual, outcome: 'mismatch', layer: 'database', detail: `rls verify: the case expects ${t.expected}, the database did ${t.actual}${t.detail ? ` (${t.detail})` : ''}` });
    }
    if (!evidence.some((e) => e.me.forwarded)) {
      rows.push({ case: '(all cases)', kind: 'chain', subject: 'any caller reaches the backend', operation: 'GET /me', truth: 'forwarded', api: evidence.map((e) => e.me.refusal ?? String(e.me.status)).filter((v, i, a) => a.indexOf(v) === i).join('; '), outcome: 'mismatch', layer: 'gateway', detail: 'the gateway refused every caller: the proof proves nothing' });
    }
    const counts: Record<ProveOutcome, number> = { agree: 0, mismatch: 0, unreachable: 0, refused: 0 };
    for (const r of rows) counts[r.outcome]++;
    return { rows, cases: evidence, truth, counts, mismatches: counts.mismatch };
  } finally {
    await runtime?.close().catch(() => undefined);
    await pg?.close().catch(() => undefined);
    await idp.close();
  }
}

/**
 * Rate-limit and quota counters that start empty for each case: the operations' emulators are
 * compiled once with this object, and `nextCase()` gives them a new, empty set of counters.
 */
export class PerCaseLimitCounters extends LimitCounters {
  private current = new LimitCounters();
  nextCase(): void {
    this.current = new LimitCounters();
  }
  override get size(): number {
    return this.current.size;
  }
  override window(...args: Parameters<LimitCounters['window']>): ReturnType<LimitCounters['window']> {
    return this.current.window(...args);
  }
  override period(...args: Parameters<LimitCounters['period']>): ReturnType<LimitCounters['period']> {
    return this.current.period(...args);
  }
}

class CaseRunner {
  private readonly backend;
  private readonly keyCache: KeyCache;
  private readonly credential;
  private readonly gatewayClientIds: readonly string[];
  private readonly limitCounters = new PerCaseLimitCounters();
  private compiled: Record<string, Emulator> | undefined;

  constructor(
    private readonly input: ProveInput,
    private readonly config: AppConfig,
    private readonly idp: ProveIdentityProvider,
    private readonly db: Database,
    runtime: Runtime,
    private readonly now: () => number,
    private readonly callTimeoutInMs: number,
  ) {
    this.backend = createProveBackend(runtime);
    this.keyCache = new KeyCache({ now, fetch: idp.fetch as unknown as FetchLike });
    const clientId = config.gatewayClientIds[0] ?? defaultGatewayClientId;
    this.gatewayClientIds = config.gatewayClientIds.length > 0 ? config.gatewayClientIds : [clientId];
    this.credential = idp.credential(clientId, config.gatewayObjectIds[0] ?? oidForSubject('managed-identity:' + clientId));
  }

  /**
   * The policy compiled for each API operation, with fresh rate-limit counters (one per case:
   * cases are independent callers). The operations are compiled once per proof. What a compiled
   * emulator keeps between requests: the rate-limit and quota counters (empty again for each
   * case), limit-concurrency's counts (back to zero when each request ends) and the gateway's own
   * managed-identity token, reused for every caller while it is fresh (policies/emulator/
   * elements/identity.ts): "API Management caches the token until it expires"
   * (https://learn.microsoft.com/azure/api-management/authentication-managed-identity-policy).
   */
  gateway(): Record<string, Emulator> {
    this.limitCounters.nextCase();
    return (this.compiled ??= this.compileGateway());
  }

  private compileGateway(): Record<string, Emulator> {
    const limitCounters = this.limitCounters;
    const api = { id: ordersApi.name, name: ordersApi.name, path: ordersApi.path, serviceUrl: proveBackendUrl };
    const out: Record<string, Emulator> = {};
    for (const op of ordersApi.operations) {
      if (op.id === 'health') continue;
      try {
        out[op.id] = emulate(this.input.policy, {
          scopes: this.input.scopes ?? [],
          fragments: this.input.fragments ?? {},
          namedValues: this.input.namedValues ?? {},
          backendUrl: proveBackendUrl,
          backend: this.backend.handler,
          credential: this.credential,
          now: this.now,
          keyCache: this.keyCache,
          limitCounters,
          fetch: this.idp.fetch,
          context: {
            api,
            operation: { id: op.id, name: op.id, method: op.method, urlTemplate: op.urlTemplate },
            deployment: { region: 'local', serviceName: 'apim-rls-prove', gatewayId: 'prove' },
          },
        });
      } catch (err) {
        if (err instanceof EmulatorError || err instanceof PolicyXmlError) throw new ProveError('CHAIN_PROVE_INPUT', `the policy cannot run: ${err.message}`);
        throw err;
      }
    }
    return out;
  }

  private async call(gw: Record<string, Emulator>, opId: string, method: string, path: string, token: string, params: Record<string, string> = {}, body?: unknown): Promise<ApiResult> {
    const emulator = gw[opId];
    if (!emulator) throw new Error(`no operation ${opId}`);
    this.backend.take();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const result = await withTimeout(
      emulator.send({ method, url: `${gatewayBase}${path}`, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), matchedParameters: params }),
      this.callTimeoutInMs,
      `${method} ${path}`,
    );
    const received = this.backend.take().at(-1);
    let json: unknown;
    try {
      json = result.body ? JSON.parse(result.body) : undefined;
    } catch {
      json = undefined;
    }
    const forwarded = received !== undefined;
    const out: ApiResult = { status: result.status, json, forwarded, received, gatewayRequestId: result.requestId };
    if (result.status >= 400) out.refusal = forwarded ? backendRefusal(result.status, json, received) : gatewayRefusal(result);
    return out;
  }

  async prove(c: VerifyCase, truthReads: VerifyRow[], truthWrites: VerifyRow[]): Promise<{ rows: ProveRow[]; evidence: ProveCaseEvidence }> {
    const { spec } = this.input;
    const database = this.input.database ?? sampleProveDatabase;
    const rows: ProveRow[] = [];
    const row = (r: Omit<ProveRow, 'case'>) => rows.push({ case: c.name, ...r });
    await database.reset(this.db);
    const gw = this.gateway();
    const claims = tokenClaims(c.claims, this.config.audience);
    const token = await this.idp.mint(claims);
    const me = await this.call(gw, 'get-me', 'GET', '/me', token);
    const evidence: ProveCaseEvidence = { case: c.name, me: { status: me.status, forwarded: me.forwarded, ...(me.refusal ? { refusal: me.refusal } : {}) }, findings: [] };

    // the identity on the way: gateway layer (forwarded headers), backend layer (session keys)
    let layer: ProveLayer | undefined;
    if (me.forwarded && me.received) {
      const headers = identityHeaders(me.received.headers, this.config.identityHeaderPrefix);
      const authorization = describeAuthorization(me.received.headers['authorization'], token, this.gatewayClientIds);
      evidence.forwarded = { headers, authorization };
      const mappedClaims = this.mappedClaims();
      const found = headerFindings({
        evidence: { headers, authorization, gatewayRequestId: me.gatewayRequestId },
        claims: claims as Record<string, ClaimValue>,
        authMode: this.config.authMode,
        identityHeaderPrefix: this.config.identityHeaderPrefix,
        mappedClaims,
        requestIdKey: spec.sessionKeys.some((k) => k.source === 'request-id'),
      });
      const gf = found.gateway;
      row({ kind: 'identity', subject: 'forwarded identity', operation: 'GET /me', truth: "the token's claims", api: gf.length === 0 ? "the token's claims" : gf.join('; '), outcome: gf.length === 0 ? 'agree' : 'mismatch', ...(gf.length ? { layer: 'gateway' as const } : {}) });
      const meRequestId = (me.json as { requestId?: unknown } | undefined)?.requestId;
      const expected = expectedKeys(spec, c.claims, headers['x-request-id'] ?? (typeof meRequestId === 'string' ? meRequestId : null));
      let bf: string[];
      if (me.status === 200) {
        const reported = reportedKeys(me.json);
        evidence.sessionKeys = reported;
        bf = [...found.backend, ...backendFindings(expected, reported)];
        row({ kind: 'identity', subject: 'session keys', operation: 'GET /me', truth: 'the keys the spec maps from the token', api: bf.length === 0 ? 'the same keys' : bf.join('; '), outcome: bf.length === 0 ? 'agree' : 'mismatch', ...(bf.length ? { layer: gf.length ? ('gateway' as const) : ('backend' as const) } : {}) });
      } else {
        // refused before the database: right only when the token lacks a key the spec requires
        const missing = spec.sessionKeys.filter((k) => k.required && expected[k.name] === null).map((k) => k.claim ?? k.name);
        const fine = missing.length > 0 && me.status === 403;
        bf = fine ? [] : [...found.backend, `GET /me was refused: ${me.refusal ?? me.status}`];
        row({ kind: 'identity', subject: 'session keys', operation: 'GET /me', truth: missing.length ? `refused (the token has no ${missing.join(', ')})` : 'the keys the spec maps from the token', api: fine ? (me.refusal ?? String(me.status)) : bf.join('; '), outcome: fine ? 'agree' : 'mismatch', ...(fine ? {} : { layer: gf.length ? ('gateway' as const) : ('backend' as const) }) });
      }
      evidence.findings = [...gf, ...bf];
      layer = gf.length ? 'gateway' : bf.length ? 'backend' : undefined;
      if (layer) evidence.layer = layer;
    }

    const plan = planCase(spec, c);
    for (const [i, read] of plan.reads.entries()) {
      const truth = truthReads[i]?.actual ?? '?';
      const p = read.plan;
      if (p.kind === 'unreachable') {
        row({ kind: 'rows', subject: read.table, operation: '', truth, api: 'not reachable through the API', outcome: 'unreachable', detail: p.why });
        continue;
      }
      if (p.kind === 'me-tenant') {
        if (Number(truth) > 1) {
          row({ kind: 'rows', subject: read.table, operation: p.operation, truth, api: 'not reachable through the API', outcome: 'unreachable', detail: 'GET /me shows only the caller\'s own tenant row' });
          continue;
        }
        const count = me.status === 200 ? ((me.json as { database?: { tenantName?: unknown } }).database?.tenantName == null ? 0 : 1) : null;
        row({ kind: 'rows', subject: read.table, operation: p.operation, truth, ...judgeRead(truth, me, count, layer) });
        continue;
      }
      const listed = await this.listOrders(gw, token);
      row({ kind: 'rows', subject: read.table, operation: p.operation, truth, ...judgeRead(truth, listed.result, listed.count, layer) });
    }

    for (const [i, w] of plan.writes.entries()) {
      const truth = truthWrites[i]?.actual ?? '?';
      const p = w.plan;
      if (p.kind === 'unreachable') {
        if (!p.attempt) {
          row({ kind: 'write', subject: w.subject, operation: '', truth, api: 'not reachable through the API', outcome: 'unreachable', detail: p.why });
          continue;
        }
        await database.reset(this.db);
        const r = await this.write(gw, token, p.attempt.call);
        if ('unreachable' in r) {
          row({ kind: 'write', subject: w.subject, operation: p.attempt.operation, truth, api: 'not reachable through the API', outcome: 'unreachable', detail: `${p.why}; ${r.unreachable}` });
        } else if (r.status >= 200 && r.status < 300) {
          row({ kind: 'write', subject: w.subject, operation: p.attempt.operation, truth, api: `allowed (${r.status})`, outcome: 'mismatch', layer: 'backend', detail: `${p.why}, yet the API accepted a body naming them` });
        } else {
          row({ kind: 'write', subject: w.subject, operation: p.attempt.operation, truth, api: 'not reachable through the API', outcome: 'unreachable', detail: `${p.why}; the API refuses the attempt: ${r.refusal ?? r.status}` });
        }
        continue;
      }
      await database.reset(this.db);
      const r = await this.write(gw, token, p.call);
      if ('unreachable' in r) {
        row({ kind: 'write', subject: w.subject, operation: p.operation, truth, api: 'not reachable through the API', outcome: 'unreachable', detail: r.unreachable });
        continue;
      }
      const judged = judgeWrite(truth, r, layer);
      row({ kind: 'write', subject: w.subject, operation: p.operation, truth, ...judged });
      if (judged.outcome === 'agree' && truth === 'allowed') {
        const audited = await this.auditCheck(w.probe.table, w.probe.op, r, expectedKeys(spec, c.claims, null), layer);
        if (audited) row({ kind: 'write', subject: `${w.subject}: audit row`, operation: p.operation, ...audited });
      }
    }
    return { rows, evidence };
  }

  /**
   * An allowed write on an audited table leaves one audit row per changed row with the caller's
   * identity, under the request's id (rls/emit/postgres-audit.ts): the API changes one row, so one
   * audit row, whose tenant and user are what the spec maps from the token.
   */
  private async auditCheck(table: string, op: string, r: ApiResult, expected: ReportedKeys, identityLayer: ProveLayer | undefined): Promise<Pick<ProveRow, 'truth' | 'api' | 'outcome' | 'layer' | 'detail'> | undefined> {
    const audit = this.input.spec.audit;
    if (!audit || !audit.tables.some((t) => `${t.schema}.${t.name}` === table && t.operations.includes(op as never))) return undefined;
    const src = auditSources(this.input.spec, audit);
    const want = { tenant: expected[src.tenant.name] ?? null, user: expected[src.user.name] ?? null };
    const truth = `1 ${op} row by ${JSON.stringify(want.tenant)} / ${JSON.stringify(want.user)}`;
    const requestId = r.received?.audit?.requestId;
    if (requestId === undefined) return { truth, api: 'no request id in the backend\'s audit line', outcome: 'mismatch', layer: identityLayer ?? 'backend' };
    const rows = await auditedIdentity(this.db, audit, table, requestId);
    const api = rows.length === 0 ? 'no audit row' : rows.map((x) => `${x.operation} row by ${JSON.stringify(x.tenant)} / ${JSON.stringify(x.user)}`).join('; ');
    const ok = rows.length === 1 && rows[0]?.operation === op && rows[0].tenant === want.tenant && rows[0].user === want.user;
    return ok ? { truth, api: `1 ${api}`, outcome: 'agree' } : { truth, api, outcome: 'mismatch', layer: identityLayer ?? 'database', detail: `the audit trail (${audit.schema}.${audit.table}) under request id ${requestId}` };
  }

  private mappedClaims(): string[] {
    const map = this.input.claimMap;
    if (map) return map.flatMap((r) => ('claim' in r.from ? [r.from.claim] : []));
    return this.input.spec.sessionKeys.flatMap((k) => (k.source === 'claim' && k.claim ? [k.claim] : []));
  }

  private async listOrders(gw: Record<string, Emulator>, token: string): Promise<{ result: ApiResult; count: number | null }> {
    let count = 0;
    let next: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const query: string = `?limit=${pageSize}${next !== null ? `&next=${encodeURIComponent(next)}` : ''}`;
      const result = await this.call(gw, 'list-orders', 'GET', `/orders${query}`, token);
      if (result.status !== 200) return { result, count: null };
      const body = result.json as { items?: unknown[]; next?: unknown } | undefined;
      count += body?.items?.length ?? 0;
      next = typeof body?.next === 'string' ? body.next : null;
      if (next === null) return { result, count };
    }
    throw new ProveError('CHAIN_PROVE_TIMEOUT', `GET /orders still had pages after ${maxPages}`);
  }

  private async write(gw: Record<string, Emulator>, token: string, call: WriteCall): Promise<ApiResult | { unreachable: string }> {
    if (call.method === 'POST') return this.call(gw, 'create-order', 'POST', '/orders', token, {}, call.body);
    const ids = await idsWhere(this.db, ordersTable, call.where ?? {});
    if (ids.length !== 1) return { unreachable: `the probe's where picks ${ids.length} rows; the API addresses one order by id` };
    const id = ids[0] as string;
    if (call.method === 'PATCH') return this.call(gw, 'update-order', 'PATCH', `/orders/${id}`, token, { id }, call.body);
    return this.call(gw, 'delete-order', 'DELETE', `/orders/${id}`, token, { id });
  }
}

type Judged = Pick<ProveRow, 'api' | 'outcome' | 'layer' | 'detail'>;

function judgeRead(truth: string, r: ApiResult, count: number | null, identityLayer: ProveLayer | undefined): Judged {
  if (count !== null) {
    const api = String(count);
    return api === truth ? { api, outcome: 'agree' } : { api, outcome: 'mismatch', layer: identityLayer ?? 'database' };
  }
  const api = `0 (refused: ${r.refusal ?? r.status})`;
  if (truth === '0') return { api, outcome: 'agree' };
  if (admissionRefused(r)) return { api, outcome: 'refused', detail: `the gateway admits no such caller; the database would show ${truth}` };
  return { api, outcome: 'mismatch', layer: identityLayer ?? refusalLayer(r) };
}

function judgeWrite(truth: string, r: ApiResult, identityLayer: ProveLayer | undefined): Judged {
  const verdict = r.status >= 200 && r.status < 300 ? 'allowed' : r.status === 401 || r.status === 403 || r.status === 404 ? 'blocked' : 'error';
  const api = r.refusal ? `${verdict} (${r.refusal})` : `${verdict} (${r.status})`;
  if (verdict === truth) return { api, outcome: 'agree' };
  if (verdict === 'blocked' && truth === 'allowed' && admissionRefused(r)) return { api, outcome: 'refused', detail: 'the gateway admits no such caller; the database would allow it' };
  return { api, outcome: 'mismatch', layer: identityLayer ?? (verdict === 'allowed' ? 'database' : refusalLayer(r)) };
}
