// Conformance: samtranslator 1.110.0's golden translations (region ap-southeast-1), compared after deep-sorting lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CORPUS, caseNames, runCase, summarise } from './sam-runner.js';

const skip = existsSync(CORPUS) ? false : `SAM corpus not found at ${CORPUS} (it lives in ../shared, absent in a fresh clone)`;

test('Conformance: SAM translator golden files (per-area table; every failing and excluded case listed)', { skip, timeout: 600_000 }, () => {
  const rs = caseNames().map((n) => runCase(n));
  for (const r of rs) if (r.outcome !== 'pass' || (r.invalid && !r.exactMessage)) console.log(`${r.outcome.toUpperCase()} ${r.name}: ${r.reason ?? ''}`);
  const s = summarise(rs);
  for (const line of s.table.split('\n')) console.log(line);
  assert.deepEqual(rs.filter((r) => r.reason?.startsWith('runner error')).map((r) => `${r.name}: ${r.reason}`), [], 'the transform must not crash on any input');
  // Regression floors at the measured level; raise them when more pass.
  assert.ok(s.validPassed >= 418, `valid inputs equal to the reference: ${s.validPassed}`);
  assert.ok(s.invalidExact >= 231, `invalid inputs rejected with the reference's message: ${s.invalidExact}`);
});
