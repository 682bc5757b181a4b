/**
 * The shape of the runtime's library tables: per C# type, its members' implementations, keyed
 * by the member keys of the type table (TABLE.md: `System.String::Split(char[])`), each saying
 * whether it changes its receiver or an argument in place.
 */
import type { EvalHost } from '../host.js';

/** What an implementation may use besides its receiver and arguments. */
export interface Runtime {
  readonly host: EvalHost;
  /** Calls a lambda or local function with these arguments. */
  call(fn: unknown, args: readonly unknown[]): unknown;
}

/**
 * One member's implementation: `self` is the receiver (undefined for a static member; the first
 * argument of an extension method, `this IEnumerable<T> source`, is `self` too), `args` the
 * arguments (a {@link Ref} for `out`/`ref`), `typeArgs` the generic arguments as written.
 */
export type Impl = (self: unknown, args: unknown[], rt: Runtime, typeArgs: readonly string[]) => unknown;

export interface MemberImpl {
  /** The overloads it implements: each parameter list as in the key (`(char[],int)`); `''` for a property or field. */
  overloads: readonly string[];
  run: Impl;
  /** It changes its receiver or an argument in place (List.Add, JObject.Remove, Array.Sort). */
  inPlace?: true;
}

/** One C# type's members the emulator runs, by member name. */
export interface TypeLibrary {
  /** The type table's full name (`System.String`, `System.Collections.Generic.List<T>`). */
  type: string;
  /** Where the emulated behaviour comes from. */
  source: string;
  methods?: Record<string, MemberImpl>;
  /** Properties and fields (static ones: `DateTime.UtcNow`, `string.Empty`). */
  properties?: Record<string, MemberImpl>;
}
