// Parameter values: defaults, missing and unknown names, constraints in CloudFormation's words, lists, SSM types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel, placeholderStack, prepareStack, resolveParameters, type Json } from '../../src/services/cloudformation/template/index.js';

const declsOf = (Parameters: Record<string, Json>) => parseModel({ Parameters, Resources: { T: { Type: 'AWS::SNS::Topic' } } }).template.parameters;
const resolve = (Parameters: Record<string, Json>, given: Record<string, string> = {}, ssm?: (n: string) => string | undefined) => resolveParameters(declsOf(Parameters), given, ssm);
const msgs = (r: ReturnType<typeof resolve>): string[] => r.errors.map((e) => e.message);

test('Parameters: a value given wins over the Default; one without either must have a value', () => {
  const r = resolve({ A: { Type: 'String', Default: 'a' }, B: { Type: 'String' }, C: { Type: 'Number' } }, { A: 'given' });
  assert.equal(r.values.get('A'), 'given');
  assert.deepEqual(msgs(r), ['Parameters: [B, C] must have values']);
});

test('Parameters: a value for an undeclared parameter is refused before the missing ones', () => {
  const r = resolve({ B: { Type: 'String' } }, { Nope: 'x', Other: 'y' });
  assert.deepEqual(msgs(r), ['Parameters: [Nope, Other] do not exist in the template', 'Parameters: [B] must have values']);
});

test("Parameters: AllowedValues, AllowedPattern, lengths and number bounds fail in CloudFormation's words", () => {
  const P = {
    Env: { Type: 'String', AllowedValues: ['dev', 'prod'] },
    Name: { Type: 'String', AllowedPattern: '[a-z]+', MinLength: 2, MaxLength: 5 },
    Count: { Type: 'Number', MinValue: 1, MaxValue: 10 },
  };
  const ok = resolve(P, { Env: 'dev', Name: 'abc', Count: '5' });
  assert.deepEqual(msgs(ok), []);
  const cases: Array<[Record<string, string>, string]> = [
    [{ Env: 'qa' }, "Parameter 'Env' must be one of AllowedValues"],
    [{ Name: 'ABC' }, "Parameter 'Name' must match pattern [a-z]+"],
    [{ Name: 'a' }, "Parameter 'Name' must contain at least 2 characters"],
    [{ Name: 'abcdef' }, "Parameter 'Name' must contain at most 5 characters"],
    [{ Count: 'x' }, "Parameter 'Count' must be a number."],
    [{ Count: '0' }, "Parameter 'Count' must be a number not less than 1"],
    [{ Count: '11' }, "Parameter 'Count' must be a number not greater than 10"],
  ];
  for (const [bad, message] of cases) assert.deepEqual(msgs(resolve(P, { Env: 'dev', Name: 'abc', Count: '5', ...bad })), [message], message);
});

test('Parameters: a ConstraintDescription replaces the constraint message', () => {
  const r = resolve({ Env: { Type: 'String', AllowedPattern: 'dev|prod', ConstraintDescription: 'must be dev or prod' } }, { Env: 'qa' });
  assert.deepEqual(msgs(r), ["Parameter 'Env' failed to satisfy constraint: must be dev or prod"]);
  // The pattern matches the whole value, as Java's matches() does.
  assert.deepEqual(msgs(resolve({ Env: { Type: 'String', AllowedPattern: 'dev' } }, { Env: 'devx' })), ["Parameter 'Env' must match pattern dev"]);
});

test('Parameters: list types split on commas with items space-trimmed; List<Number> items must be numbers', () => {
  const r = resolve({ L: { Type: 'CommaDelimitedList' }, N: { Type: 'List<Number>' }, E: { Type: 'CommaDelimitedList', Default: '' } }, { L: 'a, b ,c', N: '1,2' });
  assert.deepEqual(r.values.get('L'), ['a', 'b', 'c']);
  assert.deepEqual(r.values.get('N'), ['1', '2']);
  assert.deepEqual(r.values.get('E'), ['']);
  assert.deepEqual(msgs(resolve({ N: { Type: 'List<Number>' } }, { N: '1,x' })), ["Parameter 'N' must be a number."]);
  assert.deepEqual(msgs(resolve({ L: { Type: 'CommaDelimitedList', AllowedValues: ['a', 'b'] } }, { L: 'a,c' })), ["Parameter 'L' must be one of AllowedValues"]);
});

test('Parameters: SSM parameter types resolve through the injected resolver; absent or without one they fail', () => {
  const P = { Ami: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/ami/latest' }, Azs: { Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: '/azs' } };
  const store: Record<string, string> = { '/ami/latest': 'ami-123', '/azs': 'a,b' };
  const r = resolve(P, {}, (n) => store[n]);
  assert.deepEqual(msgs(r), []);
  assert.equal(r.values.get('Ami'), 'ami-123');
  assert.deepEqual(r.values.get('Azs'), ['a', 'b']);
  assert.equal(r.ssmNames.get('Ami'), '/ami/latest');
  assert.deepEqual(msgs(resolve(P, {}, () => undefined)), ['Unable to fetch parameters [/ami/latest, /azs] from parameter store for this account.']);
  assert.deepEqual(msgs(resolve(P)), ['Unable to fetch parameters [/ami/latest, /azs] from parameter store for this account.']);
});

test('Parameters: prepareStack refuses the first parameter error, with the ParameterError code', () => {
  const tree = { Parameters: { Env: { Type: 'String', AllowedValues: ['dev'] } }, Resources: { T: { Type: 'AWS::SNS::Topic' } } };
  assert.throws(() => prepareStack(tree, { stack: placeholderStack(), parameters: { Env: 'prod' } }), { code: 'ParameterError', message: "Parameter 'Env' must be one of AllowedValues" });
  assert.throws(() => prepareStack(tree, { stack: placeholderStack() }), { message: 'Parameters: [Env] must have values' });
});
