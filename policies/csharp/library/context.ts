// The `context` variable's surface, transcribed from the policy-expressions page, section "Context
// variable" (https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions#ContextVariables,
// the version dated 01/15/2026). Member names and types are the page's.
//
// The page names no namespace and only some interface names (IApi, IUrl, IGroup, IMessageBody,
// IUserIdentity, ISubscriptionKeyParameterNames, IPrivateEndpointConnection, IGraphQLDataObject,
// Jwt, BasicAuthCredentials). `context.Request` and `context.Response` are IRequest and IResponse:
// code does write those names — Microsoft's own send-request examples cast a response variable with
// `(IResponse)context.Variables["..."]` (https://learn.microsoft.com/azure/api-management/send-request-policy,
// and github.com/Azure/api-management-policy-snippets, examples/), and APIM compiles them. The
// others are named here after the member they type (IContext for `context`, …); C# code never
// writes those names, since values of them only come from `context`. Extension
// methods are members of the static class `PolicyExpressionExtensions` (a name of ours: an
// extension method is called on its receiver, so its class is never written either).
//
// Where the page is ambiguous the stricter reading is taken, except where Microsoft's own policy
// snippets (github.com/Azure/api-management-policy-snippets, examples/) call a form the page does
// not list — those snippets run in APIM, so refusing them would be wrong. Each case says so below.
import type { MethodSig, ParamSig, PropertySig, TypeSig } from './types.js';

export const CONTEXT_URL =
  'https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions#ContextVariables';

const prop = (name: string, type: string): PropertySig => ({ name, type, static: false, settable: false });
const p = (name: string, type: string, extra: Partial<ParamSig> = {}): ParamSig => ({ name, type, ...extra });

function iface(name: string, properties: PropertySig[], methods: MethodSig[] = []): TypeSig {
  return {
    fullName: name,
    kind: 'interface',
    constructors: [],
    methods,
    properties,
    fields: [],
    source: CONTEXT_URL,
    apim: { source: CONTEXT_URL },
  };
}

function cls(name: string, properties: PropertySig[]): TypeSig {
  return { ...iface(name, properties), kind: 'class', base: 'object' };
}

function enumType(name: string, members: string[]): TypeSig {
  return { ...iface(name, []), kind: 'enum', base: 'Enum', enumMembers: members };
}

const HEADERS = 'IReadOnlyDictionary<string, string[]>';

const ext = (name: string, returns: string, params: ParamSig[], typeParams?: string[]): MethodSig => {
  const m: MethodSig = { name, static: true, params, returns, extension: true };
  if (typeParams !== undefined) m.typeParams = typeParams;
  return m;
};

