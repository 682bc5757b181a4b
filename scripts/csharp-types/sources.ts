import type { MethodSig } from '../../policies/csharp/library/types.js';

// Which source file each generated type is read from (paths inside the two snapshots). A type
// listed under several files is a partial class: its members are merged, in file order, and its
// `source` is the first file.
export interface SourceFile {
  repo: 'referencesource' | 'newtonsoft';
  path: string;
  /** full names as the table writes them ('System.Collections.Generic.List<T>') */
  types: readonly string[];
}

const rs = (path: string, ...types: string[]): SourceFile => ({ repo: 'referencesource', path, types });
const nj = (path: string, ...types: string[]): SourceFile => ({ repo: 'newtonsoft', path, types });

const CRYPTO = 'mscorlib/system/security/cryptography';
const X509 = 'System/security/system/security/cryptography/x509';
const REGEX = 'System/regex/system/text/regularexpressions';
const GENERIC = 'mscorlib/system/collections/generic';
const NJ = 'Src/Newtonsoft.Json';

export const SOURCES: readonly SourceFile[] = [
  // System
  rs('mscorlib/system/object.cs', 'System.Object'),
  rs('mscorlib/system/valuetype.cs', 'System.ValueType'),
  rs('mscorlib/system/enum.cs', 'System.Enum'),
  rs('mscorlib/system/string.cs', 'System.String', 'System.StringSplitOptions'),
  rs('mscorlib/system/stringcomparer.cs', 'System.StringComparer'),
  rs('mscorlib/system/stringcomparison.cs', 'System.StringComparison'),
  rs('mscorlib/system/char.cs', 'System.Char'),
  rs('mscorlib/system/boolean.cs', 'System.Boolean'),
  rs('mscorlib/system/byte.cs', 'System.Byte'),
  rs('mscorlib/system/sbyte.cs', 'System.SByte'),
  rs('mscorlib/system/int16.cs', 'System.Int16'),
  rs('mscorlib/system/uint16.cs', 'System.UInt16'),
  rs('mscorlib/system/int32.cs', 'System.Int32'),
  rs('mscorlib/system/uint32.cs', 'System.UInt32'),
  rs('mscorlib/system/int64.cs', 'System.Int64'),
  rs('mscorlib/system/uint64.cs', 'System.UInt64'),
  rs('mscorlib/system/single.cs', 'System.Single'),
  rs('mscorlib/system/double.cs', 'System.Double'),
  rs('mscorlib/system/decimal.cs', 'System.Decimal'),
  rs('mscorlib/system/datetime.cs', 'System.DateTime'),
  rs('mscorlib/system/datetimekind.cs', 'System.DateTimeKind'),
  rs('mscorlib/system/dayofweek.cs', 'System.DayOfWeek'),
  rs('mscorlib/system/datetimeoffset.cs', 'System.DateTimeOffset'),
  rs('mscorlib/system/timespan.cs', 'System.TimeSpan'),
  rs('mscorlib/system/timezone.cs', 'System.TimeZone'),
  rs('mscorlib/system/timezoneinfo.cs', 'System.TimeZoneInfo', 'System.TimeZoneInfo.AdjustmentRule', 'System.TimeZoneInfo.TransitionTime'),
  rs('mscorlib/system/guid.cs', 'System.Guid'),
  rs('mscorlib/system/math.cs', 'System.Math'),
  rs('mscorlib/system/midpointrounding.cs', 'System.MidpointRounding'),
  rs('mscorlib/system/convert.cs', 'System.Convert', 'System.Base64FormattingOptions'),
  rs('mscorlib/system/bitconverter.cs', 'System.BitConverter'),
  rs('mscorlib/system/random.cs', 'System.Random'),
  rs('mscorlib/system/nullable.cs', 'System.Nullable<T>', 'System.Nullable'),
  rs('mscorlib/system/tuple.cs', 'System.Tuple', 'System.Tuple<T1>', 'System.Tuple<T1, T2>', 'System.Tuple<T1, T2, T3>', 'System.Tuple<T1, T2, T3, T4>', 'System.Tuple<T1, T2, T3, T4, T5>', 'System.Tuple<T1, T2, T3, T4, T5, T6>', 'System.Tuple<T1, T2, T3, T4, T5, T6, T7>', 'System.Tuple<T1, T2, T3, T4, T5, T6, T7, TRest>'),
  rs('mscorlib/system/array.cs', 'System.Array'),
  rs('mscorlib/system/exception.cs', 'System.Exception'),
  rs('mscorlib/system/typecode.cs', 'System.TypeCode'),
  rs('mscorlib/system/iformatprovider.cs', 'System.IFormatProvider'),
  rs('mscorlib/system/iformattable.cs', 'System.IFormattable'),
  rs('mscorlib/system/iconvertible.cs', 'System.IConvertible'),
  rs('mscorlib/system/icloneable.cs', 'System.ICloneable'),
  rs('mscorlib/system/icomparable.cs', 'System.IComparable', 'System.IComparable<T>'),
  rs('mscorlib/system/iequatable.cs', 'System.IEquatable<T>'),
  rs('mscorlib/system/action.cs', 'System.Action', 'System.Action<T>', 'System.Action<T1, T2>', 'System.Action<T1, T2, T3>', 'System.Action<T1, T2, T3, T4>', 'System.Func<TResult>', 'System.Func<T, TResult>', 'System.Func<T1, T2, TResult>', 'System.Func<T1, T2, T3, TResult>', 'System.Func<T1, T2, T3, T4, TResult>', 'System.Comparison<T>', 'System.Converter<TInput, TOutput>', 'System.Predicate<T>'),
  rs('System/net/System/URI.cs', 'System.Uri'),
  rs('System/net/System/UriExt.cs', 'System.Uri'),
  rs('System/net/System/URIPartial.cs', 'System.UriPartial'),
  // System.Globalization (named in signatures; no members allowed)
  rs('mscorlib/system/globalization/numberstyles.cs', 'System.Globalization.NumberStyles'),
  rs('mscorlib/system/globalization/datetimestyles.cs', 'System.Globalization.DateTimeStyles'),
  rs('mscorlib/system/globalization/unicodecategory.cs', 'System.Globalization.UnicodeCategory'),
  rs('mscorlib/system/text/normalization.cs', 'System.Text.NormalizationForm'),
  // System.Collections(.Generic)
  rs('mscorlib/system/collections/ienumerable.cs', 'System.Collections.IEnumerable'),
  rs('mscorlib/system/collections/ienumerator.cs', 'System.Collections.IEnumerator'),
  rs('mscorlib/system/collections/icollection.cs', 'System.Collections.ICollection'),
  rs(`${GENERIC}/ienumerable.cs`, 'System.Collections.Generic.IEnumerable<T>'),
  rs(`${GENERIC}/ienumerator.cs`, 'System.Collections.Generic.IEnumerator<T>'),
  rs(`${GENERIC}/icollection.cs`, 'System.Collections.Generic.ICollection<T>'),
  rs(`${GENERIC}/ilist.cs`, 'System.Collections.Generic.IList<T>'),
  rs(`${GENERIC}/idictionary.cs`, 'System.Collections.Generic.IDictionary<TKey, TValue>'),
  rs(`${GENERIC}/ireadonlycollection.cs`, 'System.Collections.Generic.IReadOnlyCollection<T>'),
  rs(`${GENERIC}/ireadonlylist.cs`, 'System.Collections.Generic.IReadOnlyList<T>'),
  rs(`${GENERIC}/ireadonlydictionary.cs`, 'System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>'),
  rs(`${GENERIC}/iequalitycomparer.cs`, 'System.Collections.Generic.IEqualityComparer<T>'),
  rs(`${GENERIC}/icomparer.cs`, 'System.Collections.Generic.IComparer<T>'),
  rs(`${GENERIC}/keyvaluepair.cs`, 'System.Collections.Generic.KeyValuePair<TKey, TValue>'),
  rs(`${GENERIC}/list.cs`, 'System.Collections.Generic.List<T>', 'System.Collections.Generic.List<T>.Enumerator'),
  rs(`${GENERIC}/dictionary.cs`, 'System.Collections.Generic.Dictionary<TKey, TValue>', 'System.Collections.Generic.Dictionary<TKey, TValue>.KeyCollection', 'System.Collections.Generic.Dictionary<TKey, TValue>.ValueCollection', 'System.Collections.Generic.Dictionary<TKey, TValue>.Enumerator'),
  rs('System.Core/System/Collections/Generic/HashSet.cs', 'System.Collections.Generic.HashSet<T>', 'System.Collections.Generic.HashSet<T>.Enumerator'),
  rs('System/compmod/system/collections/generic/iset.cs', 'System.Collections.Generic.ISet<T>'),
  rs('System/compmod/system/collections/generic/queue.cs', 'System.Collections.Generic.Queue<T>', 'System.Collections.Generic.Queue<T>.Enumerator'),
  rs('System/compmod/system/collections/generic/stack.cs', 'System.Collections.Generic.Stack<T>', 'System.Collections.Generic.Stack<T>.Enumerator'),
  // System.Linq
  rs('System.Core/System/Linq/Enumerable.cs', 'System.Linq.Enumerable', 'System.Linq.IOrderedEnumerable<TElement>', 'System.Linq.IGrouping<TKey, TElement>', 'System.Linq.ILookup<TKey, TElement>', 'System.Linq.Lookup<TKey, TElement>'),
  // System.IO, System.Text
  rs('mscorlib/system/io/stringreader.cs', 'System.IO.StringReader'),
  rs('mscorlib/system/io/stringwriter.cs', 'System.IO.StringWriter'),
  rs('mscorlib/system/text/encoding.cs', 'System.Text.Encoding'),
  rs('mscorlib/system/text/stringbuilder.cs', 'System.Text.StringBuilder'),
  // System.Text.RegularExpressions
  rs(`${REGEX}/Regex.cs`, 'System.Text.RegularExpressions.Regex', 'System.Text.RegularExpressions.MatchEvaluator'),
  rs(`${REGEX}/RegexOptions.cs`, 'System.Text.RegularExpressions.RegexOptions'),
  rs(`${REGEX}/RegexCapture.cs`, 'System.Text.RegularExpressions.Capture'),
  rs(`${REGEX}/RegexCaptureCollection.cs`, 'System.Text.RegularExpressions.CaptureCollection'),
  rs(`${REGEX}/RegexGroup.cs`, 'System.Text.RegularExpressions.Group'),
  rs(`${REGEX}/RegexGroupCollection.cs`, 'System.Text.RegularExpressions.GroupCollection'),
  rs(`${REGEX}/RegexMatch.cs`, 'System.Text.RegularExpressions.Match'),
  rs(`${REGEX}/RegexMatchCollection.cs`, 'System.Text.RegularExpressions.MatchCollection'),
  // System.Net
  rs('System/net/System/Net/IPAddress.cs', 'System.Net.IPAddress'),
  rs('System/net/System/Net/Sockets/AddressFamily.cs', 'System.Net.Sockets.AddressFamily'),
  rs('System/net/System/Net/WebUtility.cs', 'System.Net.WebUtility'),
  // System.Security.Cryptography
  rs(`${CRYPTO}/crypto.cs`, 'System.Security.Cryptography.CipherMode', 'System.Security.Cryptography.PaddingMode'),
  rs(`${CRYPTO}/hashalgorithm.cs`, 'System.Security.Cryptography.HashAlgorithm'),
  rs(`${CRYPTO}/HashAlgorithmName.cs`, 'System.Security.Cryptography.HashAlgorithmName'),
  rs(`${CRYPTO}/keyedhashalgorithm.cs`, 'System.Security.Cryptography.KeyedHashAlgorithm'),
  rs(`${CRYPTO}/hmac.cs`, 'System.Security.Cryptography.HMAC'),
  rs(`${CRYPTO}/hmacmd5.cs`, 'System.Security.Cryptography.HMACMD5'),
  rs(`${CRYPTO}/hmacsha1.cs`, 'System.Security.Cryptography.HMACSHA1'),
  rs(`${CRYPTO}/hmacsha256.cs`, 'System.Security.Cryptography.HMACSHA256'),
  rs(`${CRYPTO}/hmacsha384.cs`, 'System.Security.Cryptography.HMACSHA384'),
  rs(`${CRYPTO}/hmacsha512.cs`, 'System.Security.Cryptography.HMACSHA512'),
  rs(`${CRYPTO}/md5.cs`, 'System.Security.Cryptography.MD5'),
  rs(`${CRYPTO}/sha1.cs`, 'System.Security.Cryptography.SHA1'),
  rs(`${CRYPTO}/sha1managed.cs`, 'System.Security.Cryptography.SHA1Managed'),
  rs(`${CRYPTO}/sha256.cs`, 'System.Security.Cryptography.SHA256'),
  rs(`${CRYPTO}/sha256managed.cs`, 'System.Security.Cryptography.SHA256Managed'),
  rs(`${CRYPTO}/sha384.cs`, 'System.Security.Cryptography.SHA384'),
  rs(`${CRYPTO}/sha384managed.cs`, 'System.Security.Cryptography.SHA384Managed'),
  rs(`${CRYPTO}/sha512.cs`, 'System.Security.Cryptography.SHA512'),
  rs(`${CRYPTO}/sha512managed.cs`, 'System.Security.Cryptography.SHA512Managed'),
  rs(`${CRYPTO}/symmetricalgorithm.cs`, 'System.Security.Cryptography.SymmetricAlgorithm'),
  rs(`${CRYPTO}/asymmetricalgorithm.cs`, 'System.Security.Cryptography.AsymmetricAlgorithm'),
  rs(`${CRYPTO}/rsa.cs`, 'System.Security.Cryptography.RSA'),
  rs(`${CRYPTO}/RSAEncryptionPadding.cs`, 'System.Security.Cryptography.RSAEncryptionPadding'),
  rs(`${CRYPTO}/RSASignaturePadding.cs`, 'System.Security.Cryptography.RSASignaturePadding'),
  rs(`${CRYPTO}/randomnumbergenerator.cs`, 'System.Security.Cryptography.RandomNumberGenerator'),
  rs(`${CRYPTO}/rngcryptoserviceprovider.cs`, 'System.Security.Cryptography.RNGCryptoServiceProvider'),
  rs('System/security/system/security/cryptography/oid.cs', 'System.Security.Cryptography.Oid'),
  rs(`${CRYPTO}/x509certificates/x509certificate.cs`, 'System.Security.Cryptography.X509Certificates.X509Certificate', 'System.Security.Cryptography.X509Certificates.X509ContentType'),
  rs(`${X509}/x509certificate2.cs`, 'System.Security.Cryptography.X509Certificates.X509Certificate2', 'System.Security.Cryptography.X509Certificates.PublicKey', 'System.Security.Cryptography.X509Certificates.X509NameType'),
  rs(`${X509}/x500Name.cs`, 'System.Security.Cryptography.X509Certificates.X500DistinguishedName'),
  rs('System.Core/System/Security/Cryptography/X509Certificates/RSACertificateExtensions.cs', 'System.Security.Cryptography.X509Certificates.RSACertificateExtensions'),
  // System.Xml
  rs('System.Xml/System/Xml/XmlNodeType.cs', 'System.Xml.XmlNodeType'),
  rs('System.Xml.Linq/System/Xml/Linq/XLinq.cs', 'System.Xml.Linq.XName', 'System.Xml.Linq.XNamespace', 'System.Xml.Linq.XObject', 'System.Xml.Linq.XNode', 'System.Xml.Linq.XText', 'System.Xml.Linq.XCData', 'System.Xml.Linq.XContainer', 'System.Xml.Linq.XElement', 'System.Xml.Linq.XDocument', 'System.Xml.Linq.XComment', 'System.Xml.Linq.XProcessingInstruction', 'System.Xml.Linq.XDeclaration', 'System.Xml.Linq.XDocumentType', 'System.Xml.Linq.XAttribute', 'System.Xml.Linq.XNodeDocumentOrderComparer', 'System.Xml.Linq.XNodeEqualityComparer', 'System.Xml.Linq.Extensions', 'System.Xml.Linq.LoadOptions', 'System.Xml.Linq.SaveOptions'),
  // Newtonsoft.Json
  nj(`${NJ}/Formatting.cs`, 'Newtonsoft.Json.Formatting'),
  nj(`${NJ}/JsonConvert.cs`, 'Newtonsoft.Json.JsonConvert'),
  nj(`${NJ}/Linq/JToken.cs`, 'Newtonsoft.Json.Linq.JToken'),
  nj(`${NJ}/Linq/JContainer.cs`, 'Newtonsoft.Json.Linq.JContainer'),
  nj(`${NJ}/Linq/JObject.cs`, 'Newtonsoft.Json.Linq.JObject'),
  nj(`${NJ}/Linq/JArray.cs`, 'Newtonsoft.Json.Linq.JArray'),
  nj(`${NJ}/Linq/JProperty.cs`, 'Newtonsoft.Json.Linq.JProperty'),
  nj(`${NJ}/Linq/JValue.cs`, 'Newtonsoft.Json.Linq.JValue'),
  nj(`${NJ}/Linq/JRaw.cs`, 'Newtonsoft.Json.Linq.JRaw'),
  nj(`${NJ}/Linq/JConstructor.cs`, 'Newtonsoft.Json.Linq.JConstructor'),
  nj(`${NJ}/Linq/JTokenType.cs`, 'Newtonsoft.Json.Linq.JTokenType'),
  nj(`${NJ}/Linq/Extensions.cs`, 'Newtonsoft.Json.Linq.Extensions'),
  nj(`${NJ}/Linq/IJEnumerable.cs`, 'Newtonsoft.Json.Linq.IJEnumerable<T>'),
  nj(`${NJ}/Linq/JEnumerable.cs`, 'Newtonsoft.Json.Linq.JEnumerable<T>'),
];

/** Members .NET Framework 4.8 has that the reference-source snapshot lacks, each with the API
 *  page that lists it for .NET Framework 4.7.1+ (the reference source's Enumerable.cs predates
 *  Append and Prepend). Appended to the generated type. */
export const SUPPLEMENTS: readonly { type: string; source: string; method: MethodSig }[] = [
  {
    type: 'System.Linq.Enumerable',
    source: 'https://learn.microsoft.com/en-us/dotnet/api/system.linq.enumerable.append?view=netframework-4.8',
    method: { name: 'Append', static: true, typeParams: ['TSource'], params: [{ name: 'source', type: 'IEnumerable<TSource>', modifier: 'this' }, { name: 'element', type: 'TSource' }], returns: 'IEnumerable<TSource>', extension: true },
  },
  {
    type: 'System.Linq.Enumerable',
    source: 'https://learn.microsoft.com/en-us/dotnet/api/system.linq.enumerable.prepend?view=netframework-4.8',
    method: { name: 'Prepend', static: true, typeParams: ['TSource'], params: [{ name: 'source', type: 'IEnumerable<TSource>', modifier: 'this' }, { name: 'element', type: 'TSource' }], returns: 'IEnumerable<TSource>', extension: true },
  },
];
