/**
 * .NET DateTime format strings (standard "o", "s", "u", "r" and the custom specifiers yyyy MM dd HH
 * mm ss fff tt …), in UTC: one implementation, used by the emulator's DateTime.ToString and by the
 * liquid dialect's Date filter (APIM's liquid Date filter takes .NET format strings:
 * https://learn.microsoft.com/en-us/azure/api-management/set-body-policy#supported-liquid-filters).
 * Formats: https://learn.microsoft.com/en-us/dotnet/standard/base-types/standard-date-and-time-format-strings
 */

/** DateTime.ToString() with no format, in the invariant-like culture the emulator uses. */
export const DEFAULT_DATE_FORMAT = 'M/d/yyyy h:mm:ss tt';

/** .NET custom and standard date formats, the common subset ("o", "s", "u", "r", yyyy MM dd HH mm ss fff tt ...). */
export function formatDate(ms: number, format: string): string {
  const d = new Date(ms);
  const iso = d.toISOString();
  switch (format) {
    case 'o':
    case 'O':
      return iso.replace('Z', '0000Z');
    case 's':
      return iso.slice(0, 19);
    case 'u':
      return iso.slice(0, 19).replace('T', ' ') + 'Z';
    case 'r':
    case 'R':
      return d.toUTCString();
  }
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const h12 = d.getUTCHours() % 12 || 12;
  return format.replace(/yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|fffffff|ffffff|fff|ff|f|tt|K|'[^']*'|\\./g, (tok) => {
    switch (tok) {
      case 'yyyy':
        return p(d.getUTCFullYear(), 4);
      case 'yy':
        return p(d.getUTCFullYear() % 100);
      case 'MM':
        return p(d.getUTCMonth() + 1);
      case 'M':
        return String(d.getUTCMonth() + 1);
      case 'dd':
        return p(d.getUTCDate());
      case 'd':
        return String(d.getUTCDate());
      case 'HH':
        return p(d.getUTCHours());
      case 'H':
        return String(d.getUTCHours());
      case 'hh':
        return p(h12);
      case 'h':
        return String(h12);
      case 'mm':
        return p(d.getUTCMinutes());
      case 'm':
        return String(d.getUTCMinutes());
      case 'ss':
        return p(d.getUTCSeconds());
      case 's':
        return String(d.getUTCSeconds());
      case 'tt':
        return d.getUTCHours() < 12 ? 'AM' : 'PM';
      case 'K':
        return 'Z';
      default:
        if (tok.startsWith("'")) return tok.slice(1, -1);
        if (tok.startsWith('\\')) return tok.slice(1);
        return p(d.getUTCMilliseconds(), 3).padEnd(tok.length, '0').slice(0, tok.length);
    }
  });
}
