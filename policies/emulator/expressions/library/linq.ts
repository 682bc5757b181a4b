/**
 * System.Linq.Enumerable (extension methods: the source is `self`) and the collections
 * expressions build: arrays, List<T>, HashSet<T>. Every operator charges its source's elements
 * (and a sort its comparisons) before it walks them.
 * https://github.com/microsoft/referencesource/blob/master/System.Core/System/Linq/Enumerable.cs
 */
import { chargeArray, charge } from '../budget.js';
import { compare, distinct, enumerate, equalityKey, equals, ignoresCase, num, truthy } from '../core.js';
import { CsException } from '../values.js';
import type { Impl, MemberImpl, Runtime, TypeLibrary } from './types.js';

const SOURCE = 'https://github.com/microsoft/referencesource/blob/master/System.Core/System/Linq/Enumerable.cs';

/** The source's items, charged. */
function items(self: unknown): unknown[] {
  const xs = enumerate(self);
  chargeArray(xs.length);
  return xs;
}

const noElements = (): CsException => new CsException('InvalidOperationException', 'Sequence contains no elements');
const noMatch = (): CsException => new CsException('InvalidOperationException', 'Sequence contains no matching element');

function predicate(rt: Runtime, fn: unknown): (x: unknown, i: number) => boolean {
  return (x, i) => truthy(rt.call(fn, [x, i]));
}

function selector(rt: Runtime, fn: unknown): (x: unknown) => unknown {
  return fn === undefined ? (x) => x : (x) => rt.call(fn, [x]);
}

function element(kind: 'First' | 'Last' | 'Single', orDefault: boolean): Impl {
  return (self, args, rt) => {
    const xs = items(self);
    const matches = args[0] === undefined ? xs : xs.filter(predicate(rt, args[0]));
    if (matches.length === 0) {
      if (orDefault) return null;
      throw args[0] === undefined ? noElements() : noMatch();
    }
    if (kind === 'Single' && matches.length > 1) throw new CsException('InvalidOperationException', `Sequence contains more than one ${args[0] === undefined ? 'element' : 'matching element'}`);
    return kind === 'Last' ? matches[matches.length - 1] : matches[0];
  };
}

function ordered(descending: boolean): Impl {
  return (self, args, rt) => {
    const xs = items(self);
    charge(Math.ceil(xs.length * Math.log2(xs.length + 1)));
    const pick = selector(rt, args[0]);
    const keyed = xs.map((x) => ({ x, k: pick(x) }));
    // a stable sort, as OrderBy is
    keyed.sort((a, b) => (descending ? -1 : 1) * compare(a.k, b.k));
    return keyed.map((e) => e.x);
  };
}

function setOperation(kind: 'Union' | 'Intersect' | 'Except'): Impl {
  return (self, args) => {
    const xs = items(self);
    const other = items(args[0]);
    if (kind === 'Union') return distinct([...xs, ...other]);
    const inOther = new Set(other.map(equalityKey));
    return distinct(xs.filter((x) => inOther.has(equalityKey(x)) === (kind === 'Intersect')));
  };
}

function extremum(sign: 1 | -1): Impl {
  return (self, args, rt) => {
    const xs = items(self).map(selector(rt, args[0]));
    if (xs.length === 0) throw noElements();
    return xs.reduce((a, b) => (compare(a, b) * sign >= 0 ? a : b));
  };
}

const m = (overloads: string[], run: Impl): MemberImpl => ({ overloads, run });
const S = 'IEnumerable<TSource>';

