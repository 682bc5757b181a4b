/**
 * The APIM policy reference, transcribed: for each element the policy statements document,
 * its attributes (with allowed literal values) and its child elements. Written from the
 * reference pages (URL per element), independently of the builders' specs, so tests can
 * check builder output against the documented shape rather than against itself. The linter
 * may use it too.
 *
 * Attribute kinds: 'string' (any text, expressions where the page allows them), 'int',
 * 'bool' ("true" | "false"), or the list of documented literals. Expressions and
 * `{{named values}}` are accepted for any attribute the page marks as allowing them; this
 * table does not distinguish, the tests only check literals.
 */
export type DocumentedAttribute = 'string' | 'int' | 'bool' | readonly string[];

export interface DocumentedElement {
  url?: string;
  attributes: Readonly<Record<string, DocumentedAttribute>>;
  /** Documented children by name; `policies` means "any policy elements". */
  children: Readonly<Record<string, DocumentedElement>> | 'policies' | 'text' | 'none';
  /** Attributes the page marks required. */
  required?: readonly string[];
}

const DOCS = 'https://learn.microsoft.com/azure/api-management/';
const text: DocumentedElement = { attributes: {}, children: 'text' };
const key: DocumentedElement = { attributes: { id: 'string', 'certificate-id': 'string', n: 'string', e: 'string' }, children: 'text' };
const decryptionKey: DocumentedElement = { attributes: { 'certificate-id': 'string' }, children: 'text' };
const claim: DocumentedElement = {
  attributes: { name: 'string', match: ['all', 'any'], separator: 'string' },
  children: { value: text },
  required: ['name'],
};
const headerLike = (url: string): DocumentedElement => ({
  url,
  attributes: { name: 'string', 'exists-action': ['override', 'skip', 'append', 'delete'] },
  children: { value: text },
  required: ['name'],
});