/** APIM's documented extension methods. */
const EXTENSIONS: TypeSig = {
  ...iface('PolicyExpressionExtensions', []),
  kind: 'static-class',
  base: 'object',
  methods: [
    // "string context.Request.Headers.GetValueOrDefault(headerName: string, defaultValue: string)",
    // likewise Response.Headers, IUrl.Query and Jwt.Claims: all IReadOnlyDictionary<string, string[]>.
    // The page lists the two-parameter form only; defaultValue is optional here because Microsoft's
    // snippets call the one-argument form (`context.Request.Headers.GetValueOrDefault("Authorization")`
    // in https://github.com/Azure/api-management-policy-snippets/blob/master/examples/Perform%20basic%20authentication.policy.xml). A missing value is null then.
    ext('GetValueOrDefault', 'string', [p('dictionary', HEADERS, { modifier: 'this' }), p('name', 'string'), p('defaultValue', 'string', { default: 'null' })]),
    // Not on the page: Microsoft's snippets call it on `context.Request.MatchedParameters`
    // (IReadOnlyDictionary<string, string>): `MatchedParameters.GetValueOrDefault("place", "")` in
    // examples/Call%20out%20to%20an%20HTTP%20endpoint%20and%20cache%20the%20response.policy.xml.
    // Only the two-argument form is seen, so defaultValue is required (stricter).
    ext('GetValueOrDefault', 'string', [p('dictionary', 'IReadOnlyDictionary<string, string>', { modifier: 'this' }), p('name', 'string'), p('defaultValue', 'string')]),
    // "T context.Variables.GetValueOrDefault<T>(variableName: string, defaultValue: T)"; optional
    // defaultValue: the snippets call `context.Variables.GetValueOrDefault<JObject>("Event")`
    // (Trigger Azure Data Factory Pipeline.policy.xml).
    ext('GetValueOrDefault', 'T', [p('variables', 'IReadOnlyDictionary<string, object>', { modifier: 'this' }), p('variableName', 'string'), p('defaultValue', 'T', { default: 'default(T)' })], ['T']),
    // Not on the page; the snippets call the non-generic form and cast its result:
    // `(string)context.Variables.GetValueOrDefault("accessToken")` (same file). Typed object.
    ext('GetValueOrDefault', 'object', [p('variables', 'IReadOnlyDictionary<string, object>', { modifier: 'this' }), p('variableName', 'string'), p('defaultValue', 'object', { default: 'null' })]),
    // "BasicAuthCredentials AsBasic(input: this string)", "bool TryParseBasic(input: this string, result: out BasicAuthCredentials)"
    ext('AsBasic', 'BasicAuthCredentials', [p('input', 'string', { modifier: 'this' })]),
    ext('TryParseBasic', 'bool', [p('input', 'string', { modifier: 'this' }), p('result', 'BasicAuthCredentials', { modifier: 'out' })]),
    // "Jwt AsJwt(input: this string)", "bool TryParseJwt(input: this string, result: out Jwt)"
    ext('AsJwt', 'Jwt', [p('input', 'string', { modifier: 'this' })]),
    ext('TryParseJwt', 'bool', [p('input', 'string', { modifier: 'this' }), p('result', 'Jwt', { modifier: 'out' })]),
    // "byte[] Encrypt(input: this byte[], alg: string, key: byte[], iv: byte[])" and the two
    // SymmetricAlgorithm overloads; Decrypt likewise.
    ext('Encrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'string'), p('key', 'byte[]'), p('iv', 'byte[]')]),
    ext('Encrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'SymmetricAlgorithm')]),
    ext('Encrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'SymmetricAlgorithm'), p('key', 'byte[]'), p('iv', 'byte[]')]),
    ext('Decrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'string'), p('key', 'byte[]'), p('iv', 'byte[]')]),
    ext('Decrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'SymmetricAlgorithm')]),
    ext('Decrypt', 'byte[]', [p('input', 'byte[]', { modifier: 'this' }), p('alg', 'SymmetricAlgorithm'), p('key', 'byte[]'), p('iv', 'byte[]')]),
    // "bool VerifyNoRevocation(input: this System.Security.Cryptography.X509Certificates.X509Certificate2)"
    ext('VerifyNoRevocation', 'bool', [p('input', 'X509Certificate2', { modifier: 'this' })]),
    // AsFormUrlEncodedContent's result "supports IDictionary operations and the following
    // expressions: ToQueryString(), JsonConvert.SerializeObject(), ToFormUrlEncodedContent()". The
    // page gives neither signature; both are read as string-returning extensions of that
    // dictionary (their use is as a set-body / query text), with no parameters.
    ext('ToQueryString', 'string', [p('content', 'IDictionary<string, IList<string>>', { modifier: 'this' })]),
    ext('ToFormUrlEncodedContent', 'string', [p('content', 'IDictionary<string, IList<string>>', { modifier: 'this' })]),
  ],
};

export const CONTEXT_TYPES: readonly TypeSig[] = [
  iface('IContext', [
    prop('Api', 'IApi'),
    prop('Backend', 'IBackend'),
    prop('Deployment', 'IDeployment'),
    prop('Elapsed', 'TimeSpan'),
    prop('GraphQL', 'IGraphQL'),
    prop('LastError', 'ILastError'),
    prop('Operation', 'IOperation'),
    // The 01/15/2026 page dropped Product from the `context` row but still documents the
    // `context.Product` row; it is kept (as earlier versions list it).
    prop('Product', 'IProduct'),
    prop('Request', 'IRequest'),
    prop('RequestId', 'Guid'),
    prop('Response', 'IResponse'),
    prop('Subscription', 'ISubscription'),
    prop('Timestamp', 'DateTime'),
    prop('Tracing', 'bool'),
    prop('User', 'IUser'),
    prop('Variables', 'IReadOnlyDictionary<string, object>'),
    prop('Workspace', 'IWorkspace'),
  ], [{ name: 'Trace', static: false, params: [p('message', 'string')], returns: 'void' }]),
  iface('IApi', [
    prop('Id', 'string'), prop('IsCurrentRevision', 'bool'), prop('Name', 'string'), prop('Path', 'string'),
    // Protocols and SubscriptionKeyParameterNames are on the IApi row (the type of Product.Apis);
    // `context.Api` is typed IApi by the `context` row, so both rows' members are here.
    prop('Protocols', 'IEnumerable<string>'), prop('Revision', 'string'), prop('ServiceUrl', 'IUrl'),
    prop('SubscriptionKeyParameterNames', 'ISubscriptionKeyParameterNames'), prop('Version', 'string'),
  ]),
  iface('IBackend', [prop('AzureRegion', 'string'), prop('Id', 'string'), prop('Type', 'BackendType')]),
  enumType('BackendType', ['Single', 'Pool']),
  iface('IDeployment', [
    prop('Gateway', 'IGateway'), prop('GatewayId', 'string'), prop('Region', 'string'), prop('ServiceId', 'string'),
    prop('ServiceName', 'string'), prop('SustainabilityInfo', 'ISustainabilityInfo'),
    prop('Certificates', 'IReadOnlyDictionary<string, X509Certificate2>'),
  ]),
  iface('IGateway', [prop('Id', 'string'), prop('InstanceId', 'string'), prop('IsManaged', 'bool')]),
  // "CurrentCarbonIntensity: Enum CarbonIntensityCategory" – the values are on the sustainability
  // page, not transcribed: the enum is typed, its members are not allowed (stricter reading).
  iface('ISustainabilityInfo', [prop('CurrentCarbonIntensity', 'CarbonIntensityCategory')]),
  enumType('CarbonIntensityCategory', []),
  iface('IGraphQL', [prop('GraphQLArguments', 'IGraphQLDataObject'), prop('Parent', 'IGraphQLDataObject')]),
  // The page documents IGraphQLDataObject as "TBD": no members.
  iface('IGraphQLDataObject', []),
  iface('ILastError', [
    prop('Source', 'string'), prop('Reason', 'string'), prop('Message', 'string'), prop('Scope', 'string'),
    prop('Section', 'string'), prop('Path', 'string'), prop('PolicyId', 'string'),
  ]),
  iface('IOperation', [prop('Id', 'string'), prop('Method', 'string'), prop('Name', 'string'), prop('UrlTemplate', 'string')]),
  iface('IProduct', [
    // Apis: earlier versions of the page list it; the 01/15/2026 version does not (stricter: absent).
    prop('ApprovalRequired', 'bool'), prop('Groups', 'IEnumerable<IGroup>'), prop('Id', 'string'), prop('Name', 'string'),
    prop('State', 'ProductState'),
    // "SubscriptionsLimit" (01/15/2026; "SubscriptionLimit" before): the current spelling only.
    prop('SubscriptionsLimit', 'int?'), prop('SubscriptionRequired', 'bool'),
  ]),
  enumType('ProductState', ['NotPublished', 'Published']),
  iface('IRequest', [
    prop('Body', 'IMessageBody'), prop('Certificate', 'X509Certificate2'), prop('Headers', HEADERS),
    prop('IpAddress', 'string'), prop('MatchedParameters', 'IReadOnlyDictionary<string, string>'),
    prop('Method', 'string'), prop('OriginalUrl', 'IUrl'), prop('Url', 'IUrl'),
    prop('PrivateEndpointConnection', 'IPrivateEndpointConnection'),
  ]),
  iface('IResponse', [prop('Body', 'IMessageBody'), prop('Headers', HEADERS), prop('StatusCode', 'int'), prop('StatusReason', 'string')]),
  iface('ISubscription', [
    prop('CreatedDate', 'DateTime'), prop('EndDate', 'DateTime?'), prop('Id', 'string'), prop('Key', 'string'),
    prop('Name', 'string'), prop('PrimaryKey', 'string'), prop('SecondaryKey', 'string'), prop('StartDate', 'DateTime?'),
  ]),
  iface('IUser', [
    prop('Email', 'string'), prop('FirstName', 'string'), prop('Groups', 'IEnumerable<IGroup>'), prop('Id', 'string'),
    prop('Identities', 'IEnumerable<IUserIdentity>'), prop('LastName', 'string'), prop('Note', 'string'),
    prop('RegistrationDate', 'DateTime'),
  ]),
  iface('IWorkspace', [prop('Id', 'string'), prop('Name', 'string')]),
  iface('IGroup', [prop('Id', 'string'), prop('Name', 'string')]),
  iface('IUserIdentity', [prop('Id', 'string'), prop('Provider', 'string')]),
  iface('ISubscriptionKeyParameterNames', [prop('Header', 'string'), prop('Query', 'string')]),
  iface('IPrivateEndpointConnection', [prop('Name', 'string'), prop('GroupId', 'string'), prop('MemberName', 'string')]),
  iface('IUrl', [
    prop('Host', 'string'), prop('Path', 'string'), prop('Port', 'int'), prop('Query', HEADERS),
    prop('QueryString', 'string'), prop('Scheme', 'string'),
  ]),
  iface('IMessageBody', [], [
    // "As<T>(bool preserveContent = false): Where T: string, byte[], JObject, JToken, JArray, XNode,
    // XElement, XDocument" – C# cannot state that list as a constraint; the checker must refuse
    // any other T (the list is exported as MESSAGE_BODY_AS_TYPES).
    { name: 'As', static: false, typeParams: ['T'], params: [p('preserveContent', 'bool', { default: 'false' })], returns: 'T' },
    // "AsFormUrlEncodedContent(bool preserveContent = false)" … "return an IDictionary<string, IList<string>> object"
    { name: 'AsFormUrlEncodedContent', static: false, params: [p('preserveContent', 'bool', { default: 'false' })], returns: 'IDictionary<string, IList<string>>' },
  ]),
  cls('Jwt', [
    prop('Algorithm', 'string'), prop('Audiences', 'IEnumerable<string>'), prop('Claims', HEADERS),
    prop('ExpirationTime', 'DateTime?'), prop('Id', 'string'), prop('Issuer', 'string'), prop('IssuedAt', 'DateTime?'),
    prop('NotBefore', 'DateTime?'), prop('Subject', 'string'), prop('Type', 'string'),
  ]),
  cls('BasicAuthCredentials', [prop('Password', 'string'), prop('UserId', 'string')]),
  EXTENSIONS,
];

/** The only type arguments IMessageBody.As<T> accepts (the page's "Where T: …" list). */
export const MESSAGE_BODY_AS_TYPES: readonly string[] = ['string', 'byte[]', 'JObject', 'JToken', 'JArray', 'XNode', 'XElement', 'XDocument'];
