import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulate, EmulatorError, type EmulateOptions } from '../../../policies/emulator/index.js';
import { parsePolicyXml, PolicyXmlError, element, type XmlElement } from '../../../policies/xml/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'policy-snippets', 'examples');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.xml') ? [p] : [];
  });
}

/** The snippets that run against the sample request (pinned: a change either way is a finding). */
const RUNS = [
  'oauth-proxy-session-fragment.xml',
  'Request OAuth2 access token from SuccessFactors using AAD JWT token.xml',
  'Request OAuth2 access token from SAP using AAD JWT token.xml',
  'Mask async calls as synchronous.policy.xml',
  'Look up Key Vault secret using Managed Service Identity.policy.xml',
  'Get X-CSRF token from SAP gateway using send request.policy.xml',
  'Get OAuth2 access token from AAD and forward it to the backend.policy.xml',
  'Extracting multiple values from xml documents.policy.xml',
  'Backend for Frontend or curated API policy.xml',
  'Backend OAuth2 Authentication With Cache.policy.xml',
  'Authorize requests using external authorizer.policy.xml',
  'Authenticate using Managed Identity to access Storage Account.xml',
  'Authenticate using Managed Identity to access Event Hub.xml',
  'Authenticate using Managed Identity to access Service Bus.xml',
  'Back-end API redundancy.policy.xml',
  'Create HMAC SHA256-Signed JWT.policy.xml',
  'Decrypt AES Data using policy expressions.xml',
  'Encrypt data using expressions.policy.xml',
  'Filter on IP Address when using Application Gateway.policy.xml',
  'Forward Azure Event Grid Event.xml',
  'Forward gateway hostname to backend for generating correct urls in responses.policy.xml',
  'Generate Azure Relay Token.policy.xml',
  'Generate Shared Access Signature and forward request to Azure storage.policy.xml',
  'Handle Power Query access request to custom API.policy.xml',
  'List all inbound headers.policy.xml',
  'Log errors to Stackify.policy.xml',
  'Parse a JWT token using expressions.xml',
  'Perform basic authentication.policy.xml',
  'Query CosmosDB.policy.xml',
  'Random load balancer simpler.policy.xml',
  'Random load balancer.policy.xml',
  'Replay request on error.policy.xml',
  'Return HTTP 405 if the HTTP Method of the request is not defined.xml',
  'Route requests based on size.policy.xml',
  'Route requests to regional backend instances.xml',
  'Send request context information to the backend service.policy.xml',
  'Set cache duration using response cache control header.policy.xml',
  'Trigger Azure Data Factory Pipeline With Parameters.policy.xml',
  'Trigger Azure Data Factory Pipeline.policy.xml',
  'Use custom error messages for jwt-validate policy with on-error handler.policy.xml',
  'oauth-proxy-construct-authorization-redirect-fragment.xml',
  'oauth-proxy-sign-in.xml',
  'oauth-proxy-sign-out.xml',
  'oauth-proxy-slide-session-fragment.xml',
  'oauth-proxy-token-endpoint-fragment.xml',
  'oauth-proxy-validate-token-fragment.xml',
];

/** The snippet's text was mangled by an HTML export (`"name="""`): it is not C#. */
const MANGLED: [RegExp, string] = [/expected '\)' but found a string/, 'the snippet itself is corrupted (an HTML export turned quotes into `="""`): APIM would refuse it as C# too'];

/** Every refusal, with the reason the emulator gives and why that is right (or which gap it is). */
const REFUSED: Record<string, [RegExp, string]> = {
  'Add correlation id to inbound request.policy.xml': [/method 'ToByteArray' of Guid/, 'emulator gap: Guid.ToByteArray, Array.Copy and unchecked blocks are not implemented'],
  'Call out to an HTTP endpoint and cache the response.policy.xml': MANGLED,
  'DELETE a from to blobStorage account.xml': [/IRequest has no method 'MatchedParameters'/, 'the snippet calls the MatchedParameters dictionary like a method: C# (and so APIM) refuses it'],
  'Extract value from XML.xml': [/XmlReader is not a type APIM allows/, "the snippet uses System.Xml.XmlReader, which is not on APIM's allow-list of types"],
  'Filter response content based on product name.policy.xml': [/comments do not nest/, 'the snippet is not well-formed XML (a comment inside a comment)'],
  'GET a file from blobStorage account.xml': [/IRequest has no method 'MatchedParameters'/, 'the snippet calls the MatchedParameters dictionary like a method: C# (and so APIM) refuses it'],
  'Get OAuth2 access token from AAD using client id and certificate using key vault manage identity.xml': [/RSACng is not a type APIM allows/, "the snippet uses System.Security.Cryptography.RSACng, which is not on APIM's allow-list of types"],
  'Look up Key Vault certificate using Managed Service Identity and call backend.policy.xml': [/unsupported element <authentication-certificate>/, 'emulator gap: authentication-certificate is not emulated'],
  'Loopback request for service at same API Management service.xml': MANGLED,
  'PUT a file to blobStorage account.xml': [/IRequest has no method 'MatchedParameters'/, 'the snippet calls the MatchedParameters dictionary like a method: C# (and so APIM) refuses it'],
  'Pre-authorize requests based on HTTP method with validate-jwt.policy.xml': MANGLED,
  'Return a blob URL signed with a user delegation SAS token.xml': [/no overload of System.DateTime.AddSeconds takes \(string\)/, 'the snippet passes a string to DateTime.AddSeconds(double): C# has no such conversion, so APIM refuses it too'],
  'oauth-proxy-callback.xml': [/method 'AsFormUrlEncodedContent' of IMessageBody/, 'emulator gap: IMessageBody.AsFormUrlEncodedContent (documented, type-checks) is not implemented at run time'],
};

