// The `selfless` command line: --version, --help on every command without side effects, misspelled flags and commands
// refused with a suggestion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAIN, ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [MAIN, ...args], { timeout: 10_000 });
const fails = async (args: string[], re: RegExp): Promise<void> => {
  await assert.rejects(cli(...args), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, re);
    return true;
  });
};

test('selfless --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal((await cli('--version')).stdout.trim(), `selfless ${version}`);
});

test('selfless <command> --help prints its usage and exits 0 without doing anything (start does not start a server)', async () => {
  for (const c of ['start', 'logs', 'transform', 'validate', 'deploy', 'delete', 'stacks', 'sync', 'invoke', 'generate-event']) {
    const r = await cli(c, '--help');
    assert.match(r.stdout, new RegExp(`usage: selfless ${c === 'delete' || c === 'stacks' ? 'deploy' : c === 'invoke' ? 'sync' : c}`), c);
    assert.doesNotMatch(r.stdout, /ready on/, c);
  }
});

test('selfless: a misspelled option or command is refused with a suggestion (exit 2)', async () => {
  await fails(['start', '--prot', '9001'], /unknown option --prot for selfless start \(did you mean --port\?\)/);
  await fails(['deploy', '--stack-nme', 'x'], /did you mean --stack-name\?/);
  await fails(['stacs'], /unknown command 'stacs' \(did you mean 'stacks'\?\)/);
  await fails(['start', '--zzzzzzzz'], /unknown option --zzzzzzzz for selfless start\n/);
});
