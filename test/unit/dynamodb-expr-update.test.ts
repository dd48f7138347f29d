// Unit: DynamoDB update expressions: parse errors with DynamoDB's exact messages, and SET/REMOVE/ADD/DELETE applied to items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUpdate, type AttributeValue, type Item } from '../../src/services/dynamodb/expr/index.js';
import { AwsError } from '../../src/lib/errors.js';

const values: Record<string, AttributeValue> = {
  ':s': { S: 'x' }, ':n': { N: '1' }, ':big': { N: '12345678901234567890123456789012345678' }, ':tenth': { N: '0.1' },
  ':l': { L: [{ S: 'z' }] }, ':ss': { SS: ['b', 'c'] }, ':ns': { NS: ['2', '3'] }, ':bs': { BS: ['AQ=='] }, ':m': { M: {} },
  ':bool': { BOOL: false }, ':neg': { N: '-2.5' },
};
const names = { '#st': 'status', '#a': 'a' };

function msg(text: string, input: { names?: Record<string, string>; values?: Record<string, AttributeValue> } = { names, values }): string {
  try {
    compileUpdate(text, input);
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, 'ValidationException');
    return e.message;
  }
  assert.fail(`${text} compiled`);
}

/** The message apply() throws on item. */
function applyMsg(text: string, item: Item): string {
  const u = compileUpdate(text, { names, values });
  try {
    u.apply(item);
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, 'ValidationException');
    return e.message;
  }
  assert.fail(`${text} applied`);
}

const apply = (text: string, item: Item) => compileUpdate(text, { names, values }).apply(item);

