/** APIM2xx: identity forwarding. */
import { attr, childElements, isExpression, type XmlElement } from '../../xml/tree.js';
import type { Rule, RuleContext, Visit } from '../types.js';
import { VALIDATORS, dominates, hasPrefix, literalAttr, valueText } from '../walk.js';

/** set-header elements of inbound that put an identity-namespace header on the forwarded request. */
function forwards(ctx: RuleContext): Visit[] {
  return ctx.visits.filter((v) => {
    if (v.el.name !== 'set-header' || !requestSide(v) || insideReturnResponse(v)) return false;
    const name = literalAttr(v.el, 'name');
    if (name === undefined || !hasPrefix(name.trim(), ctx.identityHeaderPrefixes)) return false;
    return literalAttr(v.el, 'exists-action')?.trim().toLowerCase() !== 'delete';
  });
}

/** inbound, or a fragment (which is included into inbound more often than anywhere else). */
function requestSide(v: Visit): boolean {
  return v.section === 'inbound' || v.section === 'fragment';
}

/** Elements under return-response / send-request build another message, not the forwarded request. */
function insideReturnResponse(v: Visit): boolean {
  return v.ancestors.some((a) => a.name === 'return-response' || a.name === 'send-request' || a.name === 'send-one-way-request');
}

function validators(ctx: RuleContext): Visit[] {
  return ctx.visits.filter((v) => VALIDATORS.has(v.el.name) && requestSide(v));
}

function headerValues(el: XmlElement): string[] {
  return childElements(el, 'value').flatMap((v) => v.children.map((c) => (c.kind === 'text' ? valueText(c.value) : c.kind === 'cdata' ? c.value : '')));
}

export const identityRules: Rule[] = [
  {
    id: 'APIM201',
    severity: 'error',
    summary: 'identity header forwarded with no token validation before it in inbound',
    check(ctx) {
      const checks = validators(ctx);
      for (const v of forwards(ctx)) {
        if (!checks.some((c) => dominates(c, v))) {
          ctx.report(v, `identity header ${literalAttr(v.el, 'name')} is forwarded but no validate-jwt / validate-azure-ad-token runs before it on every path: the backend would trust an unverified caller`);
        }
      }
    },
  },
  {
    id: 'APIM202',
    severity: 'error',
    summary: 'identity header set with exists-action skip or append: the client-sent value survives',
    check(ctx) {
      for (const v of forwards(ctx)) {
        const action = literalAttr(v.el, 'exists-action')?.trim().toLowerCase();
        if (action === 'skip' || action === 'append') {
          ctx.report(v, `exists-action="${action}" on identity header ${literalAttr(v.el, 'name')} keeps a value the client sent; use override after deleting client copies`);
        }
      }
    },
  },
  {
    id: 'APIM203',
    severity: 'error',
    summary: 'client-sent identity headers not removed (exists-action="delete") before forwarding',
    check(ctx) {
      const deletes = ctx.visits.filter(
        (v) =>
          v.el.name === 'set-header' &&
          requestSide(v) &&
          literalAttr(v.el, 'exists-action')?.trim().toLowerCase() === 'delete' &&
          hasPrefix(literalAttr(v.el, 'name')?.trim() ?? '', ctx.identityHeaderPrefixes),
      );
      for (const v of forwards(ctx)) {
        if (!deletes.some((d) => dominates(d, v))) {
          ctx.report(v, `identity header ${literalAttr(v.el, 'name')} is forwarded but client-sent identity headers are not deleted first: a caller can add their own X-… identity headers`);
        }
      }
    },
  },
  {
    id: 'APIM204',
    severity: 'info',
    summary: 'the caller\'s Authorization header reaches the backend unchanged after validation',
    check(ctx) {
      const checks = validators(ctx);
      if (checks.length === 0) return;
      const handled = ctx.visits.some(
        (v) =>
          (v.el.name === 'set-header' && (v.section === 'inbound' || v.section === 'backend') && !insideReturnResponse(v) && literalAttr(v.el, 'name')?.trim().toLowerCase() === 'authorization') ||
          v.el.name === 'authentication-managed-identity' ||
          v.el.name === 'authentication-basic' ||
          v.el.name === 'authentication-certificate',
      );
      if (!handled) {
        ctx.report(checks[0] as Visit, 'the caller\'s token is forwarded to the backend as is: fine when the backend verifies it again, otherwise replace it (authentication-managed-identity) or delete it');
      }
    },
  },
  {
    id: 'APIM205',
    severity: 'warning',
    summary: 'rate limit or quota keyed only by caller IP where a validated identity exists',
    check(ctx) {
      if (validators(ctx).length === 0) return;
      for (const v of ctx.visits) {
        if (v.el.name !== 'rate-limit-by-key' && v.el.name !== 'quota-by-key') continue;
        const key = attr(v.el, 'counter-key');
        if (!isExpression(key)) continue;
        if (/IpAddress/.test(key.code) && !/(Jwt|Claims|Subscription|User|Variables|Headers)/.test(key.code)) {
          ctx.report(v, `${v.el.name} counts per IP address only: callers behind one NAT share a limit and one caller with many IPs escapes it; key by the validated subject (oid/sub)`);
        }
      }
    },
  },
  {
    id: 'APIM206',
    severity: 'error',
    summary: 'identity header value copied from a request header instead of the validated token',
    check(ctx) {
      for (const v of forwards(ctx)) {
        for (const code of headerValues(v.el)) {
          if (/Request\.Headers/.test(code) && !/(AsJwt|\bJwt\b|Claims)/.test(code)) {
            ctx.report(v, `identity header ${literalAttr(v.el, 'name')} copies a request header the client controls; take the value from the validated token's claims`);
            break;
          }
        }
      }
    },
  },
];
