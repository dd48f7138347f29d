// Runs the compiled test suite with Node's test runner: every dist/test/**/*.test.js (or those matching argv filters)
// on the embedded SQLite store; then, where PostgreSQL answers, the compat suites again with every server on its own
// PostgreSQL database (SELFLESS_TEST_STORE=postgres). SELFLESS_TEST_PG names the server (default 127.0.0.1:5432/test).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// Suites whose behaviour does not depend on the store (the sandbox, runtimes, a browser) run once; so does Terraform's,
// whose minutes go to the provider's own start-ups and waits, not to the store.
const STORE_INDEPENDENT = ['sandbox-escape', 'sandbox-contract', 'aws-lambda-ric', 'cors', 'runtime-node', 'compat/runtimes.test', 'terraform'];

const filters = process.argv.slice(2);
const files = walk('dist/test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// A file's limit is 10 minutes: Terraform's file takes about 4 on a loaded 2-core machine.
const run = (list, env) => spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...list], { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

let status = run(files, {});
const pgFiles = files.filter((f) => f.includes(`${join('dist', 'test', 'compat')}`) && !STORE_INDEPENDENT.some((x) => f.includes(x)));
if (pgFiles.length > 0) {
  const probe = spawnSync(process.execPath, ['-e', "import('./dist/test/helpers/pg.js').then(async (m) => { const why = await m.pgUnavailable(); if (why) { console.log(why); process.exit(3); } process.exit(0); })"], { encoding: 'utf8' });
  if (probe.status === 0) {
    console.log(`\n# the compat suites again on PostgreSQL (${pgFiles.length} files)`);
    status = run(pgFiles, { SELFLESS_TEST_STORE: 'postgres' }) || status;
  } else {
    console.log(`\n# skipped: the compat suites on PostgreSQL: ${probe.stdout.trim() || probe.stderr.trim()}`);
  }
}
process.exit(status);
