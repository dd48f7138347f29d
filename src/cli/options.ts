// Command-line options: flags first, then SELFLESS_* variables, then defaults; bad values are one-line errors.

export class UsageError extends Error {}

export interface Parsed {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[]): Parsed {
  const [command = 'help', ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--')) flags.set(a.slice(2), rest[++i]!);
    else flags.set(a.slice(2), true);
  }
  return { command, positional, flags };
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
