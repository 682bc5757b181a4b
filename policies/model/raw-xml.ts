/** Turns a `raw()` escape hatch into XML nodes with the shared parser (raw or well-formed form). */
import type { XmlNode } from '../xml/tree.js';
import { parsePolicyXml } from '../xml/parse.js';
import { PolicyXmlError } from '../xml/errors.js';
import { PolicyModelError } from './errors.js';

const OPEN = '<fragment>';

/** The comment written right before the nodes of a raw() escape hatch (the linter looks for it). */
export const RAW_XML_MARKER = 'apim-rls:raw';

export function rawToNodes(xml: string): XmlNode[] {
  try {
    return parsePolicyXml(`${OPEN}${xml}</fragment>`).children;
  } catch (err) {
    if (err instanceof PolicyXmlError) {
      const column = err.line === 1 ? Math.max(1, err.column - OPEN.length) : err.column;
      throw new PolicyModelError('ERR_POLICY_RAW_XML', `raw() holds XML that does not parse: ${err.reason} (line ${err.line}, column ${column} of the raw text)`);
    }
    throw err;
  }
}
