/** APIM1xx: JWT validation. */
import { attr, childElements } from '../../xml/tree.js';
import type { Rule } from '../types.js';
import { literalAttr, textContent } from '../walk.js';

const jwt = (name: string) => name === 'validate-jwt';
const anyValidator = (name: string) => name === 'validate-jwt' || name === 'validate-azure-ad-token';

export const jwtRules: Rule[] = [
  {
    id: 'APIM101',
    severity: 'error',
    summary: 'validate-jwt without audiences: a token issued for any other API is accepted',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!jwt(v.el.name)) continue;
        const audiences = childElements(v.el, 'audiences')[0];
        if (audiences === undefined || childElements(audiences, 'audience').length === 0) {
          ctx.report(v, 'validate-jwt has no <audiences>: tokens minted for other APIs pass; list this API\'s audience');
        }
      }
    },
  },
  {
    id: 'APIM102',
    severity: 'warning',
    summary: 'validate-jwt without issuers: the token issuer is not pinned',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!jwt(v.el.name)) continue;
        const issuers = childElements(v.el, 'issuers')[0];
        if (issuers === undefined || childElements(issuers, 'issuer').length === 0) {
          ctx.report(v, 'validate-jwt has no <issuers>: pin the expected issuer(s) (v1 and v2 forms for Entra ID)');
        }
      }
    },
  },
  {
    id: 'APIM103',
    severity: 'error',
    summary: 'validate-jwt require-expiration-time="false": tokens without exp never expire',
    check(ctx) {
      for (const v of ctx.visits) {
        if (jwt(v.el.name) && literalAttr(v.el, 'require-expiration-time')?.trim().toLowerCase() === 'false') {
          ctx.report(v, 'require-expiration-time="false" accepts tokens that never expire');
        }
      }
    },
  },
  {
    id: 'APIM104',
    severity: 'error',
    summary: 'validate-jwt require-signed-tokens="false": unsigned tokens are accepted',
    check(ctx) {
      for (const v of ctx.visits) {
        if (jwt(v.el.name) && literalAttr(v.el, 'require-signed-tokens')?.trim().toLowerCase() === 'false') {
          ctx.report(v, 'require-signed-tokens="false" accepts unsigned (alg "none") tokens: anyone can forge one');
        }
      }
    },
  },
  {
    id: 'APIM105',
    severity: 'error',
    summary: 'openid-config over `http://`: signing keys can be swapped in transit',
    check(ctx) {
      for (const v of ctx.visits) {
        if (v.el.name !== 'openid-config') continue;
        const url = literalAttr(v.el, 'url');
        if (url !== undefined && /^\s*http:\/\//i.test(url)) {
          ctx.report(v, `openid-config url ${url.trim()} is plain http: whoever sits on the path chooses the signing keys; use https`);
        }
      }
    },
  },
  {
    id: 'APIM106',
    severity: 'warning',
    summary: 'token validation failing with a status other than 401',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!anyValidator(v.el.name)) continue;
        const code = literalAttr(v.el, 'failed-validation-httpcode');
        if (code !== undefined && code.trim() !== '401') {
          ctx.report(v, `failed-validation-httpcode="${code.trim()}": a missing or invalid token is 401 (403 is for a valid token that lacks a claim)`);
        }
      }
    },
  },
  {
    id: 'APIM107',
    severity: 'warning',
    summary: 'validate-jwt clock-skew larger than the configured maximum (default 300 s)',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!jwt(v.el.name)) continue;
        const skew = literalAttr(v.el, 'clock-skew');
        if (skew === undefined) continue;
        const seconds = Number(skew.trim());
        if (Number.isFinite(seconds) && seconds > ctx.maxClockSkewSeconds) {
          ctx.report(v, `clock-skew="${skew.trim()}" lets expired tokens through for ${seconds} s (maximum ${ctx.maxClockSkewSeconds})`);
        }
      }
    },
  },
  {
    id: 'APIM108',
    severity: 'warning',
    summary: 'token read from a query parameter: URLs with tokens end up in logs',
    check(ctx) {
      for (const v of ctx.visits) {
        if (anyValidator(v.el.name) && attr(v.el, 'query-parameter-name') !== undefined) {
          ctx.report(v, `${v.el.name} reads the token from a query parameter: URLs are logged by proxies and servers; use the Authorization header`);
        }
      }
    },
  },
  {
    id: 'APIM109',
    severity: 'error',
    summary: 'validate-jwt with no signing keys and no openid-config',
    check(ctx) {
      for (const v of ctx.visits) {
        if (!jwt(v.el.name)) continue;
        const hasKeys = childElements(v.el, 'issuer-signing-keys').some((k) => childElements(k).length > 0 || textContent(k) !== '');
        if (!hasKeys && childElements(v.el, 'openid-config').length === 0) {
          ctx.report(v, 'validate-jwt has neither <openid-config> nor <issuer-signing-keys>: nothing says which keys may sign');
        }
      }
    },
  },
];