test('syntax errors name the token and the text around it as DynamoDB does', () => {
  assert.equal(msg('ADD hits : incr'), 'Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"');
  assert.equal(msg('INVALID SYNTAX HERE'), 'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"');
  assert.equal(msg('SET a = '), 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "= "');
  assert.equal(msg('SET'), 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"');
  assert.equal(msg('SET a = :s,'), 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","');
  assert.equal(msg('SET a = a +'), 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "+"');
  assert.equal(msg('SET numx = numx / :n'), 'Invalid UpdateExpression: Syntax error; token: "/", near: "numx / :n"');
  assert.equal(msg('SET a = :s, #, b = :s'), 'Invalid UpdateExpression: Syntax error; token: "#", near: ", #,"');
  assert.equal(msg('SET a :s'), 'Invalid UpdateExpression: Syntax error; token: ":s", near: "a :s"');
  assert.equal(msg('REMOVE a = :s'), 'Invalid UpdateExpression: Syntax error; token: "=", near: "a = :s"');
  assert.equal(msg('ADD a b'), 'Invalid UpdateExpression: Syntax error; token: "b", near: "a b"');
  assert.equal(msg(''), 'Invalid UpdateExpression: The expression can not be empty;');
});

test('each clause may appear once', () => {
  assert.equal(msg('SET a = :s SET b = :s'), 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;');
  assert.equal(msg('REMOVE a remove b'), 'Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;');
});

test('overlapping and conflicting document paths are refused with both paths', () => {
  assert.equal(msg('SET a = :s, a.b = :s'), 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]');
  assert.equal(msg('SET a = :s REMOVE a'), 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
  assert.equal(msg('SET lst[0].ok = :s REMOVE lst[0]'), 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [lst, [0], ok], path two: [lst, [0]]');
  assert.equal(msg('SET a[1] = :s, a.b = :s'), 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]');
  assert.doesNotThrow(() => compileUpdate('SET a.b = :s, a.c = :s REMOVE d[0], d[1]', { values }));
});

test('placeholders, reserved words, functions and operand types are checked', () => {
  assert.equal(msg('SET status = :s'), 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status');
  assert.equal(msg('SET #nope = :s'), 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #nope');
  assert.equal(msg('SET a = :nope'), 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope');
  assert.equal(msg('SET a = foo(a)'), 'Invalid UpdateExpression: Invalid function name; function: foo');
  assert.equal(msg('SET a = size(a)'), 'Invalid UpdateExpression: Invalid function name; function: size');
  assert.equal(msg('SET a = if_not_exists(:s, :s)'), 'Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists');
  assert.equal(msg('SET a = if_not_exists(a)'), 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1');
  assert.equal(msg('SET a = list_append(a, :s)'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S');
  assert.equal(msg('SET a = b + :s'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S');
  assert.equal(msg('ADD a :s'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING');
  assert.equal(msg('ADD a :l'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST');
  assert.equal(msg('DELETE a :n'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER');
  assert.equal(msg('DELETE a :m'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: MAP');
  assert.equal(msg('ADD a :bool'), 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN');
});

test('touched names the top-level attributes of every action, and uses the placeholders', () => {
  const u = compileUpdate('SET #st = :s, a.b[2] = :n REMOVE c ADD d :n DELETE e :ss', { names, values });
  assert.deepEqual([...u.touched].sort(), ['a', 'c', 'd', 'e', 'status']);
  assert.deepEqual([...u.names], ['#st']);
  assert.deepEqual([...u.values].sort(), [':n', ':s', ':ss']);
});

test('SET assigns values, arithmetic in decimals, list_append and if_not_exists', () => {
  const before: Item = { n: { N: '1.5' }, l: { L: [{ S: 'y' }] }, keep: { S: 'k' }, big: { N: '99999999999999999999999999999999999999' } };
  const after = apply('SET a = :s, n = n + :n, m = :tenth - n, l = list_append(:l, l), d = if_not_exists(d, :n), keep = if_not_exists(keep, :s)', before);
  assert.deepEqual(after, {
    a: { S: 'x' }, n: { N: '2.5' }, m: { N: '-1.4' }, l: { L: [{ S: 'z' }, { S: 'y' }] }, d: { N: '1' }, keep: { S: 'k' },
    big: { N: '99999999999999999999999999999999999999' },
  });
  assert.deepEqual(before.n, { N: '1.5' }, 'the input item is not mutated');
});

test('SET arithmetic keeps every digit (no floating point)', () => {
  assert.deepEqual(apply('SET x = x + :tenth', { x: { N: '0.2' } }).x, { N: '0.3' });
  assert.deepEqual(apply('SET x = x - :big', { x: { N: '12345678901234567890123456789012345679' } }).x, { N: '1' });
  assert.deepEqual(apply('SET x = x + :neg', { x: { N: '1' } }).x, { N: '-1.5' });
  assert.equal(applyMsg('SET x = x + :tenth', { x: { N: '12345678901234567890123456789012345678' } }), 'Attempting to store more than 38 significant digits in a Number');
});

test('SET into nested maps and lists; an index past the end appends', () => {
  const item: Item = { m: { M: { deep: { M: {} } } }, l: { L: [{ N: '0' }, { N: '1' }] } };
  const after = apply('SET m.deep.x = :s, l[1] = :s, l[9] = :n', item);
  assert.deepEqual(after.m, { M: { deep: { M: { x: { S: 'x' } } } } });
  assert.deepEqual(after.l, { L: [{ N: '0' }, { S: 'x' }, { N: '1' }] });
});

test('update errors: invalid paths, wrong operand types, missing operands', () => {
  assert.equal(applyMsg('SET m.x.y = :s', { m: { M: {} } }), 'The document path provided in the update expression is invalid for update');
  assert.equal(applyMsg('SET l[0] = :s', { l: { S: 'not a list' } }), 'The document path provided in the update expression is invalid for update');
  assert.equal(applyMsg('SET a.b = :s', {}), 'The document path provided in the update expression is invalid for update');
  assert.equal(applyMsg('SET n = n + :n', { n: { S: 'x' } }), 'An operand in the update expression has an incorrect data type');
  assert.equal(applyMsg('SET l = list_append(l, :l)', { l: { S: 'x' } }), 'An operand in the update expression has an incorrect data type');
  assert.equal(applyMsg('SET n = n + :n', {}), 'The provided expression refers to an attribute that does not exist in the item');
  assert.equal(applyMsg('SET a = b', {}), 'The provided expression refers to an attribute that does not exist in the item');
  assert.equal(applyMsg('ADD s :ss', { s: { NS: ['1'] } }), 'An operand in the update expression has an incorrect data type');
  assert.equal(applyMsg('ADD n :n', { n: { S: '1' } }), 'An operand in the update expression has an incorrect data type');
  assert.equal(applyMsg('DELETE s :ss', { s: { S: 'b' } }), 'An operand in the update expression has an incorrect data type');
});

test('REMOVE drops attributes, map keys and list elements (indexes of the item before the update)', () => {
  const item: Item = { a: { S: '1' }, m: { M: { x: { S: 'x' }, y: { S: 'y' } } }, l: { L: [{ N: '0' }, { N: '1' }, { N: '2' }, { N: '3' }] } };
  assert.deepEqual(apply('REMOVE a, m.x, l[1], l[3], l[7], gone', item), { m: { M: { y: { S: 'y' } } }, l: { L: [{ N: '0' }, { N: '2' }] } });
});

test('ADD adds to numbers and unions sets; DELETE removes set members and empty sets', () => {
  const item: Item = { n: { N: '41' }, ss: { SS: ['a', 'b'] }, ns: { NS: ['1', '2.0'] }, bs: { BS: ['AQ=='] } };
  const added = apply('ADD n :n, ss :ss, ns :ns, fresh :n, freshset :ss', item);
  assert.deepEqual(added.n, { N: '42' });
  assert.deepEqual(added.ss, { SS: ['a', 'b', 'c'] });
  assert.deepEqual(added.ns, { NS: ['1', '2.0', '3'] });
  assert.deepEqual(added.fresh, { N: '1' });
  assert.deepEqual(added.freshset, { SS: ['b', 'c'] });
  const deleted = apply('DELETE ss :ss, ns :ns, bs :bs, gone :ss', item);
  assert.deepEqual(deleted.ss, { SS: ['a'] });
  assert.deepEqual(deleted.ns, { NS: ['1'] });
  assert.equal('bs' in deleted, false);
  assert.equal('gone' in deleted, false);
});

test('every SET value is read from the item as it was before the update', () => {
  assert.deepEqual(apply('SET a = b, b = a', { a: { S: 'A' }, b: { S: 'B' } }), { a: { S: 'B' }, b: { S: 'A' } });
});

test('clause keywords are case-insensitive and clauses come in any order', () => {
  assert.deepEqual(apply('remove r add n :n set s = :s delete d :ss', { r: { S: '1' }, n: { N: '1' }, d: { SS: ['b', 'q'] } }), {
    n: { N: '2' }, s: { S: 'x' }, d: { SS: ['q'] },
  });
});

test('updated() cuts an item down to the paths the update targets (ReturnValues UPDATED_OLD / UPDATED_NEW)', () => {
  const u = compileUpdate('SET m.x = :s, n = n + :n REMOVE gone ADD fresh :n', { names, values });
  const before: Item = { m: { M: { x: { S: 'old' }, y: { S: 'kept' } } }, n: { N: '1' }, gone: { S: 'g' }, other: { S: 'o' } };
  const after = u.apply(before);
  assert.deepEqual(u.updated!(before), { m: { M: { x: { S: 'old' } } }, n: { N: '1' }, gone: { S: 'g' } });
  assert.deepEqual(u.updated!(after), { m: { M: { x: { S: 'x' } } }, n: { N: '2' }, fresh: { N: '1' } });
});
