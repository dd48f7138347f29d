// Unit: the interpreter map (exact choice, nearest-version fallback, refusals), start-up variables and arm64 rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boto3PathFor, InterpreterMap, parseRuntimeMap, resolveInterpreters, type Interpreter } from '../../src/engine/interpreters.js';
import { arm64Emulated, needsFreshProcess, Platform } from '../../src/engine/platform.js';
import { parseArgs } from '../../src/cli/options.js';

const py = (version: string): Interpreter => ({ family: 'python', path: `/py/${version}/bin/python3`, version });
const node = (version: string): Interpreter => ({ family: 'node', path: `/node/${version}/bin/node`, version });
const FOUND = [py('3.12.1'), py('3.9.18'), py('3.13.0'), node('20.20.2'), node('22.1.0')];

test('Interpreters: a runtime gets the interpreter of the version it names', () => {
  const m = new InterpreterMap(FOUND, {}, false);
  assert.equal(m.choose('python3.12')?.interpreter?.version, '3.12.1');
  assert.equal(m.choose('python3.9')?.interpreter?.version, '3.9.18');
  assert.equal(m.choose('nodejs22.x')?.interpreter?.version, '22.1.0');
  assert.equal(m.choose('nodejs22.x')?.exact, true);
  assert.equal(m.choose('provided.al2023'), undefined, 'custom runtimes bring their own');
  assert.equal(m.refusal('python3.12'), undefined);
  assert.equal(m.mismatchLine('python3.12'), undefined);
});

test('Interpreters: a missing version is refused with what to install, unless fallback takes the nearest', () => {
  const strict = new InterpreterMap(FOUND, {}, false);
  assert.equal(strict.refusal('nodejs24.x'), 'The runtime nodejs24.x needs Node.js 24, which this server does not have: install it or run `selfless runtimes install nodejs24.x`.');
  assert.match(strict.refusal('python3.14') ?? '', /^The runtime python3\.14 needs Python 3\.14, which this server does not have: install it/);
  const loose = new InterpreterMap(FOUND, {}, true);
  assert.equal(loose.choose('python3.14')?.interpreter?.version, '3.13.0');
  assert.equal(loose.choose('python3.10')?.interpreter?.version, '3.9.18', '3.9 is one minor away, 3.12 two');
  assert.equal(loose.choose('nodejs24.x')?.interpreter?.version, '22.1.0');
  assert.equal(loose.choose('nodejs18.x')?.interpreter?.version, '20.20.2');
  assert.equal(loose.refusal('nodejs24.x'), undefined);
  assert.equal(loose.mismatchLine('python3.14'), 'selfless: runtime python3.14 runs Python 3.13.0 (/py/3.13.0/bin/python3): Python 3.14 is not installed; --runtime-fallback chose the nearest\n');
  assert.equal(new InterpreterMap([], {}, true).refusal('python3.12')?.startsWith('The runtime python3.12 needs Python 3.12'), true, 'nothing to fall back to');
});

test('Interpreters: --runtime pins an executable, and `none` makes a runtime missing', () => {
  const m = new InterpreterMap(FOUND, { 'python3.12': py('3.11.7'), 'nodejs20.x': null }, false);
  assert.equal(m.choose('python3.12')?.interpreter?.version, '3.11.7');
  assert.match(m.mismatchLine('python3.12') ?? '', /runs Python 3\.11\.7 .*as mapped by --runtime/);
  assert.match(m.refusal('nodejs20.x') ?? '', /needs Node\.js 20/);
  assert.deepEqual(parseRuntimeMap(['nodejs22.x=/opt/node22/bin/node', 'python3.12=/x/python3,python3.9=none']), { 'nodejs22.x': '/opt/node22/bin/node', 'python3.12': '/x/python3', 'python3.9': 'none' });
  assert.throws(() => parseRuntimeMap(['nodejs22.x']), /RUNTIME=PATH/);
  assert.throws(() => parseRuntimeMap(['java21=/usr/bin/java']), /not a runtime with an interpreter/);
  const p = parseArgs(['start', '--runtime', 'a=1', '--runtime=b=2', '--port', '0']);
  assert.deepEqual(p.repeated?.get('runtime'), ['a=1', 'b=2']);
});

