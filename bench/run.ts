// `npm run bench`: runs every benchmark section that exists and writes BENCHMARKS.md with the machine and date.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, type Section } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Sections by module; a module that is not built (not there yet) is skipped, and said so. */
const SECTIONS = ['invoke', 'provisioned', 'sandbox', 'runtimes', 'extensions', 'async', 'sqs', 'sns', 's3', 'events', 'streams', 'http', 'states', 'sam', 'auth', 'images', 'scale', 'soak', 'crash'];
/** Sections that run only when named (`npm run bench soak`): the soak lasts SELFLESS_SOAK_MINUTES (default 30); the crash run, SELFLESS_CRASH_KILLS (default 10) kills per store. */
const ON_REQUEST = ['soak', 'crash'];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const out: string[] = [];
  for (const name of SECTIONS) {
    if (only.length > 0 && !only.includes(name)) continue;
    if (ON_REQUEST.includes(name) && !only.includes(name)) continue;
    const file = join(here, `${name}.js`);
    if (!existsSync(file)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    const mod = (await import(file)) as { run?: () => Promise<Section> };
    if (!mod.run) continue;
    try {
      const s = await mod.run();
      out.push(`## ${s.title}\n\n${s.markdown}\n`);
      process.stderr.write(`${s.markdown}\n\n`);
    } catch (e) {
      out.push(`## ${name}\n\nFailed in this run: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  const target = join(here, '..', '..', 'BENCHMARKS.md');
  // Sections not run this time are kept from the previous file, each with the date and machine it was measured on.
  const stamp = `_Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}._`;
  const fresh = out.map((s) => s.replace(/\n\n/, `\n\n${stamp}\n\n`));
  const old = existsSync(target) ? readFileSync(target, 'utf8').split(/\n(?=## )/).slice(1) : [];
  const titleOf = (s: string): string => s.split('\n')[0] ?? '';
  // A re-measured section replaces the old one in place; a section new to the file goes after the others.
  const merged = old.map((o) => fresh.find((f) => titleOf(f) === titleOf(o)) ?? o);
  const added = fresh.filter((f) => !old.some((o) => titleOf(o) === titleOf(f)));
  writeFileSync(target, `# Benchmarks\n\nWritten by \`npm run bench\` (\`npm run bench <section>\` re-measures one section).\n\n${[...merged, ...added].join('\n')}`);
  process.stderr.write(`bench: wrote ${target}\n`);
  process.exit(0);
}

void main();