describe('emulator over the policy-snippets corpus', () => {
  it('every snippet runs against a sample request or fails naming the unsupported element or expression', async (t) => {
    if (!existsSync(corpus)) return t.skip(`corpus not found at ${corpus}`);
    const files = walk(corpus);
    // the oauth-proxy fragments are included by the other oauth-proxy policies
    const fragments: Record<string, XmlElement> = {};
    for (const f of files) if (f.includes('oauth-proxy') && f.includes('fragment')) fragments[basename(f, '.xml')] = parsePolicyXml(readFileSync(f, 'utf8'));
    const options: EmulateOptions = {
      namedValues: () => '1',
      fragments,
      backend: async (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ echo: req.url }) }),
      credential: { getToken: async () => ({ token: 'managed-identity-token', expiresOnTimestamp: 0 }) },
      sleep: async () => undefined,
      now: () => Date.UTC(2026, 0, 1),
      random: () => 0.25,
      // no network in the corpus run: discovery fails closed
      fetch: (async () => {
        throw new Error('offline');
      }) as unknown as typeof fetch,
      context: { subscription: { id: 'sub-1', key: 'key-1', name: 'Starter' }, user: { id: 'user-1', email: 'alice@contoso.test' }, product: { id: 'starter', name: 'Starter' } },
    };
    let ran = 0;
    const ranList: string[] = [];
    const refusals = new Map<string, string>();
    const unsupported: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      try {
        const tree = parsePolicyXml(text);
        // fragments run as the inbound section of a document
        const root = tree.name === 'policies' ? tree : element('policies', [], [element('inbound', [], tree.children)]);
        const result = await emulate(root, options).send({
          method: 'POST',
          url: 'https://contoso.azure-api.net/api/items/1?x=1',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not.a.jwt', Origin: 'https://app.contoso.test' },
          body: { id: 1, name: 'item' },
          ipAddress: '10.0.0.5',
        });
        assert.ok(result.status >= 100 && result.status < 600, `${basename(file)}: status ${result.status}`);
        if (result.lastError) assert.ok(result.lastError.reason && result.lastError.source, `${basename(file)}: LastError has source and reason`);
        ran++;
        ranList.push(basename(file));
      } catch (err) {
        // anything else (TypeError, RangeError, ...) is a crash and fails the test
        if (!(err instanceof EmulatorError) && !(err instanceof PolicyXmlError)) throw new Error(`${basename(file)} crashed: ${(err as Error).stack}`, { cause: err });
        // EXPR_REFUSED: C# APIM itself refuses when the policy is saved (the static checker's reason)
        if (!(err instanceof EmulatorError && err.code === 'EXPR_REFUSED')) {
          assert.match(err.message, /unsupported|expected|unexpected|unknown name|not defined|not Base64|no such fragment|comment|syntax/i, `${basename(file)}: ${err.message}`);
        }
        if (err instanceof EmulatorError) assert.match(err.message, /<[a-z-]+[ >]|element/, `${basename(file)}: the message names the element: ${err.message}`);
        unsupported.push(`${basename(file)}: ${err.message}`);
        refusals.set(basename(file), err.message);
      }
    }
    t.diagnostic(`${ran} of ${files.length} corpus policies run in the emulator`);
    for (const u of unsupported) t.diagnostic(`unsupported: ${u}`);
    assert.equal(ran + unsupported.length, files.length);
    // what runs and what is refused, each refusal for its pinned reason
    assert.deepEqual(ranList.sort(), [...RUNS].sort(), 'the snippets that run changed: update RUNS (and REFUSED) in this test');
    assert.deepEqual([...refusals.keys()].sort(), Object.keys(REFUSED).sort(), 'the refused snippets changed: update REFUSED (and RUNS) in this test');
    for (const [file, message] of refusals) {
      const [reason, why] = REFUSED[file]!;
      assert.match(message, reason, `${file} (${why}): refused for another reason now: ${message}`);
    }
  });
});
