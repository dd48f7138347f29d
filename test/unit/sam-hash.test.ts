// Logical-id hashing: byte-for-byte Python json.dumps (sorted keys, compact, ASCII escapes) under sha1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, logicalId, pyJson, pyJsonIndent } from '../../src/services/cloudformation/sam/hash.js';

test('pyJson: sorted keys, no spaces, non-ASCII escaped as Python does', () => {
  assert.equal(pyJson({ b: 1, a: [true, null, 'é'] }), '{"a":[true,null,"\\u00e9"],"b":1}');
});

test('pyJsonIndent: the state machine definition layout (indent 4, ": " separator)', () => {
  assert.equal(pyJsonIndent({ b: [], a: { c: 1 } }), '{\n    "a": {\n        "c": 1\n    },\n    "b": []\n}');
});

test('logicalId: a string is hashed as is, empty data adds nothing, a given hash is truncated', () => {
  assert.equal(logicalId('P'), 'P');
  assert.equal(logicalId('P', 'abc'), 'Pa9993e3647');
  assert.equal(logicalId('P', { x: 1 }, '0123456789abcdef'), 'P0123456789');
  assert.equal(hashOf({}), '');
});