export const ENUMERABLE: TypeLibrary = {
  type: 'System.Linq.Enumerable',
  source: SOURCE,
  methods: {
    Any: m([`(${S})`, `(${S},Func<TSource,bool>)`], (self, args, rt) => {
      const xs = items(self);
      if (args[0] === undefined) return xs.length > 0;
      const p = predicate(rt, args[0]);
      for (let i = 0; i < xs.length; i++) if (p(xs[i], i)) return true;
      return false;
    }),
    All: m([`(${S},Func<TSource,bool>)`], (self, args, rt) => items(self).every(predicate(rt, args[0]))),
    Count: m([`(${S})`, `(${S},Func<TSource,bool>)`], (self, args, rt) => (args[0] === undefined ? items(self).length : items(self).filter(predicate(rt, args[0])).length)),
    Select: m([`(${S},Func<TSource,TResult>)`, `(${S},Func<TSource,int,TResult>)`], (self, args, rt) => items(self).map((x, i) => rt.call(args[0], [x, i]))),
    SelectMany: m([`(${S},Func<TSource,IEnumerable<TResult>>)`], (self, args, rt) => {
      const out: unknown[] = [];
      for (const x of items(self)) {
        const more = enumerate(rt.call(args[0], [x]));
        chargeArray(out.length + more.length);
        for (const y of more) out.push(y);
      }
      return out;
    }),
    Where: m([`(${S},Func<TSource,bool>)`, `(${S},Func<TSource,int,bool>)`], (self, args, rt) => items(self).filter(predicate(rt, args[0]))),
    First: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('First', false)),
    FirstOrDefault: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('First', true)),
    Last: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('Last', false)),
    LastOrDefault: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('Last', true)),
    Single: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('Single', false)),
    SingleOrDefault: m([`(${S})`, `(${S},Func<TSource,bool>)`], element('Single', true)),
    Contains: m([`(${S},TSource)`, `(${S},TSource,IEqualityComparer<TSource>)`], (self, args) => {
      const want = args[0];
      const ic = ignoresCase(args[1]) && typeof want === 'string';
      for (const x of items(self)) if (ic && typeof x === 'string' ? x.toLowerCase() === (want as string).toLowerCase() : equals(x, want)) return true;
      return false;
    }),
    // a copy: changing the list ToList() returned never changes its source
    ToArray: m([`(${S})`], (self) => [...items(self)]),
    ToList: m([`(${S})`], (self) => [...items(self)]),
    AsEnumerable: m([`(${S})`], (self) => items(self)),
    Skip: m([`(${S},int)`], (self, args) => items(self).slice(Math.max(0, num(args[0])))),
    Take: m([`(${S},int)`], (self, args) => items(self).slice(0, Math.max(0, num(args[0])))),
    Reverse: m([`(${S})`], (self) => [...items(self)].reverse()),
    Distinct: m([`(${S})`], (self) => distinct(items(self))),
    Concat: m([`(${S},${S})`], (self, args) => {
      const other = items(args[0]);
      const xs = items(self);
      chargeArray(xs.length + other.length);
      return [...xs, ...other];
    }),
    Union: m([`(${S},${S})`], setOperation('Union')),
    Intersect: m([`(${S},${S})`], setOperation('Intersect')),
    Except: m([`(${S},${S})`], setOperation('Except')),
    OrderBy: m([`(${S},Func<TSource,TKey>)`], ordered(false)),
    OrderByDescending: m([`(${S},Func<TSource,TKey>)`], ordered(true)),
    Sum: m([`(IEnumerable<int>)`, `(IEnumerable<long>)`, `(IEnumerable<double>)`, `(IEnumerable<decimal>)`, `(${S},Func<TSource,int>)`, `(${S},Func<TSource,double>)`], (self, args, rt) => {
      const pick = selector(rt, args[0]);
      return items(self).reduce<number>((acc, x) => acc + num(pick(x)), 0);
    }),
    Max: m([`(IEnumerable<int>)`, `(${S})`, `(${S},Func<TSource,TResult>)`, `(${S},Func<TSource,int>)`], extremum(1)),
    Min: m([`(IEnumerable<int>)`, `(${S})`, `(${S},Func<TSource,TResult>)`, `(${S},Func<TSource,int>)`], extremum(-1)),
    ElementAt: m([`(${S},int)`], (self, args) => {
      const xs = items(self);
      const i = num(args[0]);
      if (!Number.isInteger(i) || i < 0 || i >= xs.length) throw new CsException('ArgumentOutOfRangeException', 'Index was out of range. Must be non-negative and less than the size of the collection.\r\nParameter name: index');
      return xs[i];
    }),
    ElementAtOrDefault: m([`(${S},int)`], (self, args) => items(self)[num(args[0])] ?? null),
    DefaultIfEmpty: m([`(${S})`], (self) => (items(self).length === 0 ? [null] : items(self))),
    // static sources: their elements are charged before they exist
    Range: m(['(int,int)'], (_self, args) => {
      const start = num(args[0]);
      const count = num(args[1]);
      if (count < 0 || start + count - 1 > 2147483647) throw new CsException('ArgumentOutOfRangeException', 'Specified argument was out of the range of valid values.\r\nParameter name: count');
      chargeArray(count);
      return Array.from({ length: count }, (_, i) => start + i);
    }),
    Repeat: m(['(TResult,int)'], (_self, args) => {
      const count = num(args[1]);
      if (count < 0) throw new CsException('ArgumentOutOfRangeException', 'Specified argument was out of the range of valid values.\r\nParameter name: count');
      chargeArray(count);
      return new Array<unknown>(count).fill(args[0]);
    }),
    Empty: m(['()'], () => []),
  },
};

const list = (self: unknown): unknown[] => self as unknown[];

