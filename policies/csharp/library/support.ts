// Types that are not rows of APIM's allow-list but are named in the signatures of allowed members
// (System.Object as every type's base, delegate types such as Func<T, TResult>, LINQ's
// IGrouping<TKey, TElement>, enums such as DayOfWeek, …). They are in the table so that signatures
// resolve: a value of such a type can be passed on, compared with null or to an allowed member, but
// its own members are allowed only where listed here. `members: []` = none: the page lists the
// types whose members it allows, and where it is silent the stricter reading is that they are not.
// Nested types of an allowed type (Dictionary<TKey, TValue>.KeyCollection, List<T>.Enumerator)
// share the allowance of the type they are declared in (table.ts), since they are the types of
// its members (Keys, GetEnumerator) that the page allows.
import { ALLOW_LIST_URL } from './allow-list.js';
import type { TypeSig } from './types.js';

const NONE = (): TypeSig['apim'] => ({ source: ALLOW_LIST_URL, members: [] });

export const SUPPORT_TYPES: ReadonlyMap<string, TypeSig['apim']> = new Map<string, TypeSig['apim']>([
  // The page's own example `(1+1).ToString()` calls Object.ToString: C# member lookup drops
  // override declarations, so the call binds to the virtual System.Object.ToString
  // (C# spec, member lookup: https://learn.microsoft.com/en-us/dotnet/csharp/language-reference/language-specification/expressions#125-member-lookup).
  // Equals and GetHashCode are allowed by the same reading; GetType (System.Type is not on the
  // list) and the static ReferenceEquals are not.
  ['System.Object', { source: ALLOW_LIST_URL, members: ['ToString', 'Equals', 'GetHashCode'] }],
  // ValueType (every struct's base) declares only overrides of those three: the same allowance.
  ['System.ValueType', { source: ALLOW_LIST_URL, members: ['ToString', 'Equals', 'GetHashCode'] }],
  // The row "System.Nullable | All" is read as the static class System.Nullable *and* the struct
  // Nullable<T> (HasValue, Value, GetValueOrDefault): the page types context members as `int?`
  // and `DateTime?` (Product.SubscriptionsLimit, Jwt.ExpirationTime), which only Nullable<T>'s
  // members make usable. The row "System.Tuple" is read strictly: the static class only.
  ['System.Nullable<T>', { source: ALLOW_LIST_URL }],
  ...[
    'System.TypeCode', 'System.DayOfWeek', 'System.Base64FormattingOptions',
    'System.IFormatProvider', 'System.IFormattable', 'System.IConvertible', 'System.ICloneable',
    'System.IComparable', 'System.IComparable<T>', 'System.IEquatable<T>',
    'System.Tuple<T1>', 'System.Tuple<T1, T2>', 'System.Tuple<T1, T2, T3>', 'System.Tuple<T1, T2, T3, T4>',
    'System.Tuple<T1, T2, T3, T4, T5>', 'System.Tuple<T1, T2, T3, T4, T5, T6>',
    'System.Tuple<T1, T2, T3, T4, T5, T6, T7>', 'System.Tuple<T1, T2, T3, T4, T5, T6, T7, TRest>',
    'System.Action', 'System.Action<T>', 'System.Action<T1, T2>', 'System.Action<T1, T2, T3>',
    'System.Action<T1, T2, T3, T4>', 'System.Func<TResult>', 'System.Func<T, TResult>',
    'System.Func<T1, T2, TResult>', 'System.Func<T1, T2, T3, TResult>', 'System.Func<T1, T2, T3, T4, TResult>',
    'System.Comparison<T>', 'System.Converter<TInput, TOutput>', 'System.Predicate<T>',
    'System.Globalization.NumberStyles', 'System.Globalization.DateTimeStyles',
    'System.Globalization.UnicodeCategory', 'System.Text.NormalizationForm',
    'System.Collections.IEnumerable', 'System.Collections.IEnumerator', 'System.Collections.ICollection',
    'System.Collections.Generic.IReadOnlyList<T>', 'System.Collections.Generic.IEqualityComparer<T>',
    'System.Collections.Generic.IComparer<T>',
    'System.Linq.IOrderedEnumerable<TElement>', 'System.Linq.IGrouping<TKey, TElement>',
    'System.Linq.ILookup<TKey, TElement>', 'System.Linq.Lookup<TKey, TElement>',
    'System.Text.RegularExpressions.MatchCollection', 'System.Text.RegularExpressions.MatchEvaluator',
    'System.Net.Sockets.AddressFamily', 'System.Security.Cryptography.RandomNumberGenerator',
    'System.Xml.Linq.LoadOptions', 'System.Xml.Linq.SaveOptions',
    'Newtonsoft.Json.Linq.IJEnumerable<T>', 'Newtonsoft.Json.Linq.JEnumerable<T>',
  ].map((name): [string, TypeSig['apim']] => [name, NONE()]),
]);
