/** Collects findings with their rule's severity and a location in the policy, spec or settings. */
import type { Visit } from '../../../policies/lint/types.js';
import type { XmlElement } from '../../../policies/xml/tree.js';
import { ruleOf, type ChainRuleId } from './rules.js';
import type { ChainFinding, ChainFindingLocation } from './types.js';

export interface Reporter {
  readonly findings: ChainFinding[];
  at(id: ChainRuleId, message: string, location: ChainFindingLocation): void;
  /** At a policy element (its file, path and line). */
  policy(id: ChainRuleId, message: string, at: Visit | XmlElement | undefined): void;
  /** At a path of the spec. */
  spec(id: ChainRuleId, message: string, path: string): void;
  /** At a backend setting (or the claim map when `key` is undefined). */
  setting(id: ChainRuleId, message: string, key: string | undefined): void;
}

export interface ReporterFiles {
  fileOf: WeakMap<XmlElement, string>;
  policyFile: string;
  pathOf: Map<XmlElement, string>;
  specFile: string | undefined;
  settingsFile: string | undefined;
  settingsLines: Readonly<Record<string, number>>;
}

export function createReporter(files: ReporterFiles): Reporter {
  const findings: ChainFinding[] = [];
  const at = (id: ChainRuleId, message: string, location: ChainFindingLocation): void => {
    findings.push({ id, severity: ruleOf(id).severity, message, location });
  };
  return {
    findings,
    at,
    policy(id, message, where) {
      const el = where === undefined ? undefined : 'el' in where ? where.el : where;
      const location: ChainFindingLocation = { file: (el && files.fileOf.get(el)) ?? files.policyFile };
      const path = where !== undefined && 'path' in where ? where.path : el !== undefined ? files.pathOf.get(el) : undefined;
      if (path !== undefined) location.path = path;
      if (el?.loc) {
        location.line = el.loc.line;
        location.column = el.loc.column;
      }
      at(id, message, location);
    },
    spec(id, message, path) {
      at(id, message, { ...(files.specFile !== undefined ? { file: files.specFile } : {}), path });
    },
    setting(id, message, key) {
      const location: ChainFindingLocation = files.settingsFile !== undefined ? { file: files.settingsFile } : {};
      if (key !== undefined) {
        location.path = key;
        const line = files.settingsLines[key];
        if (line !== undefined) location.line = line;
      }
      at(id, message, location);
    },
  };
}
