// Unit: DynamoDB condition/filter expressions: DynamoDB's exact ValidationException messages and evaluation on items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, checkUnused, type AttributeValue, type Item } from '../../src/services/dynamodb/expr/index.js';
import { AwsError } from '../../src/lib/errors.js';

const values: Record<string, AttributeValue> = {
  ':s': { S: 'abc' }, ':a': { S: 'a' }, ':z': { S: 'z' }, ':n': { N: '5' }, ':n1': { N: '1' }, ':n10': { N: '10' },
  ':b': { B: 'AQI=' }, ':bool': { BOOL: true }, ':null': { NULL: true }, ':l': { L: [{ S: 'x' }] }, ':ss': { SS: ['a'] },
  ':tS': { S: 'S' }, ':tN': { S: 'N' }, ':tFOO': { S: 'FOO' }, ':five': { N: '5.0' },
};
const names = { '#a': 'a', '#st': 'status', '#dot': 'x.y' };

/** The message of the ValidationException a compile throws (fails the test when it does not throw). */
function msg(text: string, kind: 'ConditionExpression' | 'FilterExpression' = 'ConditionExpression', input = { names, values }): string {
  try {
    compileCondition(text, input, kind);
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, 'ValidationException');
    assert.equal(e.status, 400);
    return e.message;
  }
  assert.fail(`${text} compiled`);
}

const test1 = (text: string, item: Item | undefined) => compileCondition(text, { names, values }, 'ConditionExpression').test(item);

