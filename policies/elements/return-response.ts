/**
 * `return-response`: stop the pipeline and answer the caller.
 * Reference: https://learn.microsoft.com/azure/api-management/return-response-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { Text } from '../model/values.js';
import type { SetBody } from './set-body.js';
import type { SetHeader } from './set-header.js';
import type { SetStatus } from './set-status.js';

export interface ReturnResponseOptions {
  /** Return the response held in this context variable. */
  responseVariableName?: Text;
  status?: SetStatus;
  headers?: SetHeader[];
  body?: SetBody;
}

export type ReturnResponse = { kind: 'return-response' } & ReturnResponseOptions;

export const returnResponseSpec: ElementSpec = {
  name: 'return-response',
  attrs: [{ key: 'responseVariableName', xml: 'response-variable-name', type: 'text' }],
  children: [
    { kind: 'element', key: 'status', xml: 'set-status' },
    { kind: 'element', key: 'headers', xml: 'set-header', many: true },
    { kind: 'element', key: 'body', xml: 'set-body' },
  ],
};

export function returnResponse(options: ReturnResponseOptions): ReturnResponse {
  return makeElement<ReturnResponse>(returnResponseSpec, options);
}
