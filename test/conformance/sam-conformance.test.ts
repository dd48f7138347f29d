// Conformance: samtranslator 1.110.0's golden translations (region ap-southeast-1), compared after deep-sorting lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidDocumentError, parseTemplate, transformSam, type Json } from '../../src/services/cloudformation/index.js';
import { CORPUS, caseNames, conformanceRegistry, deepSort, firstDiff, missingSupport, normaliseDeployments, runCase, summarise } from './sam-runner.js';
import type { JsonObject } from '../../src/services/cloudformation/index.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
import { referenceAvailable, runReference, mockPolicies } from './sam-reference.js';

const skip = existsSync(CORPUS) ? false : `SAM corpus not found at ${CORPUS} (it lives in ../shared, absent in a fresh clone)`;

test('Conformance: SAM translator golden files (per-area table; every failing and excluded case listed)', { skip, timeout: 600_000 }, () => {
  const rs = caseNames().map((n) => runCase(n));
  for (const r of rs) if (r.outcome !== 'pass' || (r.invalid && !r.exactMessage) || (r.invalid && !r.rejected)) console.log(`${r.outcome.toUpperCase()} ${r.name}: ${r.reason ?? ''}`);
  const s = summarise(rs);
  for (const line of s.table.split('\n')) console.log(line);
  assert.deepEqual(rs.filter((r) => r.reason?.startsWith('runner error')).map((r) => `${r.name}: ${r.reason}`), [], 'the transform must not crash on any input');
  // Regression floors at the measured level; raise them when more pass.
  assert.ok(s.validPassed >= 542, `valid inputs equal to the reference: ${s.validPassed} (floor 542)`);
  assert.ok(s.invalidRejected >= 287, `invalid inputs rejected: ${s.invalidRejected} (floor 287: all of them)`);
  assert.ok(s.invalidExact >= 286, `invalid inputs rejected with the reference's message: ${s.invalidExact} (floor 286)`);
});

/** A small deterministic PRNG, so that the mutated templates are the same on every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

test('Robustness: corpus templates with properties deleted or given wrong types are rejected or transformed, never crash', { skip, timeout: 600_000 }, () => {
  const rnd = prng(20261202);
  const values: Json[] = [null, 1, 'x', true, [], {}, [1], { Ref: 'X' }, { 'Fn::If': ['C', 1] }, ['a', { Ref: 'B' }]];
  const pick = (): Json => structuredClone(values[Math.floor(rnd() * values.length)]!);
  const mutate = (v: Json, depth = 0): Json => {
    if (Array.isArray(v)) {
      if (v.length && rnd() < 0.3) {
        const i = Math.floor(rnd() * v.length);
        v[i] = rnd() < 0.5 ? pick() : mutate(v[i]!, depth + 1);
      }
      return v;
    }
    if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      if (!keys.length) return v;
      const k = keys[Math.floor(rnd() * keys.length)]!;
      const r = rnd();
      if (r < 0.2 && depth > 1) delete v[k];
      else if (r < 0.5) v[k] = pick();
      else v[k] = mutate(v[k]!, depth + 1);
    }
    return v;
  };
  const crashes: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (const name of caseNames()) {
      const t = parseTemplate(readFileSync(join(CORPUS, 'input', `${name}.yaml`), 'utf8'));
      for (let j = 0; j < 3; j++) mutate(t);
      try {
        transformSam(t, { region: 'us-east-1' }, conformanceRegistry());
      } catch (e) {
        if (!(e instanceof InvalidDocumentError)) crashes.push(`${name} (round ${round}): ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' | ') : String(e)}`);
      }
    }
  }
  assert.deepEqual(crashes, []);
});

for (const [region, partition] of [['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov']] as const) {
  const noRef = skip || (referenceAvailable() ? false : 'the reference samtranslator (python3) is not installed');
  test(`Partitions: in ${partition} every in-scope valid input transforms as the installed samtranslator does`, { skip: noRef, timeout: 600_000 }, () => {
    const reg = conformanceRegistry();
    const names = caseNames().filter((n) => {
      if (n.startsWith('error_')) return false;
      const text = readFileSync(join(CORPUS, 'input', `${n}.yaml`), 'utf8');
      // Application templates make the reference call the Serverless Application Repository.
      return !text.includes('AWS::Serverless::Application') && missingSupport(parseTemplate(text), reg) === undefined;
    });
    const ref = runReference(region, partition, names.map((n) => join(CORPUS, 'input', `${n}.yaml`)));
    const diffs: string[] = [];
    for (const n of names) {
      let out: Json;
      try {
        out = transformSam(parseTemplate(readFileSync(join(CORPUS, 'input', `${n}.yaml`), 'utf8')), { region, managedPolicyMap: mockPolicies(partition) }, reg);
      } catch (e) {
        out = { errorMessage: (e as Error).message };
      }
      const expected = ref.get(n);
      // As in the corpus comparison: Deployment ids are recomputed from the bodies (see normaliseDeployments).
      if (isObject(out) && isObject(expected)) {
        normaliseDeployments(out);
        normaliseDeployments(expected);
      }
      const d = firstDiff(deepSort(out), deepSort(expected));
      if (d) diffs.push(`${n}: ${d}`);
    }
    console.log(`${partition}: ${names.length - diffs.length}/${names.length} equal to the reference`);
    assert.deepEqual(diffs, []);
  });
}
