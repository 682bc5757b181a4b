/**
 * System.DateTime, DateTimeOffset and TimeSpan statics (instances are CsDateTime / CsTimeSpan
 * host objects, values.ts). The emulator's clock is UTC.
 * https://github.com/microsoft/referencesource/blob/master/mscorlib/system/datetime.cs
 */
import { num, str } from '../core.js';
import { CsDateTime, CsException, CsTimeSpan } from '../values.js';
import type { Impl, TypeLibrary } from './types.js';

const now: Impl = (_self, _args, rt) => new CsDateTime(rt.host.now());

const parse: Impl = (_self, args) => {
  const ms = Date.parse(str(args[0]));
  if (Number.isNaN(ms)) throw new CsException('FormatException', 'String was not recognized as a valid DateTime.');
  return new CsDateTime(ms);
};

export const DATETIME: TypeLibrary = {
  type: 'System.DateTime',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/datetime.cs',
  properties: {
    UtcNow: { overloads: [''], run: now },
    Now: { overloads: [''], run: now },
    Today: { overloads: [''], run: (_self, _args, rt) => new CsDateTime(rt.host.now() - (rt.host.now() % 86400000)) },
    MinValue: { overloads: [''], run: () => new CsDateTime(-62135596800000) },
    MaxValue: { overloads: [''], run: () => new CsDateTime(253402300799999) },
  },
  methods: {
    Parse: { overloads: ['(string)'], run: parse },
  },
};

export const DATETIMEOFFSET: TypeLibrary = {
  type: 'System.DateTimeOffset',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/datetimeoffset.cs',
  properties: {
    UtcNow: { overloads: [''], run: now },
    Now: { overloads: [''], run: now },
  },
  methods: {
    Parse: { overloads: ['(string)'], run: parse },
    FromUnixTimeSeconds: { overloads: ['(long)'], run: (_self, args) => new CsDateTime(num(args[0]) * 1000) },
    FromUnixTimeMilliseconds: { overloads: ['(long)'], run: (_self, args) => new CsDateTime(num(args[0])) },
  },
};

const from =
  (unitMs: number): Impl =>
  (_self, args) =>
    new CsTimeSpan(num(args[0]) * unitMs);

export const TIMESPAN: TypeLibrary = {
  type: 'System.TimeSpan',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/timespan.cs',
  properties: {
    Zero: { overloads: [''], run: () => new CsTimeSpan(0) },
  },
  methods: {
    FromMilliseconds: { overloads: ['(double)'], run: from(1) },
    FromSeconds: { overloads: ['(double)'], run: from(1000) },
    FromMinutes: { overloads: ['(double)'], run: from(60000) },
    FromHours: { overloads: ['(double)'], run: from(3600000) },
    FromDays: { overloads: ['(double)'], run: from(86400000) },
  },
};