/**
 * List<T> (also what arrays and HashSet<T> are here): the members that change it are `inPlace`.
 * https://github.com/microsoft/referencesource/blob/master/mscorlib/system/collections/generic/list.cs
 */
export const LIST: TypeLibrary = {
  type: 'System.Collections.Generic.List<T>',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/collections/generic/list.cs',
  properties: {
    Count: { overloads: [''], run: (self) => list(self).length },
  },
  methods: {
    Add: { overloads: ['(T)'], inPlace: true, run: (self, args) => void (chargeArray(list(self).length + 1), list(self).push(args[0])) },
    AddRange: {
      overloads: ['(IEnumerable<T>)'],
      inPlace: true,
      run: (self, args) => {
        const more = enumerate(args[0]);
        chargeArray(list(self).length + more.length);
        for (const x of [...more]) list(self).push(x);
      },
    },
    Insert: {
      overloads: ['(int,T)'],
      inPlace: true,
      run: (self, args) => {
        const i = num(args[0]);
        if (!Number.isInteger(i) || i < 0 || i > list(self).length) throw new CsException('ArgumentOutOfRangeException', 'Index must be within the bounds of the List.\r\nParameter name: index');
        chargeArray(list(self).length + 1);
        list(self).splice(i, 0, args[1]);
      },
    },
    Remove: {
      overloads: ['(T)'],
      inPlace: true,
      run: (self, args) => {
        const i = list(self).findIndex((x) => equals(x, args[0]));
        if (i >= 0) list(self).splice(i, 1);
        return i >= 0;
      },
    },
    RemoveAt: {
      overloads: ['(int)'],
      inPlace: true,
      run: (self, args) => {
        const i = num(args[0]);
        if (!Number.isInteger(i) || i < 0 || i >= list(self).length) throw new CsException('ArgumentOutOfRangeException', 'Index was out of range. Must be non-negative and less than the size of the collection.\r\nParameter name: index');
        list(self).splice(i, 1);
      },
    },
    RemoveAll: {
      overloads: ['(Predicate<T>)'],
      inPlace: true,
      run: (self, args, rt) => {
        const xs = items(self);
        const keep = xs.filter((x) => !truthy(rt.call(args[0], [x])));
        const removed = xs.length - keep.length;
        xs.splice(0, xs.length, ...keep);
        return removed;
      },
    },
    Clear: { overloads: ['()'], inPlace: true, run: (self) => void list(self).splice(0) },
    Sort: { overloads: ['()'], inPlace: true, run: (self) => void (charge(Math.ceil(list(self).length * Math.log2(list(self).length + 1))), list(self).sort(compare)) },
    Reverse: { overloads: ['()'], inPlace: true, run: (self) => void list(self).reverse() },
    IndexOf: { overloads: ['(T)'], run: (self, args) => items(self).findIndex((x) => equals(x, args[0])) },
    Contains: { overloads: ['(T)'], run: (self, args) => items(self).some((x) => equals(x, args[0])) },
    Exists: { overloads: ['(Predicate<T>)'], run: (self, args, rt) => items(self).some(predicate(rt, args[0])) },
    Find: { overloads: ['(Predicate<T>)'], run: (self, args, rt) => items(self).find(predicate(rt, args[0])) ?? null },
    FindAll: { overloads: ['(Predicate<T>)'], run: (self, args, rt) => items(self).filter(predicate(rt, args[0])) },
    ToArray: { overloads: ['()'], run: (self) => [...items(self)] },
    ForEach: { overloads: ['(Action<T>)'], run: (self, args, rt) => void items(self).forEach((x) => rt.call(args[0], [x])) },
  },
};

/** System.Array's static members that change their argument in place. */
export const ARRAY: TypeLibrary = {
  type: 'System.Array',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/array.cs',
  properties: {
    Length: { overloads: [''], run: (self) => (self as unknown[] | Uint8Array).length },
  },
  methods: {
    Reverse: { overloads: ['(Array)'], inPlace: true, run: (_self, args) => void list(args[0]).reverse() },
    Sort: { overloads: ['(Array)'], inPlace: true, run: (_self, args) => void (charge(Math.ceil(list(args[0]).length * Math.log2(list(args[0]).length + 1))), list(args[0]).sort(compare)) },
    IndexOf: { overloads: ['(Array,object)'], run: (_self, args) => items(args[0]).findIndex((x) => equals(x, args[1])) },
    Exists: { overloads: ['(T[],Predicate<T>)'], run: (_self, args, rt) => items(args[0]).some(predicate(rt, args[1])) },
    Empty: { overloads: ['()'], run: () => [] },
  },
};
