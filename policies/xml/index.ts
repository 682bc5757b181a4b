export type {
  SourceLocation,
  XmlExpression,
  XmlValue,
  XmlAttribute,
  XmlElement,
  XmlText,
  XmlCData,
  XmlComment,
  XmlNode,
} from './tree.js';
export { element, isExpression, attr, childElements } from './tree.js';
export { parsePolicyXml, parsePolicyXmlDocument, POLICY_ROOTS } from './parse.js';
export type { PolicyXmlDocument } from './parse.js';
export { writePolicyXml } from './write.js';
export type { WritePolicyXmlOptions } from './write.js';
export { PolicyXmlError } from './errors.js';
export type { PolicyXmlErrorCode } from './errors.js';
export { scanExpression } from './scan.js';
