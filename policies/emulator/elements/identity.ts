/** validate-jwt, validate-azure-ad-token, authentication-managed-identity, authentication-basic. */
import { attr, childElements, type XmlElement } from '../../xml/tree.js';
import {
  PolicyFailure,
  attrString,
  boolAttr,
  compileString,
  constAttr,
  defineElement,
  elementText,
  errorBody,
  intAttr,
  substituteNamedValues,
  targetMessage,
  where,
  type CompileContext,
  type Run,
  type Step,
} from '../compile.js';
import { EmulatorError } from '../errors.js';
import { StaticKeySource, VerificationKey, type KeySource } from '../jwt/keys.js';
import { beginJwtValidation, needsNoKeyLoad, type JwtValidationConfig, type RequiredClaim } from '../jwt/validate.js';
import { deferCheck, settleFirst, type EarlyJwtCheck } from '../overlap.js';
import { isExpression } from '../../xml/tree.js';

export const defaultJwtErrorMessage = 'Unauthorized. Access token is missing or invalid.';
/**
 * `metadata.reason` of the trace entry validate-jwt writes when its signing keys could not be
 * loaded: context.LastError keeps APIM's own reason and message (TokenSignatureKeyNotFound), the
 * trace says why (the discovery document or JWKS unreachable, an error status, not JSON).
 */
export const keyFetchFailedTrace = 'KeyFetchFailed';

function texts(el: XmlElement, container: string, item: string, cc: CompileContext): string[] | null {
  const c = childElements(el, container)[0];
  if (!c) return null;
  return childElements(c, item).map((x) => {
    const t = elementText(x);
    if (isExpression(t)) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: an expression in <${item}>${where(x)}`);
    return substituteNamedValues(t, cc, x).trim();
  });
}

function requiredClaims(el: XmlElement, cc: CompileContext): RequiredClaim[] {
  const c = childElements(el, 'required-claims')[0];
  if (!c) return [];
  return childElements(c, 'claim').map((claim) => {
    const name = constAttr(claim, 'name', cc);
    if (!name) throw new EmulatorError('INVALID_POLICY', `<claim>${where(claim)} needs a name`);
    const match = (constAttr(claim, 'match', cc, 'all') ?? 'all').toLowerCase();
    if (match !== 'all' && match !== 'any') throw new EmulatorError('INVALID_POLICY', `<claim>${where(claim)}: match="${match}" is not all or any`);
    const separator = constAttr(claim, 'separator', cc);
    const values = childElements(claim, 'value').map((v) => {
      const t = elementText(v);
      if (isExpression(t)) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: an expression in <value>${where(v)}`);
      return substituteNamedValues(t, cc, v).trim();
    });
    return separator ? { name, match, separator, values } : { name, match, values };
  });
}

function inlineKeys(el: XmlElement, container: string, cc: CompileContext): VerificationKey[] {
  const c = childElements(el, container)[0];
  if (!c) return [];
  return childElements(c, 'key').map((k) => {
    if (attr(k, 'certificate-id') !== undefined) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <key certificate-id>${where(k)} (certificates are not emulated; use n/e or a Base64 key)`);
    const id = constAttr(k, 'id', cc);
    const n = constAttr(k, 'n', cc);
    const e = constAttr(k, 'e', cc);
    if (n !== undefined || e !== undefined) {
      if (!n || !e) throw new EmulatorError('INVALID_POLICY', `<key>${where(k)} needs both n and e`);
      return new VerificationKey({ kty: 'RSA', n, e }, id);
    }
    const t = elementText(k);
    if (isExpression(t)) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: an expression in <key>${where(k)}`);
    const b64 = substituteNamedValues(t, cc, k).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new EmulatorError('INVALID_POLICY', `<key>${where(k)} is not Base64`);
    // an explicit symmetric key: the only way HS256 is ever accepted
    return new VerificationKey({ kty: 'oct', k: Buffer.from(b64, 'base64').toString('base64url') }, id);
  });
}

interface TokenSource {
  (run: Run): string | null;
  /** The request header the token is read from (lower-cased), when it is one. */
  header?: string;
  /** The token a value of that header carries, or null. */
  fromValue?: (value: string) => string | null;
  /** The header's value the token is read from (its first), or undefined. */
  headerValue?: (run: Run) => string | undefined;
}

