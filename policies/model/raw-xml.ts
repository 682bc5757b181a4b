/** Turns a `raw()` escape hatch into XML nodes with the shared parser. */
import type { XmlNode } from '../xml/tree.js';
import { PolicyModelError } from './errors.js';

export function rawToNodes(_xml: string): XmlNode[] {
  throw new PolicyModelError('ERR_POLICY_RAW_XML', 'raw() needs the XML parser (policies/xml/parse.ts), which is not available yet');
}
