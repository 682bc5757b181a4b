/**
 * The global policy (outermost scope: nothing to inherit, so no `<base />`): strip client-sent
 * identity headers for every API behind the gateway, forward to the backend, and keep server
 * banners out of responses.
 */
import { policyDocument, type PolicyDocument } from '../model/document.js';
import { deleteHeader } from '../elements/set-header.js';
import { forwardRequest } from '../elements/forward-request.js';
import { CLIENT_PRINCIPAL_HEADERS } from '../presets/identity.js';
import { ORDERS_FORWARDED_CLAIMS } from './orders-api.js';

export function globalPolicy(): PolicyDocument {
  return policyDocument({
    inbound: [...ORDERS_FORWARDED_CLAIMS.map((c) => deleteHeader(c.header)), ...CLIENT_PRINCIPAL_HEADERS.map((h) => deleteHeader(h))],
    backend: [forwardRequest({ timeout: 60, followRedirects: false })],
    outbound: [deleteHeader('X-Powered-By'), deleteHeader('X-AspNet-Version'), deleteHeader('Server')],
    onError: [],
  });
}