test('syntax errors name the token and the text around it as DynamoDB does', () => {
  assert.equal(msg('foo'), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"');
  assert.equal(msg('contains (themes, :s', 'FilterExpression'), 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: ":s"');
  assert.equal(msg('attribute_not_exists('), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("');
  assert.equal(msg('a = :s AND'), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"');
  assert.equal(msg('a == :s'), 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :s"');
  assert.equal(msg('a = :s b = :s'), 'Invalid ConditionExpression: Syntax error; token: "b", near: ":s b ="');
  assert.equal(msg('a ! :s'), 'Invalid ConditionExpression: Syntax error; token: "!", near: "a ! :s"');
  assert.equal(msg('a BETWEEN :n1 :n10'), 'Invalid ConditionExpression: Syntax error; token: ":n10", near: ":n1 :n10"');
  assert.equal(msg('a IN :s'), 'Invalid ConditionExpression: Syntax error; token: ":s", near: "IN :s"');
  assert.equal(msg('a[x] = :s'), 'Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"');
  assert.equal(msg('a.1 = :s'), 'Invalid ConditionExpression: Syntax error; token: "1", near: ".1 ="');
});

test('an empty or blank expression is refused', () => {
  assert.equal(msg(''), 'Invalid ConditionExpression: The expression can not be empty;');
  assert.equal(msg('   ', 'FilterExpression'), 'Invalid FilterExpression: The expression can not be empty;');
});

test('reserved words are refused as bare names but allowed through #placeholders', () => {
  assert.equal(msg('status = :s'), 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status');
  assert.equal(msg('a.Name = :s'), 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name');
  assert.equal(msg('attribute_exists(data)'), 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: data');
  assert.equal(test1('#st = :s', { status: { S: 'abc' } }), true);
});

test('undefined placeholders are named', () => {
  assert.equal(msg('#nope = :s'), 'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope');
  assert.equal(msg('a = :nope'), 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope');
  assert.equal(msg('a = :nope', 'FilterExpression', { names, values: undefined as never }), 'Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :nope');
});

test('function names, operand counts and operand types are checked', () => {
  assert.equal(msg('foo(a)'), 'Invalid ConditionExpression: Invalid function name; function: foo');
  assert.equal(msg('attribute_exists(a, b)'), 'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2');
  assert.equal(msg('attribute_exists(:s)'), 'Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists');
  assert.equal(msg('begins_with(a, :n)'), 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
  assert.equal(msg('attribute_type(a, :n)'), 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N');
  assert.equal(msg('attribute_type(a, :tFOO)'), 'Invalid ConditionExpression: Invalid attribute type name found; type: FOO, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}');
  assert.equal(msg('size(:n) > :n'), 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N');
  assert.equal(msg('size(a)'), 'Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size');
  assert.equal(msg('attribute_exists(a) = :s'), 'Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists');
  assert.equal(msg('begins_with(attribute_exists(a), :s)'), 'Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists');
});

test('operands must differ, BETWEEN bounds must agree and be ordered, parentheses must not be redundant', () => {
  assert.equal(msg('a.b = a.b'), 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b]');
  assert.equal(msg('contains(a, a)'), 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]');
  assert.equal(msg('a BETWEEN :n AND :s'), 'Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:abc}');
  assert.equal(msg('a BETWEEN :n10 AND :n1'), 'Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}');
  assert.equal(msg('((a = :s))'), 'Invalid ConditionExpression: The expression has redundant parentheses;');
  assert.equal(test1('(a = :s) AND (NOT (b = :s))', { a: { S: 'abc' } }), true);
});

test('one pair of parentheses may wrap an operand; two are redundant', () => {
  assert.equal(test1('(a) = :s', { a: { S: 'abc' } }), true);
  assert.equal(test1('a = (:s) AND (size(a)) > :n1', { a: { S: 'abc' } }), true);
  assert.equal(test1('(a) IN ((:s))', { a: { S: 'abc' } }), true);
  assert.equal(test1('((a) BETWEEN :a AND :z)', { a: { S: 'abc' } }), true);
  assert.equal(msg('((a)) = :s'), 'Invalid ConditionExpression: The expression has redundant parentheses;');
  assert.equal(msg('(a = :s'), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":s"');
});

test('IN takes at most 100 operands and an expression at most 300 operators', () => {
  const many: Record<string, AttributeValue> = {};
  for (let i = 0; i < 101; i++) many[`:v${i}`] = { N: String(i) };
  const list = Object.keys(many);
  assert.equal(compileCondition(`a IN (${list.slice(0, 100).join(', ')})`, { values: many }, 'FilterExpression').test({ a: { N: '99' } }), true);
  assert.equal(msg(`a IN (${list.join(', ')})`, 'FilterExpression', { names, values: many }), 'Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101');
  const ors = Array.from({ length: 151 }, (_, i) => `a = :v${i % 100}`).join(' OR ');
  assert.equal(msg(ors, 'FilterExpression', { names, values: many }), 'Invalid FilterExpression: The expression contains too many operators; operator count: 301');
});

test('comparisons: numbers by value, strings by bytes, different types are false', () => {
  const item: Item = { n: { N: '5.00' }, s: { S: 'abc' }, b: { B: 'AQI=' } };
  assert.equal(test1('n = :n', item), true);
  assert.equal(test1('n = :five', item), true);
  assert.equal(test1('n <> :n', item), false);
  assert.equal(test1('n < :n10 AND n > :n1 AND n <= :n AND n >= :n', item), true);
  assert.equal(test1('s > :a AND s < :z', item), true);
  assert.equal(test1('n = :s', item), false);
  assert.equal(test1('n < :s', item), false);
  assert.equal(test1('n <> :s', item), true);
  assert.equal(test1('gone <> :s', item), true);
  assert.equal(test1('gone = :s', item), false);
  assert.equal(test1('b = :b', item), true);
  assert.equal(test1('n BETWEEN :n1 AND :n10', item), true);
  assert.equal(test1('n BETWEEN :a AND :z', item), false);
  assert.equal(test1('s IN (:n, :s)', item), true);
  assert.equal(test1('s IN (:n, :a)', item), false);
});

test('precedence: NOT binds tighter than AND, AND tighter than OR', () => {
  const item: Item = { a: { S: 'abc' } };
  // true OR (false AND false)
  assert.equal(test1('a = :s OR a = :a AND a = :z', item), true);
  // (false AND false) OR true
  assert.equal(test1('a = :a AND a = :z OR a = :s', item), true);
  // NOT false AND false → false
  assert.equal(test1('NOT a = :a AND a = :z', item), false);
  assert.equal(test1('NOT (a = :a AND a = :z)', item), true);
  assert.equal(test1('not a = :a and a = :s', item), true);
});

test('functions evaluate on nested document paths', () => {
  const item: Item = {
    a: { M: { b: { L: [{ S: 'x' }, { M: { c: { S: 'hello' } } }] } } },
    tags: { SS: ['a', 'b'] }, nums: { NS: ['1', '2'] }, lst: { L: [{ S: 'x' }, { N: '1' }] }, 'x.y': { S: 'dotted' },
  };
  assert.equal(test1('attribute_exists(a.b[1].c)', item), true);
  assert.equal(test1('attribute_exists(a.b[2].c)', item), false);
  assert.equal(test1('attribute_not_exists(a.b[0].c)', item), true);
  assert.equal(test1('begins_with(a.b[1].c, :s)', { a: { M: { b: { L: [{ S: 'x' }, { M: { c: { S: 'abcdef' } } }] } } } }), true);
  assert.equal(test1('contains(tags, :a)', item), true);
  assert.equal(test1('contains(nums, :n1)', item), true);
  assert.equal(test1('contains(lst, :n1)', item), true);
  assert.equal(test1('contains(a.b[1].c, :s)', item), false);
  assert.equal(test1('attribute_type(tags, :tS)', item), false);
  assert.equal(test1('attribute_type(a.b[1].c, :tS)', item), true);
  assert.equal(test1('attribute_exists(#dot)', item), true);
  assert.equal(test1('attribute_exists(x.y)', item), false);
});

test('size() counts string units, bytes, and members of sets, lists and maps', () => {
  const item: Item = { s: { S: 'é𝄞' }, b: { B: 'AQID' }, ss: { SS: ['a', 'b', 'c', 'd', 'e'] }, l: { L: [] }, m: { M: { k: { NULL: true } } }, n: { N: '1' } };
  const sized = (path: string, n: number) => compileCondition(`size(${path}) = :v`, { values: { ':v': { N: String(n) } } }, 'FilterExpression').test(item);
  assert.equal(sized('s', 3), true);
  assert.equal(sized('b', 3), true);
  assert.equal(sized('ss', 5), true);
  assert.equal(sized('l', 0), true);
  assert.equal(sized('m', 1), true);
  assert.equal(sized('n', 1), false);
  assert.equal(sized('gone', 0), false);
});

test('a condition on a missing item sees no attributes', () => {
  assert.equal(test1('attribute_not_exists(a)', undefined), true);
  assert.equal(test1('a = :s', undefined), false);
});

test('compiled conditions report the placeholders they use, and unused ones are refused', () => {
  const c = compileCondition('#a = :s AND b = :n', { names, values }, 'ConditionExpression');
  assert.deepEqual([...c.names], ['#a']);
  assert.deepEqual([...c.values].sort(), [':n', ':s']);
  const input = { names: { '#a': 'a', '#b': 'b' }, values: { ':s': values[':s']!, ':n': values[':n']!, ':x': values[':n']! } };
  assert.throws(() => checkUnused(input, [c]), { message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}' });
  const d = compileCondition('#a = :s AND #b = :n', input, 'ConditionExpression');
  assert.throws(() => checkUnused(input, [d]), { message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}' });
  const e = compileCondition('a = :x', input, 'FilterExpression');
  assert.doesNotThrow(() => checkUnused(input, [d, e]));
});
