/** Convenience: the typed model to and from policy XML text (through the shared parser and writer). */
import { parsePolicyXml } from '../xml/parse.js';
import { writePolicyXml } from '../xml/write.js';
import { buildPolicy, readPolicy } from './codec.js';
import type { PolicyDocument, PolicyFragment } from './document.js';

export interface EmitPolicyOptions {
  /** `xml` (default): well-formed XML, what publishing with `format: xml` sends. `raw`: APIM's export form. */
  form?: 'xml' | 'raw';
}

/** The document or fragment as policy XML text. */
export function emitPolicy(doc: PolicyDocument | PolicyFragment, options: EmitPolicyOptions = {}): string {
  return writePolicyXml(buildPolicy(doc), { form: options.form ?? 'xml' });
}

/** Policy XML text (raw or well-formed) as the typed model. Throws PolicyXmlError (line, column) when it does not parse. */
export function parsePolicy(text: string): PolicyDocument | PolicyFragment {
  return readPolicy(parsePolicyXml(text));
}
