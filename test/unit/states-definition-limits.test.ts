// Unit tests: definitions AWS refuses for their shape as a graph (no terminal state, unreachable states) or their
// nesting are refused with AWS's diagnostics, without overflowing the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostics, validateDefinition } from '../../src/services/states/asl/validate.js';

const check = (def: object | string) => validateDefinition(typeof def === 'string' ? def : JSON.stringify(def)).diagnostics;

test('ASL: a cycle with no terminal state is MISSING_END_STATE, worded as AWS words it', () => {
  const d = check({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } });
  assert.deepEqual(d.map((x) => x.code), ['MISSING_END_STATE']);
  assert.equal(formatDiagnostics(d), "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'");
});

test('ASL: a state nothing transitions to is MISSING_TRANSITION_TARGET "State … is not reachable."', () => {
  const d = check({ StartAt: 'A', States: { A: { Type: 'Pass', End: true }, Lost: { Type: 'Pass', End: true } } });
  assert.equal(formatDiagnostics(d), `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State "Lost" is not reachable. at /States/Lost'`);
});

test('ASL: states reached through Choices, Default and Catch count as reachable; branches are checked on their own', () => {
  assert.deepEqual(check({
    StartAt: 'C',
    States: {
      C: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'T' }], Default: 'D' },
      T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], End: true },
      D: { Type: 'Succeed' },
      F: { Type: 'Fail' },
    },
  }), []);
  const d = check({ StartAt: 'P', States: { P: { Type: 'Parallel', End: true, Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', Next: 'X' } } }] } } });
  assert.deepEqual(d.map((x) => [x.code, x.location]), [['MISSING_END_STATE', '/States/P/Branches[0]']]);
});

test('ASL: Parallel states nested 2,000 deep are refused as too deep, not a stack overflow', () => {
  // Built as text: JSON.stringify itself cannot serialise a value this deep.
  const open = '{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":['.repeat(2000);
  const close = ']}}}'.repeat(2000);
  const d = check(`${open}{"StartAt":"L","States":{"L":{"Type":"Pass","End":true}}}${close}`);
  assert.equal(d.length, 1);
  assert.equal(d[0]!.code, 'SCHEMA_VALIDATION_FAILED');
  assert.match(d[0]!.message, /nested more than 512 levels/);
  // A plausible depth still validates.
  let ok: object = { StartAt: 'L', States: { L: { Type: 'Pass', End: true } } };
  for (let i = 0; i < 20; i++) ok = { StartAt: 'P', States: { P: { Type: 'Parallel', End: true, Branches: [ok] } } };
  assert.deepEqual(check(ok), []);
});