function tokenSource(el: XmlElement, cc: CompileContext, defaultHeader: string | undefined): TokenSource {
  const header = constAttr(el, 'header-name', cc);
  const query = constAttr(el, 'query-parameter-name', cc);
  const value = attr(el, 'token-value');
  const scheme = constAttr(el, 'require-scheme', cc);
  if (value !== undefined) {
    const fn = compileString(value, cc, el);
    return (run) => {
      const t = fn(run);
      return t === '' ? null : t;
    };
  }
  if (query) return (run) => run.context.request.url.query.get(query)?.[0] ?? null;
  // the header name lower-cased and the scheme compared here once, not per request
  const key = (header ?? defaultHeader ?? 'Authorization').toLowerCase();
  // "When this attribute is set, the policy will ensure that specified scheme is present in the
  // Authorization header value" (https://learn.microsoft.com/azure/api-management/validate-jwt-policy):
  // for any other header-name the attribute has no effect
  const schemeKey = key === 'authorization' ? scheme?.toLowerCase() : undefined;
  const fromValue = (raw: string): string | null => {
    const v = raw.trim();
    if (v === '') return null;
    // "<scheme> <token>", scheme compared case-insensitively; anything else: no token
    if (schemeKey !== undefined) return afterScheme(v, schemeKey);
    return afterScheme(v, 'bearer') ?? v;
  };
  const headerValue = (run: Run): string | undefined => run.context.request.headers.getKey(key)?.[0];
  const source: TokenSource = (run) => {
    const raw = headerValue(run);
    return raw === undefined ? null : fromValue(raw);
  };
  source.header = key;
  source.fromValue = fromValue;
  source.headerValue = headerValue;
  return source;
}

/** The token of "<scheme> <token>" when the scheme matches (case-insensitively) and the token is one word, else null. */
function afterScheme(value: string, schemeKey: string): string | null {
  const space = value.search(/\s/);
  if (space <= 0 || value.slice(0, space).toLowerCase() !== schemeKey) return null;
  const token = value.slice(space).trimStart();
  return token === '' || /\s/.test(token) ? null : token;
}

/**
 * The reasons APIM documents for token validation
 * (https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies#predefined-errors-for-policies);
 * any other failure is "Other validation failures" → JwtInvalid.
 */
const DOCUMENTED_TOKEN_REASONS: ReadonlySet<string> = new Set(['TokenNotPresent', 'TokenSignatureInvalid', 'TokenAudienceNotAllowed', 'TokenIssuerNotAllowed', 'TokenExpired', 'TokenSignatureKeyNotFound', 'TokenClaimNotFound', 'TokenClaimValueNotAllowed', 'JwtInvalid']);

function jwtStep(
  source: string,
  el: XmlElement,
  cc: CompileContext,
  tokenOf: TokenSource,
  config: JwtValidationConfig,
  extra?: (payload: Record<string, unknown>) => { reason: string; message: string } | null,
  onlyDocumentedReasons = false,
): Step {
  const status = intAttr(el, 'failed-validation-httpcode', cc, 401)!;
  const message = attrString(el, 'failed-validation-error-message', cc);
  const outputVar = constAttr(el, 'output-token-variable-name', cc);
  const overlap = cc.overlap !== false;
  const failure = (run: Run, reason: string, text: string): PolicyFailure =>
    new PolicyFailure(
      { source, reason: onlyDocumentedReasons && !DOCUMENTED_TOKEN_REASONS.has(reason) ? 'JwtInvalid' : reason, message: text, policyId: '' },
      status,
      errorBody(status, message ? message(run) : defaultJwtErrorMessage),
    );
  const fromValue = tokenOf.fromValue;
  // the check may start when the request arrives (when the keys are cached: no I/O ahead of the steps before this one)
  const early: EarlyJwtCheck | undefined =
    tokenOf.header === undefined || fromValue === undefined
      ? undefined
      : {
          header: tokenOf.header,
          start: (value, nowMs) => {
            const token = fromValue(value);
            if (token === null || !needsNoKeyLoad(token, config)) return null;
            return { check: early!, value, token, validation: beginJwtValidation(token, config, nowMs) };
          },
        };
  const headerValue = tokenOf.headerValue;
  const step: Step = async (run) => {
    const started = run.early;
    run.early = null;
    // the header still holds the value the early check read: its token is the one already taken from it
    const token = started !== null && started.check === early && headerValue !== undefined && headerValue(run) === started.value ? started.token : tokenOf(run);
    if (token === null) throw failure(run, 'TokenNotPresent', 'JWT not present.');
    const { checks, signature } = started !== null && started.check === early && started.token === token ? await started.validation : await beginJwtValidation(token, config, run.services.now());
    let outcome: { reason: string; message: string; keyFetchFailure?: string } | null = checks.ok ? null : checks;
    if (checks.ok && extra) outcome = extra(checks.jwt.payload as Record<string, unknown>);
    if (signature !== null && (outcome !== null || !overlap)) {
      // a bad signature wins over any other failure
      outcome = (await signature) ?? outcome;
    }
    if (outcome !== null) {
      const fetchFailure = outcome.keyFetchFailure;
      if (fetchFailure !== undefined) run.trace.push({ source, severity: 'error', message: `signing keys could not be loaded: ${fetchFailure}`, metadata: { reason: keyFetchFailedTrace } });
      throw failure(run, outcome.reason, outcome.message);
    }
    if (signature !== null && overlap) {
      // every other check passed: the steps after this one run while the signature is checked
      deferCheck(run, signature, (bad) => failure(run, bad.reason, bad.message));
    }
    if (outputVar && checks.ok) run.context.variables.map.set(outputVar, checks.jwt);
  };
  if (early) step.early = early;
  return step;
}

