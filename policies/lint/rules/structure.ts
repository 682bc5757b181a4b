/** APIM4xx: document structure. */
import { attr, childElements } from '../../xml/tree.js';
import type { Rule, Visit } from '../types.js';
import { SECTIONS, VALIDATORS } from '../walk.js';

/** The marker comment the typed model writes right before the nodes of a raw-XML escape hatch. */
export const RAW_XML_MARKER = 'apim-rls:raw';

function sections(visits: Visit[]): Visit[] {
  return visits.filter((v) => v.ancestors.length === 1 && v.ancestors[0]?.name === 'policies');
}

export const structureRules: Rule[] = [
  {
    id: 'APIM401',
    severity: 'warning',
    summary: 'a section without `<base />`: the enclosing scope\'s policies (global, product) are skipped',
    check(ctx) {
      if (ctx.scope === 'global' || ctx.scope === 'fragment') return;
      for (const v of sections(ctx.visits)) {
        if (!(SECTIONS as readonly string[]).includes(v.el.name)) continue;
        if (childElements(v.el, 'base').length === 0) {
          ctx.report(v, `<${v.el.name}> has no <base />: policies of the enclosing scope (global, product) do not run here`);
        }
      }
    },
  },
  {
    id: 'APIM402',
    severity: 'warning',
    summary: 'a raw-XML escape hatch: hand-written XML the typed model does not check',
    check(ctx) {
      for (const v of ctx.visits) {
        v.el.children.forEach((c, i) => {
          if (c.kind !== 'comment' || !c.value.trim().startsWith(RAW_XML_MARKER)) return;
          const next = v.el.children.slice(i + 1).find((n) => n.kind === 'element');
          const at = next?.kind === 'element' ? (ctx.visits.find((x) => x.el === next) ?? v) : v;
          ctx.report(
            at === v && c.loc ? { ...v, el: { ...v.el, loc: c.loc } } : at,
            'raw XML escape hatch: this XML bypasses the typed builders; review it by hand or model it',
          );
        });
      }
    },
  },
  {
    id: 'APIM403',
    severity: 'error',
    summary: 'token validation outside inbound, where it cannot protect the request',
    check(ctx) {
      for (const v of ctx.visits) {
        if (VALIDATORS.has(v.el.name) && v.section !== undefined && v.section !== 'inbound' && v.section !== 'fragment') {
          ctx.report(v, `${v.el.name} in <${v.section}> runs after the backend was called (or only on errors): validate in <inbound>`);
        }
      }
    },
  },
  {
    id: 'APIM404',
    severity: 'error',
    summary: 'an unknown or repeated section under `<policies>`',
    check(ctx) {
      const seen = new Set<string>();
      for (const v of sections(ctx.visits)) {
        if (!(SECTIONS as readonly string[]).includes(v.el.name)) {
          ctx.report(v, `<${v.el.name}> is not a policy section: expected inbound, backend, outbound or on-error`);
        } else if (seen.has(v.el.name)) {
          ctx.report(v, `<${v.el.name}> appears twice`);
        }
        seen.add(v.el.name);
      }
    },
  },
  {
    id: 'APIM405',
    severity: 'warning',
    summary: '`<base />` more than once in one section: inherited policies run twice',
    check(ctx) {
      for (const v of ctx.visits) {
        if (v.section === undefined || v.ancestors.length !== 1) continue;
        const bases = childElements(v.el, 'base');
        for (const extra of bases.slice(1)) {
          const at = ctx.visits.find((x) => x.el === extra);
          if (at) ctx.report(at, `<${v.el.name}> has more than one <base />: the enclosing scope's policies run twice`);
        }
      }
    },
  },
  {
    id: 'APIM406',
    severity: 'error',
    summary: '`<base />` at global scope, where there is nothing to inherit',
    check(ctx) {
      if (ctx.scope !== 'global') return;
      for (const v of ctx.visits) {
        if (v.el.name === 'base') ctx.report(v, '<base /> at global scope: there is no enclosing scope, APIM rejects it');
      }
    },
  },
  {
    id: 'APIM407',
    severity: 'error',
    summary: 'a renewal-period APIM refuses: above 300 s for rate-limit / rate-limit-by-key, below 300 s (not 0) for quota / quota-by-key',
    check(ctx) {
      // https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy ("Maximum allowed value: 300 seconds")
      // https://learn.microsoft.com/azure/api-management/quota-by-key-policy ("Minimum period: 300 seconds")
      for (const v of ctx.visits) {
        const rate = v.el.name === 'rate-limit' || v.el.name === 'rate-limit-by-key';
        const quota = v.el.name === 'quota' || v.el.name === 'quota-by-key';
        const period = attr(v.el, 'renewal-period');
        if ((!rate && !quota) || typeof period !== 'string' || !/^\s*\d+\s*$/.test(period)) continue;
        const n = Number(period);
        if (rate && (n < 1 || n > 300)) ctx.report(v, `<${v.el.name}> renewal-period="${n}": the sliding window is at most 300 seconds; use quota-by-key for longer periods`);
        if (quota && n !== 0 && n < 300) ctx.report(v, `<${v.el.name}> renewal-period="${n}": a quota period is at least 300 seconds (0: never renewed); use rate-limit-by-key for shorter windows`);
      }
    },
  },
];
