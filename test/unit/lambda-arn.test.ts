// Unit tests: function names, ARNs, partial ARNs and qualifiers are parsed and refused as Lambda does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineQualifier, parseFunctionRef } from '../../src/services/lambda/arn.js';
import { AwsError } from '../../src/lib/errors.js';

test('ARN parsing: a plain name, name:qualifier, partial ARN and full ARN name the same function', () => {
  assert.deepEqual(parseFunctionRef('my-fn'), { name: 'my-fn', qualifier: undefined });
  assert.deepEqual(parseFunctionRef('my-fn:prod'), { name: 'my-fn', qualifier: 'prod' });
  assert.deepEqual(parseFunctionRef('123456789012:function:my-fn'), { accountId: '123456789012', name: 'my-fn', qualifier: undefined });
  assert.deepEqual(parseFunctionRef('arn:aws:lambda:eu-west-1:123456789012:function:my-fn:$LATEST'), {
    region: 'eu-west-1',
    accountId: '123456789012',
    name: 'my-fn',
    qualifier: '$LATEST',
  });
});

test('ARN parsing: names with bad characters are ValidationExceptions naming the field', () => {
  for (const bad of ['bad name', 'x/y', '']) {
    assert.throws(
      () => parseFunctionRef(bad),
      (e: unknown) => e instanceof AwsError && e.code === 'ValidationException' && /at 'functionName'/.test(e.message),
    );
  }
});

test('ARN parsing: a name over 64 characters is an InvalidParameterValueException in the words of a validation error, as AWS answers it', () => {
  assert.throws(
    () => parseFunctionRef('a'.repeat(65)),
    (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValueException' && /at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64$/.test(e.message),
  );
});

test('ARN parsing: an ARN of another service is refused', () => {
  assert.throws(() => parseFunctionRef('arn:aws:s3:::bucket'), (e: unknown) => e instanceof AwsError && e.status === 400);
});

test('Qualifiers: the path qualifier and ?Qualifier must agree', () => {
  assert.equal(combineQualifier({ name: 'f', qualifier: '1' }, '1'), '1');
  assert.equal(combineQualifier({ name: 'f' }, 'prod'), 'prod');
  assert.equal(combineQualifier({ name: 'f' }, null), undefined);
  assert.throws(() => combineQualifier({ name: 'f', qualifier: '1' }, '2'), (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValueException');
});
