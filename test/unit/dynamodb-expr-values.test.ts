// Unit: DynamoDB attribute values: wire validation messages, number normalisation, item size, equality, key order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareKeys, itemSize, validateValue, valuesEqual, addNumbers, compareNumbers, validateExprInput, checkFilterKeys, checkKeyPaths,
  compileCondition, compileUpdate, compileProjection,
} from '../../src/services/dynamodb/expr/index.js';
import { AwsError } from '../../src/lib/errors.js';

function refused(v: unknown, where = 'Item'): string {
  try {
    validateValue(v, where);
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, 'ValidationException');
    return e.message;
  }
  assert.fail(`${JSON.stringify(v)} accepted`);
}

test('a value must carry exactly one type', () => {
  assert.equal(refused({}), 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  assert.equal(refused({ S: 'a', N: '1' }), 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  assert.equal(refused({ NULL: false }), 'One or more parameter values were invalid: Null attribute value types must have the value of true');
});

test('numbers: valid decimals of at most 38 digits between 1E-130 and 9.9E125', () => {
  assert.equal(refused({ N: '' }), 'The parameter cannot be converted to a numeric value');
  assert.equal(refused({ N: 'abc' }), 'The parameter cannot be converted to a numeric value: abc');
  assert.equal(refused({ N: '+5' }), 'The parameter cannot be converted to a numeric value: +5');
  assert.equal(refused({ N: '1e126' }), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
  assert.equal(refused({ N: '1e-131' }), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
  assert.equal(refused({ N: '123456789012345678901234567890123456789' }), 'Attempting to store more than 38 significant digits in a Number');
  assert.deepEqual(validateValue({ N: '9.9e125' }, 'Item'), { N: '99' + '0'.repeat(124) });
  assert.deepEqual(validateValue({ N: '1e-130' }, 'Item'), { N: '0.' + '0'.repeat(129) + '1' });
  assert.deepEqual(validateValue({ N: '12345678901234567890123456789012345678000' }, 'Item'), { N: '12345678901234567890123456789012345678000' });
});

test('numbers come back in DynamoDB plain form', () => {
  assert.deepEqual(validateValue({ N: '1.50' }, 'Item'), { N: '1.5' });
  assert.deepEqual(validateValue({ N: '1.5e2' }, 'Item'), { N: '150' });
  assert.deepEqual(validateValue({ N: '-0.00' }, 'Item'), { N: '0' });
  assert.deepEqual(validateValue({ N: '007' }, 'Item'), { N: '7' });
  assert.deepEqual(validateValue({ N: '.5' }, 'Item'), { N: '0.5' });
  assert.deepEqual(validateValue({ NS: ['1.0', '2e1'] }, 'Item'), { NS: ['1', '20'] });
});

test('sets must be non-empty and free of duplicates', () => {
  assert.equal(refused({ SS: [] }), 'One or more parameter values were invalid: An string set  may not be empty');
  assert.equal(refused({ NS: [] }), 'One or more parameter values were invalid: An number set  may not be empty');
  assert.equal(refused({ BS: [] }), 'One or more parameter values were invalid: Binary sets should not be empty');
  assert.equal(refused({ SS: ['a', 'b', 'a'] }), 'One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.');
  assert.equal(refused({ NS: ['1', '1.0'] }), 'Input collection contains duplicates');
  assert.equal(refused({ BS: ['YQ==', 'YQ=='] }), 'One or more parameter values were invalid: Input collection [YQ==, YQ==]of type BS contains duplicates.');
});

test('nested values are validated and expression attribute values name their key', () => {
  assert.equal(refused({ M: { a: { L: [{ SS: [] }] } } }), 'One or more parameter values were invalid: An string set  may not be empty');
  assert.equal(refused({ L: [{ N: 'x' }] }), 'The parameter cannot be converted to a numeric value: x');
  assert.equal(refused({ NS: [] }, ':v'), 'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  may not be empty for key :v');
  assert.deepEqual(validateValue({ M: { a: { L: [{ N: '01' }, { BOOL: true }, { NULL: true }, { B: 'AQ==' }] } } }, 'Item'), {
    M: { a: { L: [{ N: '1' }, { BOOL: true }, { NULL: true }, { B: 'AQ==' }] } },
  });
});

test('values of the wrong JSON type are serialization errors, not crashes', () => {
  for (const v of [null, 'x', [], { S: 1 }, { BOOL: 'yes' }, { SS: [1] }, { M: [] }, { L: {} }]) {
    assert.throws(() => validateValue(v, 'Item'), (e: unknown) => e instanceof AwsError && e.status === 400, JSON.stringify(v));
  }
});

test('item size counts UTF-8 names and values as DynamoDB does', () => {
  assert.equal(itemSize({ a: { S: 'abc' } }), 4);
  assert.equal(itemSize({ é: { S: 'é' } }), 4);
  assert.equal(itemSize({ b: { B: 'AQID' } }), 4);
  assert.equal(itemSize({ t: { BOOL: true }, n: { NULL: true } }), 4);
  assert.equal(itemSize({ n: { N: '0' } }), 2);
  assert.equal(itemSize({ n: { N: '1' } }), 3);
  assert.equal(itemSize({ n: { N: '12' } }), 3);
  assert.equal(itemSize({ n: { N: '123' } }), 4);
  assert.equal(itemSize({ n: { N: '-1' } }), 4);
  assert.equal(itemSize({ n: { N: '1.5' } }), 4);
  assert.equal(itemSize({ l: { L: [] } }), 4);
  assert.equal(itemSize({ l: { L: [{ S: 'ab' }, { S: 'c' }] } }), 1 + 3 + 3 + 2);
  assert.equal(itemSize({ m: { M: { k: { S: 'v' } } } }), 1 + 3 + 1 + 1 + 1);
  assert.equal(itemSize({ s: { SS: ['ab', 'c'] } }), 4);
});

test('equality: numbers by value, sets unordered, lists ordered, maps deep', () => {
  assert.equal(valuesEqual({ N: '1' }, { N: '1.00' }), true);
  assert.equal(valuesEqual({ N: '1' }, { S: '1' }), false);
  assert.equal(valuesEqual({ SS: ['a', 'b'] }, { SS: ['b', 'a'] }), true);
  assert.equal(valuesEqual({ SS: ['a', 'b'] }, { SS: ['a'] }), false);
  assert.equal(valuesEqual({ NS: ['1', '2'] }, { NS: ['2.0', '1'] }), true);
  assert.equal(valuesEqual({ L: [{ S: 'a' }, { S: 'b' }] }, { L: [{ S: 'b' }, { S: 'a' }] }), false);
  assert.equal(valuesEqual({ M: { a: { N: '1' }, b: { NULL: true } } }, { M: { b: { NULL: true }, a: { N: '1.0' } } }), true);
  assert.equal(valuesEqual({ M: { a: { N: '1' } } }, { M: { a: { N: '1' }, b: { N: '1' } } }), false);
  assert.equal(valuesEqual({ BOOL: true }, { BOOL: false }), false);
  assert.equal(valuesEqual({ B: 'AQ==' }, { B: 'AQ==' }), true);
});

test('key order: numbers numerically, strings and binaries by bytes', () => {
  assert.ok(compareKeys({ N: '9' }, { N: '10' }) < 0);
  assert.ok(compareKeys({ N: '-10' }, { N: '-9' }) < 0);
  assert.equal(compareKeys({ N: '1.0' }, { N: '1' }), 0);
  assert.ok(compareKeys({ S: 'B' }, { S: 'a' }) < 0);
  assert.ok(compareKeys({ S: '\uffff' }, { S: '😀' }) < 0, 'UTF-8 byte order, not UTF-16 units');
  assert.ok(compareKeys({ B: 'AQ==' }, { B: '/w==' }) < 0);
  assert.ok(compareKeys({ B: 'AQ==' }, { B: 'AQE=' }) < 0);
});

test('decimal arithmetic is exact beyond double precision', () => {
  assert.equal(addNumbers('0.1', '0.2'), '0.3');
  assert.equal(addNumbers('9007199254740993', '1'), '9007199254740994');
  assert.equal(addNumbers('1e-130', '1e-130'), '0.' + '0'.repeat(129) + '2');
  assert.equal(addNumbers('5', '5', true), '0');
  assert.equal(addNumbers('1.25', '2.5', true), '-1.25');
  assert.equal(compareNumbers('1e2', '99.999'), 1);
  assert.equal(compareNumbers('-0.5', '-0.50'), 0);
});

test('placeholder maps are checked before any expression, and their values normalised', () => {
  const m = (input: { names?: unknown; values?: unknown }) => {
    try {
      validateExprInput(input);
    } catch (e) {
      return (e as Error).message;
    }
    return 'ok';
  };
  assert.equal(m({ names: {} }), 'ExpressionAttributeNames must not be empty');
  assert.equal(m({ values: {} }), 'ExpressionAttributeValues must not be empty');
  assert.equal(m({ names: { '#sryLiyD8D-': 'x' } }), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#sryLiyD8D-"');
  assert.equal(m({ values: { v: { S: 'x' } } }), 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"');
  assert.equal(m({ values: { ':v': { SS: [] } } }), 'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v');
  assert.deepEqual(validateExprInput({ names: { '#a': 'a' }, values: { ':n': { N: '1.0' } } }), { names: { '#a': 'a' }, values: { ':n': { N: '1' } } });
  assert.deepEqual(validateExprInput({}), {});
});

test('filters may not name key attributes, and no expression may reach into a key attribute', () => {
  const f = compileCondition('pk = :v OR size(attr2.x) > :v', { values: { ':v': { N: '1' } } }, 'FilterExpression');
  assert.deepEqual([...f.heads!].sort(), ['attr2', 'pk']);
  assert.throws(() => checkFilterKeys(f, ['pk', 'sk']), { message: 'Filter Expression can only contain non-primary key attributes: Primary key attribute: pk' });
  assert.doesNotThrow(() => checkFilterKeys(f, ['id']));
  const u = compileUpdate('SET pk.x = :v, gsi[0] = :v', { values: { ':v': { N: '1' } } });
  assert.throws(() => checkKeyPaths(u, ['pk']), { message: "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk" });
  assert.throws(() => checkKeyPaths(u, ['id'], ['gsi']), { message: "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: gsi" });
  assert.doesNotThrow(() => checkKeyPaths(compileProjection('pk, attr2.x', undefined), ['pk']));
});