defineElement('validate-jwt', (el, cc) => {
  if (childElements(el, 'decryption-keys').length) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <decryption-keys>${where(el)} (encrypted tokens are not emulated)`);
  const sources: KeySource[] = [];
  for (const oc of childElements(el, 'openid-config')) {
    const url = constAttr(oc, 'url', cc);
    if (!url) throw new EmulatorError('INVALID_POLICY', `<openid-config>${where(oc)} needs a url`);
    sources.push(cc.options.services.keyCache.openId(url));
  }
  const keys = inlineKeys(el, 'issuer-signing-keys', cc);
  if (keys.length) sources.push(new StaticKeySource(keys));
  const config: JwtValidationConfig = {
    keySources: sources,
    audiences: texts(el, 'audiences', 'audience', cc),
    issuers: texts(el, 'issuers', 'issuer', cc),
    requiredClaims: requiredClaims(el, cc),
    requireExpirationTime: boolAttr(el, 'require-expiration-time', cc, true),
    requireSignedTokens: boolAttr(el, 'require-signed-tokens', cc, true),
    clockSkewSeconds: intAttr(el, 'clock-skew', cc, 0)!,
  };
  return jwtStep('validate-jwt', el, cc, tokenSource(el, cc, 'Authorization'), config);
});

/**
 * What https://learn.microsoft.com/azure/api-management/validate-azure-ad-token-policy documents
 * (plus `id`, which every policy may carry); anything else is refused, as APIM refuses to save it.
 */
const AZURE_AD_TOKEN_ATTRIBUTES = new Set(['id', 'tenant-id', 'header-name', 'query-parameter-name', 'token-value', 'authentication-endpoint', 'failed-validation-httpcode', 'failed-validation-error-message', 'output-token-variable-name']);
const AZURE_AD_TOKEN_CHILDREN = new Set(['client-application-ids', 'backend-application-ids', 'audiences', 'required-claims', 'decryption-keys']);

defineElement('validate-azure-ad-token', (el, cc) => {
  for (const a of el.attributes) {
    if (!AZURE_AD_TOKEN_ATTRIBUTES.has(a.name)) throw new EmulatorError('INVALID_POLICY', `<validate-azure-ad-token>${where(el)}: ${a.name} is not an attribute of validate-azure-ad-token`);
  }
  for (const c of childElements(el)) {
    if (!AZURE_AD_TOKEN_CHILDREN.has(c.name)) throw new EmulatorError('INVALID_POLICY', `<validate-azure-ad-token>${where(el)}: <${c.name}> is not an element of validate-azure-ad-token`);
  }
  if (childElements(el, 'decryption-keys').length) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <decryption-keys>${where(el)} (encrypted tokens are not emulated)`);
  const tenant = constAttr(el, 'tenant-id', cc);
  if (!tenant) throw new EmulatorError('INVALID_POLICY', `<validate-azure-ad-token>${where(el)} needs tenant-id`);
  const services = cc.options.services;
  const audiences = texts(el, 'audiences', 'audience', cc);
  const backendApps = texts(el, 'backend-application-ids', 'application-id', cc);
  const clientApps = texts(el, 'client-application-ids', 'application-id', cc);
  // client-application-ids: "Required: Yes ... At least one application-id must be specified."
  if (clientApps === null || clientApps.length === 0) throw new EmulatorError('INVALID_POLICY', `<validate-azure-ad-token>${where(el)} needs <client-application-ids> with at least one <application-id>`);
  const aud = audiences || backendApps ? [...(audiences ?? []), ...(backendApps ?? []), ...(backendApps ?? []).map((a) => `api://${a}`)] : null;
  const config: JwtValidationConfig = {
    keySources: [services.keyCache.openId(services.azureAdOpenIdConfigUrl(tenant))],
    audiences: aud,
    // Entra ID v1 and v2 issuers of this tenant
    issuers: [`https://sts.windows.net/${tenant}/`, `https://login.microsoftonline.com/${tenant}/v2.0`],
    requiredClaims: requiredClaims(el, cc),
    requireExpirationTime: true,
    requireSignedTokens: true,
    // no clock-skew attribute is documented for this policy
    clockSkewSeconds: 0,
  };
  // the client application is the token's appid (v1) or azp (v2) claim; a mismatch is reported with the
  // documented claim reasons (https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies#predefined-errors-for-policies)
  const clientCheck = (payload: Record<string, unknown>): { reason: string; message: string } | null => {
    const claim = typeof payload.appid === 'string' ? 'appid' : typeof payload.azp === 'string' ? 'azp' : undefined;
    if (claim === undefined) return { reason: 'TokenClaimNotFound', message: 'JWT token is missing the following claims: azp. Access denied.' };
    const app = payload[claim] as string;
    if (clientApps.includes(app)) return null;
    return { reason: 'TokenClaimValueNotAllowed', message: `Claim ${claim} value of ${app} is not allowed. Access denied.` };
  };
  // validate-azure-ad-token reports only documented reasons (a not-yet-valid token: JwtInvalid)
  return jwtStep('validate-azure-ad-token', el, cc, tokenSource(el, cc, 'Authorization'), config, clientCheck, true);
});

