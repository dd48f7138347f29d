// Unit: AWS's event filter patterns (FilterCriteria): validation and matching of every matcher type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, parsePattern, PatternError } from '../../src/lib/event-pattern.js';

const m = (pattern: unknown, event: unknown) => matches(parsePattern(JSON.stringify(pattern)), event as never);

test('Filters: exact values, nested objects and arrays in the event', () => {
  assert.equal(m({ body: { kind: ['order'] } }, { body: { kind: 'order' } }), true);
  assert.equal(m({ body: { kind: ['order'] } }, { body: { kind: 'refund' } }), false);
  assert.equal(m({ body: { kind: ['order'] } }, { body: {} }), false);
  assert.equal(m({ body: { n: [5] } }, { body: { n: 5 } }), true);
  assert.equal(m({ body: { ok: [true], v: [null] } }, { body: { ok: true, v: null } }), true);
  assert.equal(m({ body: { tags: ['a'] } }, { body: { tags: ['x', 'a'] } }), true, 'any element of an array value');
  assert.equal(m({ a: ['x'], b: ['y'] }, { a: 'x', b: 'z' }), false, 'all fields must match');
});

test('Filters: prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr, $or', () => {
  assert.equal(m({ s: [{ prefix: 'ord' }] }, { s: 'order' }), true);
  assert.equal(m({ s: [{ prefix: { 'equals-ignore-case': 'ORD' } }] }, { s: 'order' }), true);
  assert.equal(m({ s: [{ suffix: '.png' }] }, { s: 'a.png' }), true);
  assert.equal(m({ s: [{ suffix: '.png' }] }, { s: 'a.jpg' }), false);
  assert.equal(m({ s: [{ 'equals-ignore-case': 'HeLLo' }] }, { s: 'hello' }), true);
  assert.equal(m({ s: [{ wildcard: 'dir/*.png' }] }, { s: 'dir/x/y.png' }), true);
  assert.equal(m({ s: [{ wildcard: 'dir/*.png' }] }, { s: 'other/y.png' }), false);
  assert.equal(m({ s: [{ 'anything-but': ['a', 'b'] }] }, { s: 'c' }), true);
  assert.equal(m({ s: [{ 'anything-but': 'a' }] }, { s: 'a' }), false);
  assert.equal(m({ s: [{ 'anything-but': { prefix: 'tmp' } }] }, { s: 'tmp1' }), false);
  assert.equal(m({ n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 }), true);
  assert.equal(m({ n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 6 }), false);
  assert.equal(m({ n: [{ numeric: ['=', 3] }] }, { n: '3' }), false, 'numeric needs a number');
  assert.equal(m({ x: [{ exists: true }] }, { x: 1 }), true);
  assert.equal(m({ x: [{ exists: true }] }, {}), false);
  assert.equal(m({ x: [{ exists: false }] }, {}), true);
  assert.equal(m({ x: [{ exists: false }] }, { x: 'v' }), false);
  assert.equal(m({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.77' }), true);
  assert.equal(m({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.1' }), false);
  assert.equal(m({ $or: [{ a: ['1'] }, { b: ['2'] }] }, { b: '2' }), true);
  assert.equal(m({ $or: [{ a: ['1'] }, { b: ['2'] }] }, { a: '2' }), false);
});

test('Filters: invalid patterns are rejected with a reason', () => {
  for (const bad of ['not json', '[]', '{"a":"x"}', '{"a":[]}', '{"a":[{"numeric":[">"]}]}', '{"a":[{"numeric":["~",1]}]}', '{"a":[{"bogus":1}]}', '{"a":[{"prefix":1}]}', '{"a":[{"exists":"yes"}]}', '{"a":[{"cidr":"10.0.0.0/40"}]}', '{"$or":[{"a":["x"]}]}', '{"a":[[1]]}']) {
    assert.throws(() => parsePattern(bad), PatternError, bad);
  }
});
