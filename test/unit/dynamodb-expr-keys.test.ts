// Unit: DynamoDB projection and key condition expressions: DynamoDB's messages, projected shapes and key conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileKeyCondition, compileProjection, type AttributeValue, type Item } from '../../src/services/dynamodb/expr/index.js';
import { AwsError } from '../../src/lib/errors.js';

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, 'ValidationException');
    return e.message;
  }
  assert.fail('did not throw');
}

const names = { '#st': 'status', '#n': 'name', '#pk': 'pk' };
const proj = (text: string) => thrown(() => compileProjection(text, names));

test('projection syntax errors and path checks use DynamoDB messages', () => {
  assert.equal(proj('a,'), 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","');
  assert.equal(proj('a b'), 'Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"');
  assert.equal(proj('!!'), 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"');
  assert.equal(proj('a, :v'), 'Invalid ProjectionExpression: Syntax error; token: ":v", near: ", :v"');
  assert.equal(proj(''), 'Invalid ProjectionExpression: The expression can not be empty;');
  assert.equal(proj('status'), 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status');
  assert.equal(proj('#x'), 'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x');
  assert.equal(proj('a, a'), 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
  assert.equal(proj('a.b, a'), 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]');
  assert.equal(proj('a[1], a.b'), 'Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]');
});

test('projection keeps the selected attributes, nested map keys and list elements in index order', () => {
  const item: Item = {
    a: { S: 'a' }, status: { S: 'on' }, skip: { S: 'no' },
    m: { M: { x: { N: '1' }, y: { N: '2' }, deep: { M: { k: { BOOL: true }, j: { NULL: true } } } } },
    l: { L: [{ S: 'l0' }, { S: 'l1' }, { M: { q: { S: 'q' }, r: { S: 'r' } } }, { S: 'l3' }] },
  };
  const p = compileProjection('a, #st, m.x, m.deep.k, l[3], l[0], l[2].r, l[9], nope, m.nope, skip.b', names);
  assert.deepEqual(p.project(item), {
    a: { S: 'a' }, status: { S: 'on' },
    m: { M: { x: { N: '1' }, deep: { M: { k: { BOOL: true } } } } },
    l: { L: [{ S: 'l0' }, { M: { r: { S: 'r' } } }, { S: 'l3' }] },
  });
  assert.deepEqual([...p.names], ['#st']);
  assert.deepEqual(compileProjection('zz, l[7]', names).project(item), {});
});

test('the projected item is a copy', () => {
  const item: Item = { m: { M: { x: { L: [{ S: 'v' }] } } } };
  const out = compileProjection('m', names).project(item);
  (out.m as { M: Record<string, AttributeValue> }).M.x = { S: 'changed' };
  assert.deepEqual(item.m, { M: { x: { L: [{ S: 'v' }] } } });
});

const values: Record<string, AttributeValue> = { ':h': { S: 'h' }, ':r': { S: 'r' }, ':r2': { S: 's' }, ':n': { N: '1' } };
const key = { hash: 'pk', range: 'sk' };
const kc = (text: string, k: { hash: string; range?: string } = key) => thrown(() => compileKeyCondition(text, { names, values }, k));

test('key conditions give the hash value and at most one range condition', () => {
  const only = compileKeyCondition('pk = :h', { values }, key);
  assert.deepEqual(only.hash, { S: 'h' });
  assert.equal(only.range, undefined);
  const cases: [string, string, AttributeValue[]][] = [
    ['pk = :h AND sk = :r', '=', [{ S: 'r' }]],
    ['pk = :h AND sk < :r', '<', [{ S: 'r' }]],
    ['pk = :h AND sk <= :r', '<=', [{ S: 'r' }]],
    ['sk > :r AND pk = :h', '>', [{ S: 'r' }]],
    ['pk = :h and sk >= :r', '>=', [{ S: 'r' }]],
    [':r > sk AND :h = pk', '<', [{ S: 'r' }]],
    ['pk = :h AND sk BETWEEN :r AND :r2', 'BETWEEN', [{ S: 'r' }, { S: 's' }]],
    ['(#pk = :h) AND (begins_with(sk, :r))', 'begins_with', [{ S: 'r' }]],
  ];
  for (const [text, op, vals] of cases) {
    const k = compileKeyCondition(text, { names, values }, key);
    assert.deepEqual(k.hash, { S: 'h' }, text);
    assert.deepEqual(k.range, { op, values: vals }, text);
  }
  assert.deepEqual([...compileKeyCondition('#pk = :h', { names, values }, key).names], ['#pk']);
});

test('key conditions refuse other operators with DynamoDB messages', () => {
  assert.equal(kc('pk = :h OR sk = :r'), 'Invalid operator used in KeyConditionExpression: OR');
  assert.equal(kc('NOT pk = :h'), 'Invalid operator used in KeyConditionExpression: NOT');
  assert.equal(kc('pk IN (:h)'), 'Invalid operator used in KeyConditionExpression: IN');
  assert.equal(kc('pk <> :h'), 'Invalid operator used in KeyConditionExpression: <>');
  assert.equal(kc('pk = :h AND attribute_exists(sk)'), 'Invalid operator used in KeyConditionExpression: attribute_exists');
  assert.equal(kc('pk = :h AND contains(sk, :r)'), 'Invalid operator used in KeyConditionExpression: contains');
  assert.equal(kc('size(pk) = :n'), 'KeyConditionExpressions cannot contain nested operations');
  assert.equal(kc('pk = sk'), 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
  assert.equal(kc('pk.a = :h'), 'KeyConditionExpressions cannot have conditions on nested attributes');
  assert.equal(kc(':h = :r'), 'Invalid condition in KeyConditionExpression: No key attribute specified');
  assert.equal(kc('pk = :h AND pk = :h'), 'KeyConditionExpressions must only contain one condition per key');
  assert.equal(kc(':h BETWEEN sk AND :r'), 'Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand');
  assert.equal(kc('begins_with(:h, sk)'), 'Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand');
});

test('key conditions must name the table key and only it', () => {
  assert.equal(kc('sk = :r'), 'Query condition missed key schema element: pk');
  assert.equal(kc('pk = :h AND xattr = :r'), 'Query condition missed key schema element: sk');
  assert.equal(kc('pk = :h AND xattr = :r', { hash: 'pk' }), 'Query key condition not supported');
  assert.equal(kc('pk > :h'), 'Query key condition not supported');
  assert.equal(kc('begins_with(pk, :h)'), 'Query key condition not supported');
});

test('key conditions share the condition grammar errors', () => {
  assert.equal(kc('pk = :h AND'), 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"');
  assert.equal(kc('pk = :nope'), 'Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope');
  assert.equal(kc('name = :h', { hash: 'name' }), 'Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: name');
  assert.equal(kc(''), 'Invalid KeyConditionExpression: The expression can not be empty;');
});

test('no expression text crashes a parser: every refusal is a ValidationException', async () => {
  const { compileCondition, compileUpdate } = await import('../../src/services/dynamodb/expr/index.js');
  const toks = ['a', 'b', '#pk', '#x', ':h', ':n', ':x', '(', ')', '[', ']', '0', '.', ',', '=', '<>', '<', '+', '-', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN',
    'SET', 'REMOVE', 'ADD', 'DELETE', 'size', 'contains', 'begins_with', 'if_not_exists', 'list_append', '!', ':', '#', '"'];
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const items: Item[] = [{}, { a: { N: '1' }, b: { L: [{ M: { c: { S: 'x' } } }] } }, { a: { S: 'x' }, b: { M: {} } }];
  const input = { names, values };
  let compiled = 0;
  for (let i = 0; i < 3000; i++) {
    let text = '';
    for (let j = 0, n = 1 + rnd(8); j < n; j++) text += toks[rnd(toks.length)]! + (rnd(2) ? ' ' : '');
    const tries: (() => void)[] = [
      () => items.forEach((it) => compileCondition(text, input, 'FilterExpression').test(it)),
      () => {
        const u = compileUpdate(text, input);
        for (const it of items) {
          try {
            u.apply(it);
          } catch (e) {
            assert.ok(e instanceof AwsError && e.code === 'ValidationException', `${text}: ${String(e)}`);
          }
        }
      },
      () => items.forEach((it) => compileProjection(text, names).project(it)),
      () => compileKeyCondition(text, input, key),
    ];
    for (const t of tries) {
      try {
        t();
        compiled++;
      } catch (e) {
        assert.ok(e instanceof AwsError && e.code === 'ValidationException' && e.status === 400, `${text}: ${String(e)}`);
      }
    }
  }
  assert.ok(compiled > 0, 'some random expressions are valid');
});
