// Waiting in tests: poll a condition until it holds, and read the JSON lines a recording function appended to a file.
import { existsSync, readFileSync } from 'node:fs';

/** Polls `f` until it returns something other than undefined or false; throws after `ms`. */
export async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The events a recording function appended to `file`, one JSON document per line. */
export function recorded(file: string): any[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
