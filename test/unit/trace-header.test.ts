// Unit: the X-Ray trace header and the Lineage count recursive loop detection keeps in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceHeader, lineageHash, nextInvocationHeader, parseTraceHeader } from '../../src/lib/trace-header.js';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:f';

test('Trace header: parses Root, Parent, Sampled and Lineage, keeps other fields, and formats back to the same text', () => {
  const raw = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=3:a87bd80c:7;Self=1-abc`;
  const t = parseTraceHeader(raw)!;
  assert.equal(t.root, ROOT);
  assert.equal(t.parent, '53995c3f42cd8ad8');
  assert.equal(t.sampled, '1');
  assert.deepEqual(t.lineage, { requests: 3, hash: 'a87bd80c', loops: 7 });
  assert.deepEqual(t.rest, [['Self', '1-abc']]);
  assert.equal(formatTraceHeader(t), raw);
});

test('Trace header: without a valid Root there is no trace (a new chain starts)', () => {
  assert.equal(parseTraceHeader(undefined), undefined);
  assert.equal(parseTraceHeader('Parent=53995c3f42cd8ad8;Lineage=1:a87bd80c:15'), undefined);
  assert.equal(parseTraceHeader('Root=1-nothex-123;Lineage=1:a87bd80c:15'), undefined);
  const next = nextInvocationHeader('Root=garbage;Lineage=1:a87bd80c:15', FN, Date.UTC(2026, 0, 1));
  assert.equal(next.loops, 0);
  assert.match(next.header, /^Root=1-695[0-9a-f]{5}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=1:[0-9a-f]{8}:0$/);
});

test('Trace header: an invocation keeps the trace, takes a new Parent, and counts one more loop under its function’s hash', () => {
  const next = nextInvocationHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=2:a87bd80c:4`, FN, 0);
  const t = parseTraceHeader(next.header)!;
  assert.equal(next.loops, 5);
  assert.equal(t.root, ROOT);
  assert.notEqual(t.parent, '53995c3f42cd8ad8');
  assert.equal(t.sampled, '1');
  assert.deepEqual(t.lineage, { requests: 2, hash: lineageHash(FN), loops: 5 });
  // A malformed Lineage counts as none: the chain starts at this invocation.
  assert.equal(nextInvocationHeader(`Root=${ROOT};Lineage=x:y:z`, FN, 0).loops, 0);
});
