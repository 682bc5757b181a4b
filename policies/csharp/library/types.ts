// The shape of APIM's C# type table (contract: /work/coord/TABLE.md, shared by the checker in
// policies/csharp/check/ and the emulator runtime). The table itself is generated from the .NET
// Framework reference source and Newtonsoft.Json's source (scripts/csharp-types/generate.ts) and
// joined with APIM's allow-list (allow-list.ts) and the `context` surface (context.ts).

/** A C# type written as C# source: 'string', 'int', 'char[]', 'string[]', 'object',
 *  'IEnumerable<TSource>', 'Func<TSource, bool>', 'Dictionary<TKey, TValue>', 'int?',
 *  'System.Text.RegularExpressions.Match'. Simple names are resolved against TypeSig.fullName's
 *  last segment and alias; generic parameters are those in scope (type's, then method's). */
export type TypeText = string;

export interface ParamSig {
  name: string;
  type: TypeText;
  /** 'params' = C# params array; 'this' = extension receiver (first parameter only) */
  modifier?: 'params' | 'out' | 'ref' | 'this';
  /** present = optional parameter; the C# default as source text ('null', '0', 'false', '"x"') */
  default?: string;
}

export interface MethodSig {
  name: string;
  static: boolean;
  typeParams?: string[]; // generic method parameters, e.g. ['TSource', 'TResult']
  params: ParamSig[];
  returns: TypeText;
  /** true for extension methods (static, first parameter has modifier 'this') */
  extension?: boolean;
}

export interface PropertySig {
  name: string; // 'this' for an indexer
  type: TypeText;
  static: boolean;
  settable: boolean;
  /** indexer parameters, only for name === 'this' */
  indexParams?: ParamSig[];
}

export interface FieldSig {
  name: string;
  type: TypeText;
  static: boolean;
  /** const or static readonly */
  readonly: boolean;
}

export interface TypeSig {
  /** 'System.String'; generics as 'System.Collections.Generic.List<T>' (never List`1) */
  fullName: string;
  alias?: string; // C# keyword alias: 'string', 'int', 'bool', 'object', ...
  kind: 'class' | 'struct' | 'interface' | 'enum' | 'static-class';
  typeParams?: string[]; // ['T'] for List<T>
  base?: TypeText;
  interfaces?: TypeText[]; // e.g. String implements IEnumerable<char>, so LINQ applies
  constructors: ParamSig[][]; // each overload's parameters
  methods: MethodSig[]; // every overload its own entry
  properties: PropertySig[];
  fields: FieldSig[];
  enumMembers?: string[]; // for kind 'enum'
  /** where the signatures come from (URL of the reference source file / docs page) */
  source: string;
  /** where APIM allows it: URL of the policy-expressions allow-list, and, when APIM allows only
   *  some members of the type, their names (undefined = every public member is allowed) */
  apim: { source: string; members?: string[] };
}
