/**
 * `set-body`: set the request or response body (text, expression or liquid template).
 * Reference: https://learn.microsoft.com/azure/api-management/set-body-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import { isCData, isPolicyExpression, type BoolValue, type CData, type EnumValue, type Text } from '../model/values.js';

export interface SetBodyOptions {
  /** `liquid` renders the body as a liquid template. */
  template?: EnumValue<'liquid' | 'none'>;
  /** How an XML element with `xsi:nil="true"` is shown in liquid: blank or null. */
  xsiNil?: EnumValue<'blank' | 'null'>;
  parseDate?: BoolValue;
  /** Text, an expression, or `cdata(...)` for a body that holds markup. */
  body?: Text | CData;
}

export type SetBody = { kind: 'set-body' } & SetBodyOptions;

export const setBodySpec: ElementSpec = {
  name: 'set-body',
  attrs: [
    { key: 'template', xml: 'template', type: { enum: ['liquid', 'none'] } },
    { key: 'xsiNil', xml: 'xsi-nil', type: { enum: ['blank', 'null'] } },
    { key: 'parseDate', xml: 'parse-date', type: 'bool' },
  ],
  children: [{ kind: 'content', key: 'body' }],
};

export function setBody(options: SetBodyOptions | Text | CData): SetBody {
  return makeElement<SetBody>(setBodySpec, typeof options === 'string' || isPolicyExpression(options) || isCData(options) ? { body: options } : options);
}
