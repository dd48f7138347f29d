// Unit: EventBridge target input: Input, InputPath, and InputTransformer with AWS's quoted and unquoted
// placeholders and reserved variables, and the checks PutTargets applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputProblem, targetInput, transform, valueAt } from '../../src/lib/event-input.js';

const event = {
  version: '0', id: 'e-1', 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', account: '123456789012',
  time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1'],
  detail: { 'instance-id': 'i-1', state: 'running', n: 3, tags: { a: 'b' }, list: [1, 2] },
};
const ctx = { ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r', ruleName: 'r', ingestionTime: Date.parse('2026-01-01T00:00:01.500Z') };
const paths = { instance: '$.detail.instance-id', state: '$.detail.state', n: '$.detail.n', tags: '$.detail.tags', first: '$.resources[0]' };

test('Event input: InputPath picks a value of the event in dot notation, array indexes included', () => {
  assert.equal(valueAt(event, '$'), event);
  assert.equal(valueAt(event, '$.detail.instance-id'), 'i-1');
  assert.equal(valueAt(event, '$.resources[0]'), 'arn:aws:ec2:us-east-1:123456789012:instance/i-1');
  assert.equal(valueAt(event, '$.detail.missing.deeper'), undefined);
  assert.equal(targetInput({ InputPath: '$.detail.tags' }, event), '{"a":"b"}');
  assert.equal(targetInput({ Input: '{"fixed":1}' }, event), '{"fixed":1}');
  assert.equal(targetInput({}, event), JSON.stringify(event));
});

test('Event input: unquoted placeholders in a JSON template insert JSON values; quoted ones insert text', () => {
  const t = { InputPathsMap: paths, InputTemplate: '{"instance": <instance>, "n": <n>, "tags": <tags>, "msg": "<instance> is <state> (<n>)"}' };
  assert.deepEqual(JSON.parse(transform(t, event, ctx)), { instance: 'i-1', n: 3, tags: { a: 'b' }, msg: 'i-1 is running (3)' });
  const s = { InputPathsMap: paths, InputTemplate: '"instance <instance> is in <state>"' };
  assert.equal(transform(s, event, ctx), '"instance i-1 is in running"');
});

test('Event input: a quoted object placeholder stays valid JSON; a missing path is null unquoted and empty quoted', () => {
  const t = { InputPathsMap: { tags: '$.detail.tags', gone: '$.detail.gone' }, InputTemplate: '{"t": "<tags>", "g": <gone>, "h": "<gone>"}' };
  assert.deepEqual(JSON.parse(transform(t, event, ctx)), { t: '{"a":"b"}', g: null, h: '' });
});

test('Event input: plain text templates insert strings as they are', () => {
  const t = { InputPathsMap: paths, InputTemplate: 'Instance <instance> is now <state>, first resource <first>' };
  assert.equal(transform(t, event, ctx), 'Instance i-1 is now running, first resource arn:aws:ec2:us-east-1:123456789012:instance/i-1');
});

test('Event input: the reserved variables give the rule, the ingestion time and the whole event', () => {
  const t = { InputTemplate: '{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", "at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, "text": "<aws.events.event.json>"}' };
  const out = JSON.parse(transform(t, event, ctx));
  assert.equal(out.rule, 'r');
  assert.equal(out.arn, ctx.ruleArn);
  assert.equal(out.at, '2026-01-01T00:00:01Z');
  assert.deepEqual(out.event, event);
  assert.deepEqual(JSON.parse(out.text), event);
});

test('Event input: an unknown placeholder is left as written', () => {
  assert.equal(transform({ InputPathsMap: paths, InputTemplate: 'a <unknown> b <state>' }, event, ctx), 'a <unknown> b running');
});

test('Event input: PutTargets refuses two input kinds, bad JSON, bad paths, reserved keys, more than 100 paths and templates that are not JSON', () => {
  assert.equal(inputProblem('t', { Input: '{}', InputPath: '$' }, 'targets.1.member'), 'Only one of Input, InputPath, or InputTransformer must be provided.');
  assert.equal(inputProblem('t', { Input: '{' }, 'targets.1.member'), 'Target t: Input is not valid JSON text.');
  assert.equal(inputProblem('t', { InputPath: 'detail' }, 'targets.1.member'), 'Target t: InputPath is not a valid JSONPath.');
  assert.match(inputProblem('t', { InputTransformer: { InputPathsMap: { x: 'detail' }, InputTemplate: '<x>' } }, 'f') ?? '', /InputPath for key x is an invalid JSONPath/);
  assert.match(inputProblem('t', { InputTransformer: { InputPathsMap: { 'aws.x': '$' }, InputTemplate: '<x>' } }, 'f') ?? '', /reserved/);
  const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.detail']));
  assert.match(inputProblem('t', { InputTransformer: { InputPathsMap: many, InputTemplate: 'x' } }, 'targets.1.member') ?? '', /inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100/);
  assert.match(inputProblem('t', { InputTransformer: { InputPathsMap: { a: '$' }, InputTemplate: '{"a": <a>' } }, 'f') ?? '', /^Invalid InputTemplate for target t : /);
  assert.equal(inputProblem('t', { InputTransformer: { InputPathsMap: { a: '$.detail' }, InputTemplate: '{"a": <a>, "b": "<a>"}' } }, 'f'), undefined);
  assert.equal(inputProblem('t', { InputTransformer: { InputPathsMap: { a: '$.detail' }, InputTemplate: 'text <a>' } }, 'f'), undefined);
});