test('Interpreters: a configured executable is probed for its real version and path', async () => {
  const m = await resolveInterpreters({ dataDir: tmpdir(), configured: { 'nodejs20.x': process.execPath }, discover: false });
  const c = m.choose('nodejs20.x');
  assert.equal(c?.interpreter?.version, process.versions.node);
  assert.equal(c?.configured, true);
  assert.equal(m.choose('python3.12')?.interpreter, undefined, 'no discovery: nothing else');
});

test('Platform: start-up variables need a fresh runtime process', () => {
  assert.equal(needsFreshProcess({ NODE_OPTIONS: '--require x' }), true);
  assert.equal(needsFreshProcess({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/w' }), true);
  assert.equal(needsFreshProcess({ PYTHONWARNINGS: 'error' }), true);
  assert.equal(needsFreshProcess({ PYTHONPATH: '/var/task/lib', FOO: '1' }), false, 'the bootstrap applies PYTHONPATH itself');
  assert.equal(needsFreshProcess({}), false);
});

test('Platform: arm64 is refused without emulation, accepted with a warning in warn mode or with qemu binfmt', () => {
  const interpreters = new InterpreterMap(FOUND, {}, false);
  const refuse = new Platform({ interpreters, arm64Runs: false });
  assert.match(refuse.refusal('nodejs20.x', ['arm64']) ?? '', /^The architecture arm64 cannot run on this .* host/);
  assert.equal(refuse.refusal('nodejs20.x', ['x86_64']), undefined);
  const warn = new Platform({ interpreters, arm64: 'warn', arm64Runs: false });
  assert.equal(warn.refusal('nodejs20.x', ['arm64']), undefined);
  assert.match(warn.coldStartLines('nodejs20.x', ['arm64']).join(''), /WARNING: this arm64 function runs on/);
  assert.equal(new Platform({ interpreters, arm64Runs: true }).refusal('nodejs20.x', ['arm64']), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'binfmt-'));
  try {
    assert.equal(arm64Emulated(dir), false);
    writeFileSync(join(dir, 'qemu-aarch64'), 'disabled\ninterpreter /usr/bin/qemu-aarch64\n');
    assert.equal(arm64Emulated(dir), false);
    writeFileSync(join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/bin/qemu-aarch64\n');
    assert.equal(arm64Emulated(dir), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Interpreters: boto3 from another installation, one of the same X.Y first, and none when the chosen one has it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boto3-'));
  try {
    mkdirSync(join(dir, 'with', 'boto3'), { recursive: true });
    mkdirSync(join(dir, 'with312', 'boto3'), { recursive: true });
    mkdirSync(join(dir, 'without'), { recursive: true });
    const bare = { ...py('3.11.4'), path: '/usr/bin/python3.11', libDir: join(dir, 'without') };
    const rich = { ...py('3.11.7'), libDir: join(dir, 'with') };
    const other = { ...py('3.12.1'), libDir: join(dir, 'without') };
    const rich312 = { ...py('3.12.3'), path: '/usr/bin/python3.12', libDir: join(dir, 'with312') };
    const m = new InterpreterMap([bare, rich, other], {}, false);
    assert.equal(boto3PathFor(m, bare), join(dir, 'with'));
    assert.equal(boto3PathFor(m, rich), undefined, 'it has its own');
    // AWS's Python runtimes all include boto3 (pure Python): another version's, last on PYTHONPATH, when no X.Y match has it.
    assert.equal(boto3PathFor(m, other), join(dir, 'with'));
    assert.equal(boto3PathFor(new InterpreterMap([bare, rich, other, rich312], {}, false), other), join(dir, 'with312'), 'the same X.Y first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
