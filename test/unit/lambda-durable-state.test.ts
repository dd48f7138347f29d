// The deterministic core of durable executions (services/lambda/durable/state.ts): checkpointed updates, timers,
// callbacks and replay visibility, as pure functions of the operations and the time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdates, completeCallback, fireTimers, nextDue, visibleOperations } from '../../src/services/lambda/durable/state.js';
import { readCallbackId, type StoredOperation } from '../../src/services/lambda/durable/model.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST/durable-execution/n/1';
const T0 = 1_000_000;
const exec: StoredOperation = { Id: 'e', Type: 'EXECUTION', Status: 'STARTED', StartTimestamp: T0 };
const map = (...ops: StoredOperation[]): Map<string, StoredOperation> => new Map(ops.map((o) => [o.Id, o]));

test('Durable state: a step retried is PENDING until its delay passes, then READY; its attempts count', () => {
  const c1 = applyUpdates(ARN, map(exec), [{ Id: 's', Type: 'STEP', Action: 'RETRY', Error: { ErrorMessage: 'boom' }, StepOptions: { NextAttemptDelaySeconds: 5 } }], T0);
  const s = c1.ops[0]!;
  assert.equal(s.Status, 'PENDING');
  assert.equal(s.StepDetails?.Attempt, 1);
  assert.equal(s.StepDetails?.NextAttemptTimestamp, T0 + 5000);
  assert.equal(nextDue([s]), T0 + 5000);
  assert.equal(fireTimers([s], T0 + 4999).ops.length, 0);
  const ready = fireTimers([s], T0 + 5000).ops[0]!;
  assert.equal(ready.Status, 'READY');
  const done = applyUpdates(ARN, map(exec, ready), [{ Id: 's', Type: 'STEP', Action: 'SUCCEED', Payload: '42' }], T0 + 6000).ops[0]!;
  assert.equal(done.Status, 'SUCCEEDED');
  assert.equal(done.StepDetails?.Attempt, 2);
  assert.equal(done.StepDetails?.Result, '42');
  assert.equal(nextDue([done]), undefined);
});

test('Durable state: a wait ends at its scheduled time and writes WaitStarted then WaitSucceeded', () => {
  const c = applyUpdates(ARN, map(exec), [{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 3600 } }], T0);
  const w = c.ops[0]!;
  assert.equal(w.WaitDetails?.ScheduledEndTimestamp, T0 + 3_600_000);
  assert.deepEqual(c.events.map((e) => e.EventType), ['WaitStarted']);
  assert.equal(fireTimers([w], T0 + 3_599_999).ops.length, 0);
  const fired = fireTimers([w], T0 + 3_600_000);
  assert.equal(fired.ops[0]?.Status, 'SUCCEEDED');
  assert.deepEqual(fired.events.map((e) => e.EventType), ['WaitSucceeded']);
  // The SDK re-sending the same START (a retried checkpoint) changes nothing.
  assert.equal(applyUpdates(ARN, map(exec, w), [{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 1 } }], T0 + 10).ops.length, 0);
});

test('Durable state: a callback gets an id naming its execution and operation; it completes from outside or times out', () => {
  const c = applyUpdates(ARN, map(exec), [{ Id: 'cb', Type: 'CALLBACK', Action: 'START', CallbackOptions: { TimeoutSeconds: 60 } }], T0);
  const cb = c.ops[0]!;
  assert.deepEqual(readCallbackId(cb.CallbackDetails!.CallbackId!), { arn: ARN, opId: 'cb' });
  assert.equal(nextDue([cb]), T0 + 60_000);
  const ok = completeCallback(cb, { result: 'yes' }, T0 + 1);
  assert.equal(ok.ops[0]?.Status, 'SUCCEEDED');
  assert.equal(ok.ops[0]?.CallbackDetails?.Result, 'yes');
  const late = fireTimers([cb], T0 + 60_000).ops[0]!;
  assert.equal(late.Status, 'TIMED_OUT');
  assert.equal(fireTimers([ok.ops[0]!], T0 + 60_000).ops.length, 0, 'a completed callback never times out');
});

test('Durable state: an update of an unknown parent or of another type is refused; EXECUTION SUCCEED is a completion', () => {
  assert.throws(() => applyUpdates(ARN, map(exec), [{ Id: 's', ParentId: 'nope', Type: 'STEP', Action: 'START' }], T0), /Parent operation nope/);
  const s: StoredOperation = { Id: 's', Type: 'STEP', Status: 'STARTED', StartTimestamp: T0 };
  assert.throws(() => applyUpdates(ARN, map(exec, s), [{ Id: 's', Type: 'WAIT', Action: 'START' }], T0), /is a STEP/);
  const c = applyUpdates(ARN, map(exec), [{ Id: 'e', Type: 'EXECUTION', Action: 'SUCCEED', Payload: '"big"' }], T0);
  assert.deepEqual(c.completion, { status: 'SUCCEEDED', result: '"big"' });
});

test('Durable state: children of a completed context that does not replay them are left out of the replay', () => {
  const ctx: StoredOperation = { Id: 'c', Type: 'CONTEXT', Status: 'SUCCEEDED', StartTimestamp: T0, ContextDetails: { Result: '1' } };
  const child: StoredOperation = { Id: 'k', ParentId: 'c', Type: 'STEP', Status: 'SUCCEEDED', StartTimestamp: T0 };
  const grandchild: StoredOperation = { Id: 'g', ParentId: 'k', Type: 'STEP', Status: 'SUCCEEDED', StartTimestamp: T0 };
  assert.deepEqual(visibleOperations([exec, ctx, child]).map((o) => o.Id), ['e', 'c']);
  const replaying: StoredOperation = { ...ctx, ContextDetails: { ReplayChildren: true } };
  assert.deepEqual(visibleOperations([exec, replaying, child, grandchild]).map((o) => o.Id), ['e', 'c', 'k', 'g']);
  const running: StoredOperation = { ...ctx, Status: 'STARTED' };
  assert.deepEqual(visibleOperations([exec, running, child]).map((o) => o.Id), ['e', 'c', 'k']);
});
