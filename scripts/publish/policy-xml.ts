/**
 * The XML layer as publishing uses it: `policies/xml` parses raw or well-formed policy XML
 * (expressions kept byte for byte) and writes either form.
 */
import { parsePolicyXml, writePolicyXml } from '../../policies/xml/index.js';
import type { PolicyCodec } from './publish.js';

export const publishCodec: PolicyCodec = {
  parse: (text) => parsePolicyXml(text),
  write: (root, form) => writePolicyXml(root, { form }),
};
