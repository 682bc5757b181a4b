/**
 * `mock-response`: answer from the API's response examples instead of the backend.
 * Reference: https://learn.microsoft.com/azure/api-management/mock-response-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { IntValue, Text } from '../model/values.js';

export interface MockResponseOptions {
  statusCode?: IntValue;
  contentType?: Text;
  /** Index of the example to return. */
  index?: IntValue;
}

export type MockResponse = { kind: 'mock-response' } & MockResponseOptions;

export const mockResponseSpec: ElementSpec = {
  name: 'mock-response',
  attrs: [
    { key: 'statusCode', xml: 'status-code', type: 'int' },
    { key: 'contentType', xml: 'content-type', type: 'text' },
    { key: 'index', xml: 'index', type: 'int' },
  ],
  children: [],
};

export function mockResponse(options: MockResponseOptions = {}): MockResponse {
  return makeElement<MockResponse>(mockResponseSpec, options);
}
