// Unit tests: function configuration is checked with AWS's exceptions and messages that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../src/services/lambda/validate.js';
import { AwsError } from '../../src/lib/errors.js';

const fails = (input: Parameters<typeof checkConfig>[0], code: string, pattern: RegExp): void => {
  assert.throws(
    () => checkConfig(input),
    (e: unknown) => e instanceof AwsError && e.code === code && pattern.test(e.message),
    `${JSON.stringify(input).slice(0, 80)} should fail with ${code} ${pattern}`,
  );
};

test('Validation: MemorySize outside 128–10240 is refused naming memorySize', () => {
  fails({ MemorySize: 127 }, 'ValidationException', /Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128/);
  fails({ MemorySize: 10241 }, 'ValidationException', /at 'memorySize'.*less than or equal to 10240/);
  assert.doesNotThrow(() => checkConfig({ MemorySize: 10240 }));
});

test('Validation: Timeout outside 1–900 and EphemeralStorage outside 512–10240 are refused', () => {
  fails({ Timeout: 0 }, 'ValidationException', /at 'timeout'/);
  fails({ Timeout: 901 }, 'ValidationException', /at 'timeout'/);
  fails({ EphemeralStorage: { Size: 511 } }, 'ValidationException', /at 'ephemeralStorage.size'/);
  fails({ EphemeralStorage: { Size: 10241 } }, 'ValidationException', /at 'ephemeralStorage.size'/);
});

test('Validation: several violations are reported together, counted as AWS counts them', () => {
  fails({ Timeout: 0, MemorySize: 1 }, 'ValidationException', /^2 validation errors detected: .*timeout.*; .*memorySize/);
});

test('Validation: unknown runtimes fail the enum, deprecated ones get AWS deprecation message', () => {
  fails({ Runtime: 'nodejs99.x' }, 'ValidationException', /at 'runtime' failed to satisfy constraint: Member must satisfy enum value set/);
  fails({ Runtime: 'nodejs12.x' }, 'InvalidParameterValueException', /The runtime parameter of nodejs12.x is no longer supported/);
  fails({ Runtime: 'python3.8' }, 'InvalidParameterValueException', /python3.8 is no longer supported/);
  for (const ok of ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'python3.9', 'python3.13', 'provided', 'provided.al2', 'provided.al2023']) {
    assert.doesNotThrow(() => checkConfig({ Runtime: ok }), ok);
  }
});

test('Validation: roles must be IAM role ARNs and handlers must have no whitespace', () => {
  fails({ Role: 'not-a-role' }, 'ValidationException', /at 'role'/);
  fails({ Handler: 'index handler' }, 'ValidationException', /at 'handler'/);
  fails({ Handler: 'x'.repeat(129) }, 'ValidationException', /at 'handler'.*128/);
});

test('Validation: reserved environment variables and environments over 4 KB are refused', () => {
  fails({ Environment: { Variables: { AWS_REGION: 'x' } } }, 'InvalidParameterValueException', /reserved keys .*: AWS_REGION/);
  fails({ Environment: { Variables: { BIG: 'x'.repeat(4100) } } }, 'InvalidParameterValueException', /exceeded the 4KB limit/);
  fails({ Environment: { Variables: { '1BAD': 'x' } } }, 'ValidationException', /environment.variables/);
  assert.doesNotThrow(() => checkConfig({ Environment: { Variables: { GOOD_NAME: 'x'.repeat(3000) } } }));
});

test('Validation: more than five layers are refused', () => {
  const layer = (n: number) => `arn:aws:lambda:us-east-1:000000000000:layer:l${n}:1`;
  fails({ Layers: [1, 2, 3, 4, 5, 6].map(layer) }, 'InvalidParameterValueException', /more than 5 layers/);
});
