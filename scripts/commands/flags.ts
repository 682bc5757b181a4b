/** Flag helpers shared by the commands that take repeated and NAME=VALUE flags (policy emulate, chain check). */
import { CliError, ExitCode } from '../exit-codes.js';

/** Commander collector: a repeated flag becomes a list. */
export const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `NAME=VALUE` flags as pairs; exit 2 naming the flag when one has no name or no `=`. */
export function pairs(list: readonly string[] | undefined, flag: string): [string, string][] {
  return (list ?? []).map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`${flag} expects NAME=VALUE, got ${JSON.stringify(p)}`, ExitCode.BadInput);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}
