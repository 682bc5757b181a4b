// The `context` surface as the policy-expressions page types it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTEXT_URL, MESSAGE_BODY_AS_TYPES, findType, type TypeSig } from '../../../../policies/csharp/library/index.js';

function get(name: string): TypeSig {
  const t = findType(name);
  assert.ok(t, `${name} is in the table`);
  return t;
}
const propType = (type: string, name: string): string | undefined => get(type).properties.find((p) => p.name === name)?.type;

test('context members have the documented types; all are read-only', () => {
  assert.equal(propType('IContext', 'Variables'), 'IReadOnlyDictionary<string, object>');
  assert.equal(propType('IContext', 'Request'), 'IRequest');
  assert.equal(propType('IContext', 'RequestId'), 'Guid');
  assert.equal(propType('IContext', 'Elapsed'), 'TimeSpan');
  assert.equal(propType('IRequest', 'Headers'), 'IReadOnlyDictionary<string, string[]>');
  assert.equal(propType('IResponse', 'Headers'), 'IReadOnlyDictionary<string, string[]>');
  assert.equal(propType('IRequest', 'MatchedParameters'), 'IReadOnlyDictionary<string, string>');
  assert.equal(propType('IRequest', 'Body'), 'IMessageBody');
  assert.equal(propType('IUrl', 'Query'), 'IReadOnlyDictionary<string, string[]>');
  assert.equal(propType('IUrl', 'Port'), 'int');
  assert.equal(propType('Jwt', 'Claims'), 'IReadOnlyDictionary<string, string[]>');
  assert.equal(propType('Jwt', 'ExpirationTime'), 'DateTime?');
  assert.equal(propType('ISubscription', 'EndDate'), 'DateTime?');
  assert.equal(propType('IProduct', 'SubscriptionsLimit'), 'int?');
  assert.deepEqual(get('ProductState').enumMembers, ['NotPublished', 'Published']);
  for (const name of ['IContext', 'IRequest', 'IResponse', 'IUrl', 'Jwt', 'IUser', 'ISubscription', 'IDeployment', 'ILastError']) {
    assert.equal(get(name).source, CONTEXT_URL, name);
    assert.ok(get(name).properties.every((p) => !p.settable), `${name} is read-only`);
  }
  assert.deepEqual(get('IContext').methods.map((m) => `${m.returns} ${m.name}(${m.params.map((p) => p.type).join(', ')})`), ['void Trace(string)']);
});

test('context.Variables["x"] is object: the indexer comes from IReadOnlyDictionary<TKey, TValue>, so .Length needs a cast', () => {
  const indexer = get('IReadOnlyDictionary<TKey, TValue>').properties.find((p) => p.name === 'this');
  assert.equal(indexer?.type, 'TValue');
  assert.equal(get('object').properties.find((p) => p.name === 'Length'), undefined);
});

test('IMessageBody: As<T>(bool preserveContent = false) and AsFormUrlEncodedContent', () => {
  const body = get('IMessageBody');
  assert.deepEqual(body.methods.find((m) => m.name === 'As'), {
    name: 'As', static: false, typeParams: ['T'], params: [{ name: 'preserveContent', type: 'bool', default: 'false' }], returns: 'T',
  });
  assert.equal(body.methods.find((m) => m.name === 'AsFormUrlEncodedContent')?.returns, 'IDictionary<string, IList<string>>');
  assert.deepEqual(MESSAGE_BODY_AS_TYPES, ['string', 'byte[]', 'JObject', 'JToken', 'JArray', 'XNode', 'XElement', 'XDocument']);
});

test('APIM\'s extension methods and their overloads', () => {
  const ext = get('PolicyExpressionExtensions');
  assert.equal(ext.kind, 'static-class');
  assert.ok(ext.methods.every((m) => m.static && m.extension === true && m.params[0]?.modifier === 'this'));
  const text = ext.methods.map((m) => `${m.returns} ${m.name}${m.typeParams ? `<${m.typeParams.join(', ')}>` : ''}(${m.params.map((p) => `${p.modifier !== undefined ? `${p.modifier} ` : ''}${p.type}${p.default !== undefined ? ` = ${p.default}` : ''}`).join(', ')})`);
  assert.deepEqual(text, [
    'string GetValueOrDefault(this IReadOnlyDictionary<string, string[]>, string, string = null)',
    'string GetValueOrDefault(this IReadOnlyDictionary<string, string>, string, string)',
    'T GetValueOrDefault<T>(this IReadOnlyDictionary<string, object>, string, T = default(T))',
    'object GetValueOrDefault(this IReadOnlyDictionary<string, object>, string, object = null)',
    'BasicAuthCredentials AsBasic(this string)',
    'bool TryParseBasic(this string, out BasicAuthCredentials)',
    'Jwt AsJwt(this string)',
    'bool TryParseJwt(this string, out Jwt)',
    'byte[] Encrypt(this byte[], string, byte[], byte[])',
    'byte[] Encrypt(this byte[], SymmetricAlgorithm)',
    'byte[] Encrypt(this byte[], SymmetricAlgorithm, byte[], byte[])',
    'byte[] Decrypt(this byte[], string, byte[], byte[])',
    'byte[] Decrypt(this byte[], SymmetricAlgorithm)',
    'byte[] Decrypt(this byte[], SymmetricAlgorithm, byte[], byte[])',
    'bool VerifyNoRevocation(this X509Certificate2)',
    'string ToQueryString(this IDictionary<string, IList<string>>)',
    'string ToFormUrlEncodedContent(this IDictionary<string, IList<string>>)',
  ]);
  assert.deepEqual(get('BasicAuthCredentials').properties.map((p) => p.name), ['Password', 'UserId']);
});