/** A managed identity token is reused until this long before it expires (APIM caches them too). */
export const managedIdentityRefreshMarginMs = 5 * 60 * 1000;

defineElement(
  'authentication-managed-identity',
  (el, cc) => {
    const resource = attrString(el, 'resource', cc);
    if (!resource) throw new EmulatorError('INVALID_POLICY', `<authentication-managed-identity>${where(el)} needs resource`);
    const outputVar = constAttr(el, 'output-token-variable-name', cc);
    const ignoreError = boolAttr(el, 'ignore-error', cc, false);
    const credential = cc.options.services.credential;
    // tokens by scope, reused while they are fresh: no credential call (and no wait) per request
    const cache = new Map<string, { token: string; expiresOnTimestamp: number }>();
    const apply = (run: Run, token: string): void => {
      if (outputVar) run.context.variables.map.set(outputVar, token);
      else targetMessage(run, cc).headers.setKey('authorization', 'Authorization', [`Bearer ${token}`]);
    };
    const fetchToken = async (run: Run, r: string, scope: string): Promise<void> => {
      let token: string | null = null;
      if (credential) {
        try {
          const got = await credential.getToken(scope);
          token = got?.token ?? null;
          if (got) cache.set(scope, got);
        } catch {
          token = null;
        }
      }
      if (token === null) {
        if (ignoreError) return;
        throw new PolicyFailure(
          { source: 'authentication-managed-identity', reason: 'ManagedIdentityTokenNotAvailable', message: `Could not obtain a managed identity token for ${r}.`, policyId: '' },
          500,
          errorBody(500, 'Internal server error'),
        );
      }
      apply(run, token);
    };
    return (run) => {
      const r = resource(run);
      const scope = r.endsWith('/.default') ? r : `${r.replace(/\/$/, '')}/.default`;
      const cached = cache.get(scope);
      if (cached && cached.expiresOnTimestamp - run.services.now() > managedIdentityRefreshMarginMs) return apply(run, cached.token);
      // asking the credential is an effect outside the run: only once no check is under way
      return settleFirst(run, () => fetchToken(run, r, scope));
    };
  },
  { pure: true },
);

defineElement('authentication-basic', (el, cc) => {
  const user = attrString(el, 'username', cc);
  const password = attrString(el, 'password', cc);
  if (!user || !password) throw new EmulatorError('INVALID_POLICY', `<authentication-basic>${where(el)} needs username and password`);
  return (run) => {
    targetMessage(run, cc).headers.set('Authorization', [`Basic ${Buffer.from(`${user(run)}:${password(run)}`, 'utf8').toString('base64')}`]);
  };
}, { pure: true });
