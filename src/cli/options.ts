// Command-line options: flags first, then SELFLESS_* variables, then defaults; bad values are one-line errors.

export class UsageError extends Error {}

export interface Parsed {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
  /** Every value of a flag given more than once, in order (`flags` keeps the last). */
  repeated?: Map<string, string[]>;
}

export function parseArgs(argv: string[]): Parsed {
  const [command = 'help', ...rest] = argv;
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const positional: string[] = [];
  const set = (k: string, v: string | true): void => {
    flags.set(k, v);
    if (v !== true) repeated.set(k, [...(repeated.get(k) ?? []), v]);
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) set(a.slice(2, eq), a.slice(eq + 1));
    else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--')) set(a.slice(2), rest[++i]!);
    else set(a.slice(2), true);
  }
  return { command, positional, flags, repeated };
}

export function str(p: Parsed, flag: string, envName: string | undefined, dflt: string): string {
  const v = p.flags.get(flag) ?? (envName ? process.env[envName] : undefined);
  if (v === true) throw new UsageError(`--${flag} needs a value`);
  return v ?? dflt;
}

export function int(p: Parsed, flag: string, envName: string | undefined, dflt: number, min: number, max: number): number {
  const raw = str(p, flag, envName, String(dflt));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max} (got '${raw}')`);
  return n;
}