export const POLICY_REFERENCE: Readonly<Record<string, DocumentedElement>> = {
  'validate-jwt': {
    url: `${DOCS}validate-jwt-policy`,
    attributes: {
      'header-name': 'string',
      'query-parameter-name': 'string',
      'token-value': 'string',
      'failed-validation-httpcode': 'int',
      'failed-validation-error-message': 'string',
      'require-expiration-time': 'bool',
      'require-scheme': 'string',
      'require-signed-tokens': 'bool',
      'clock-skew': 'int',
      'output-token-variable-name': 'string',
    },
    children: {
      'openid-config': { attributes: { url: 'string' }, children: 'none', required: ['url'] },
      'issuer-signing-keys': { attributes: {}, children: { key } },
      'decryption-keys': { attributes: {}, children: { key: decryptionKey } },
      audiences: { attributes: {}, children: { audience: text } },
      issuers: { attributes: {}, children: { issuer: text } },
      'required-claims': { attributes: {}, children: { claim } },
    },
  },
  'validate-azure-ad-token': {
    url: `${DOCS}validate-azure-ad-token-policy`,
    attributes: {
      'tenant-id': 'string',
      'header-name': 'string',
      'query-parameter-name': 'string',
      'token-value': 'string',
      'authentication-endpoint': 'string',
      'failed-validation-httpcode': 'int',
      'failed-validation-error-message': 'string',
      'output-token-variable-name': 'string',
    },
    children: {
      'client-application-ids': { attributes: {}, children: { 'application-id': text } },
      'backend-application-ids': { attributes: {}, children: { 'application-id': text } },
      audiences: { attributes: {}, children: { audience: text } },
      'required-claims': { attributes: {}, children: { claim } },
      'decryption-keys': { attributes: {}, children: { key: decryptionKey } },
    },
    required: ['tenant-id'],
  },
  'check-header': {
    url: `${DOCS}check-header-policy`,
    attributes: { name: 'string', 'failed-check-httpcode': 'int', 'failed-check-error-message': 'string', 'ignore-case': 'bool' },
    children: { value: text },
    required: ['name', 'failed-check-httpcode', 'failed-check-error-message', 'ignore-case'],
  },
  'set-header': headerLike(`${DOCS}set-header-policy`),
  'set-query-parameter': headerLike(`${DOCS}set-query-parameter-policy`),
  'rewrite-uri': {
    url: `${DOCS}rewrite-uri-policy`,
    attributes: { template: 'string', 'copy-unmatched-params': 'bool' },
    children: 'none',
    required: ['template'],
  },
  'set-backend-service': {
    url: `${DOCS}set-backend-service-policy`,
    attributes: {
      'base-url': 'string',
      'backend-id': 'string',
      'sf-partition-key': 'string',
      'sf-replica-type': ['primary', 'secondary'],
      'sf-resolve-condition': 'string',
      'sf-service-instance-name': 'string',
      'sf-listener-name': 'string',
      'dapr-app-id': 'string',
      'dapr-method': 'string',
      'dapr-namespace': 'string',
    },
    children: 'none',
  },
  'authentication-managed-identity': {
    url: `${DOCS}authentication-managed-identity-policy`,
    attributes: { resource: 'string', 'client-id': 'string', 'output-token-variable-name': 'string', 'ignore-error': 'bool' },
    children: 'none',
    required: ['resource'],
  },
  'rate-limit-by-key': {
    url: `${DOCS}rate-limit-by-key-policy`,
    attributes: {
      calls: 'int',
      'renewal-period': 'int',
      'counter-key': 'string',
      'increment-condition': 'bool',
      'increment-count': 'int',
      'retry-after-header-name': 'string',
      'retry-after-variable-name': 'string',
      'remaining-calls-header-name': 'string',
      'remaining-calls-variable-name': 'string',
      'total-calls-header-name': 'string',
    },
    children: 'none',
    required: ['calls', 'renewal-period', 'counter-key'],
  },
  'quota-by-key': {
    url: `${DOCS}quota-by-key-policy`,
    attributes: {
      calls: 'int',
      bandwidth: 'int',
      'renewal-period': 'int',
      'counter-key': 'string',
      'increment-condition': 'bool',
      'first-period-start': 'string',
    },
    children: 'none',
    required: ['renewal-period', 'counter-key'],
  },
  cors: {
    url: `${DOCS}cors-policy`,
    attributes: { 'allow-credentials': 'bool', 'terminate-unmatched-request': 'bool' },
    children: {
      'allowed-origins': { attributes: {}, children: { origin: text } },
      'allowed-methods': { attributes: { 'preflight-result-max-age': 'int' }, children: { method: text } },
      'allowed-headers': { attributes: {}, children: { header: text } },
      'expose-headers': { attributes: {}, children: { header: text } },
    },
  },
  'set-status': {
    url: `${DOCS}set-status-policy`,
    attributes: { code: 'int', reason: 'string' },
    children: 'none',
    required: ['code'],
  },
  'set-body': {
    url: `${DOCS}set-body-policy`,
    attributes: { template: ['liquid', 'none'], 'xsi-nil': ['blank', 'null'], 'parse-date': 'bool' },
    children: 'text',
  },
  'set-variable': {
    url: `${DOCS}set-variable-policy`,
    attributes: { name: 'string', value: 'string' },
    children: 'none',
    required: ['name', 'value'],
  },
  choose: {
    url: `${DOCS}choose-policy`,
    attributes: {},
    children: {
      when: { attributes: { condition: 'string' }, children: 'policies', required: ['condition'] },
      otherwise: { attributes: {}, children: 'policies' },
    },
  },
  'include-fragment': {
    url: `${DOCS}include-fragment-policy`,
    attributes: { 'fragment-id': 'string' },
    children: 'none',
    required: ['fragment-id'],
  },
  'ip-filter': {
    url: `${DOCS}ip-filter-policy`,
    attributes: { action: ['allow', 'forbid'] },
    children: {
      address: text,
      'address-range': { attributes: { from: 'string', to: 'string' }, children: 'none', required: ['from', 'to'] },
    },
    required: ['action'],
  },
  'forward-request': {
    url: `${DOCS}forward-request-policy`,
    attributes: {
      'http-version': ['1', '2or1', '2'],
      timeout: 'int',
      'timeout-ms': 'int',
      'continue-timeout': 'int',
      'follow-redirects': 'bool',
      'buffer-request-body': 'bool',
      'buffer-response': 'bool',
      'fail-on-error-status-code': 'bool',
    },
    children: 'none',
  },
  retry: {
    url: `${DOCS}retry-policy`,
    attributes: { condition: 'string', count: 'int', interval: 'int', 'max-interval': 'int', delta: 'int', 'first-fast-retry': 'bool' },
    children: 'policies',
    required: ['condition', 'count', 'interval'],
  },
  'mock-response': {
    url: `${DOCS}mock-response-policy`,
    attributes: { 'status-code': 'int', 'content-type': 'string', index: 'int' },
    children: 'none',
  },
  trace: {
    url: `${DOCS}trace-policy`,
    attributes: { source: 'string', severity: ['verbose', 'information', 'error'] },
    children: {
      message: text,
      metadata: { attributes: { name: 'string', value: 'string' }, children: 'none', required: ['name', 'value'] },
    },
    required: ['source'],
  },
  'emit-metric': {
    url: `${DOCS}emit-metric-policy`,
    attributes: { name: 'string', value: 'string', namespace: 'string' },
    children: { dimension: { attributes: { name: 'string', value: 'string' }, children: 'none', required: ['name'] } },
    required: ['name'],
  },
  'limit-concurrency': {
    url: `${DOCS}limit-concurrency-policy`,
    attributes: { key: 'string', 'max-count': 'int' },
    children: 'policies',
    required: ['key', 'max-count'],
  },
  'return-response': {
    url: `${DOCS}return-response-policy`,
    attributes: { 'response-variable-name': 'string' },
    // documented children: set-status, set-header, set-body (each as documented on its own page)
    children: 'policies',
  },
  base: { url: `${DOCS}api-management-howto-policies`, attributes: {}, children: 'none' },
};
