// Types that are not on APIM's allow-list but appear in the signatures of allowed members
// (System.Object as every type's base, delegate types such as Func<T, TResult>, LINQ's
// IOrderedEnumerable<T>, …). They are in the table so that signatures resolve; their own members
// are allowed only where listed here (`members: []` = none), the stricter reading of a page that
// lists only the types whose members it allows.
import { ALLOW_LIST_URL } from './allow-list.js';
import type { TypeSig } from './types.js';

export const SUPPORT_TYPES: ReadonlyMap<string, TypeSig['apim']> = new Map<string, TypeSig['apim']>([
  // The page's own example `(1+1).ToString()` calls Object.ToString: C# member lookup drops
  // override declarations, so the call binds to the virtual System.Object.ToString
  // (C# spec, member lookup: https://learn.microsoft.com/en-us/dotnet/csharp/language-reference/language-specification/expressions#125-member-lookup).
  // Equals and GetHashCode are allowed by the same reading; GetType (System.Type is not on the list)
  // and the static ReferenceEquals are not.
  ['System.Object', { source: ALLOW_LIST_URL, members: ['ToString', 'Equals', 'GetHashCode'] }],
]);
