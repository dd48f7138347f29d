// The API the stack engine drives: prepareStack once, evaluateResource in creation order, evaluateOutputs last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateOutputs, evaluateResource, placeholderStack, prepareStack, validateTemplate, type Json } from '../../src/services/cloudformation/template/index.js';

const stack = placeholderStack('eu-west-1', '111122223333', 'app');

test('Stack: resources are evaluated in creation order with what the resolver knows of the ones created before', () => {
  const tree = {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/' } },
    },
  };
  const p = prepareStack(tree, { stack });
  const created = new Map<string, string>();
  const resolvers = {
    ref: (id: string) => created.get(id) ?? assert.fail(`${id} used before it was created`),
    getAtt: (id: string, a: string) => `${created.get(id) ?? assert.fail(`${id} used before it was created`)}/${a}`,
  };
  const order: string[] = [];
  for (const id of p.graph.creationOrder) {
    const r = evaluateResource(p, id, resolvers);
    order.push(`${id}:${JSON.stringify(r.properties)}`);
    created.set(id, `${id}-1`);
  }
  assert.deepEqual(order, ['Role:{"Path":"/"}', 'Fn:{"Role":"Role-1/Arn"}']);
});

test('Stack: deletion policies default to Delete, RDS instances outside a cluster to Snapshot; declared ones evaluate', () => {
  const tree = {
    Parameters: { Keep: { Type: 'String', Default: 'Retain' } },
    Resources: {
      B: { Type: 'AWS::S3::Bucket' },
      Db: { Type: 'AWS::RDS::DBInstance', Properties: {} },
      Kept: { Type: 'AWS::S3::Bucket', DeletionPolicy: { Ref: 'Keep' }, UpdateReplacePolicy: 'Retain', DependsOn: 'B' },
    },
  };
  const p = prepareStack(tree, { stack });
  const r = (id: string) => evaluateResource(p, id, {});
  assert.deepEqual([r('B').deletionPolicy, r('Db').deletionPolicy, r('Kept').deletionPolicy, r('Kept').updateReplacePolicy], ['Delete', 'Snapshot', 'Retain', 'Retain']);
  assert.deepEqual(r('Kept').dependsOn, ['B']);
});

test('Stack: outputs under a false condition are skipped; export names are evaluated', () => {
  const tree = {
    Parameters: { Env: { Type: 'String', Default: 'dev' }, Nets: { Type: 'CommaDelimitedList', Default: 'a,b' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
    Resources: { T: { Type: 'AWS::SNS::Topic' } },
    Outputs: {
      Arn: { Value: { Ref: 'T' }, Description: 'the topic', Export: { Name: { 'Fn::Sub': '${AWS::StackName}:TopicArn' } } },
      Nets: { Value: { 'Fn::Join': [',', { Ref: 'Nets' }] } },
      ProdOnly: { Value: 'x', Condition: 'IsProd' },
    },
  };
  const p = prepareStack(tree, { stack });
  assert.deepEqual(evaluateOutputs(p, { ref: (id) => `arn:${id}` }), [
    { key: 'Arn', value: 'arn:T', description: 'the topic', exportName: 'app:TopicArn' },
    { key: 'Nets', value: 'a,b' },
  ]);
});

test('Stack: an export name that evaluates to a malformed name is refused', () => {
  const tree = { Resources: { T: { Type: 'AWS::SNS::Topic' } }, Outputs: { O: { Value: 'v', Export: { Name: { 'Fn::Sub': '${AWS::StackName} bad' } } } } };
  assert.throws(() => evaluateOutputs(prepareStack(tree, { stack }), {}), {
    message: 'Template format error: Output O is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens.',
  });
});

test('Stack: each condition is evaluated once however often it is used', () => {
  // A chain where each condition uses the previous one twice: 2^40 evaluations unless each is computed once.
  const Conditions: Record<string, Json> = { C0: { 'Fn::Equals': ['a', 'a'] } };
  for (let i = 1; i <= 40; i++) Conditions[`C${i}`] = { 'Fn::And': [{ Condition: `C${i - 1}` }, { Condition: `C${i - 1}` }] };
  const started = Date.now();
  const p = prepareStack({ Conditions, Resources: { T: { Type: 'AWS::SNS::Topic', Condition: 'C40' } } }, { stack });
  assert.equal(p.conditions.get('C40'), true);
  assert.deepEqual(p.graph.nodes, ['T']);
  assert.ok(Date.now() - started < 1000);
});

test('Stack: the processed template and the SSM names are kept for DescribeStacks and GetTemplate', () => {
  const tree = { Parameters: { Ami: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/ami' } }, Resources: { I: { Type: 'AWS::EC2::Instance', Properties: { ImageId: { Ref: 'Ami' } } } } };
  const p = prepareStack(tree, { stack, ssm: (n) => (n === '/ami' ? 'ami-42' : undefined) });
  assert.equal(p.ssmNames.get('Ami'), '/ami');
  assert.deepEqual(evaluateResource(p, 'I', {}).properties, { ImageId: 'ami-42' });
  assert.equal(p.processed, tree);
});

test('Stack: prepareStack validates the whole template first, resources under a false condition included', () => {
  const tree = {
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Resources: { T: { Type: 'AWS::SNS::Topic' }, Off: { Type: 'AWS::SNS::Topic', Condition: 'Never', Properties: { N: { 'Fn::Split': [','] } } } },
  };
  assert.throws(() => prepareStack(tree, { stack }), {
    message: 'Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.',
  });
});

test('Stack: an output Value must be text: a list parameter, a list, a map or AWS::NoValue is refused', () => {
  const res = { T: { Type: 'AWS::SNS::Topic' } };
  const P = { Nets: { Type: 'CommaDelimitedList', Default: 'a,b' } };
  assert.deepEqual(validateTemplate({ Parameters: P, Resources: res, Outputs: { O: { Value: { Ref: 'Nets' } } } }).errors.map((e) => e.message), [
    'Template format error: The Value field of every Outputs member must evaluate to a String.',
  ]);
  const tree = (Value: Json) => ({ Mappings: { M: { k: { l: ['x', 'y'] } } }, Conditions: { C: { 'Fn::Equals': ['a', 'b'] } }, Resources: res, Outputs: { O: { Value } } });
  const out = (Value: Json) => () => evaluateOutputs(prepareStack(tree(Value), { stack }), {});
  assert.throws(out({ 'Fn::FindInMap': ['M', 'k', 'l'] }), { message: 'Template format error: The Value field of every Outputs member must evaluate to a String and not a List.' });
  assert.throws(out({ 'Fn::If': ['C', 'a', { Ref: 'AWS::NoValue' }] }), { message: 'Template format error: The Value field of every Outputs member must evaluate to a String.' });
  assert.throws(out({ a: 'b' }), { message: 'Template format error: The Value field of every Outputs member must evaluate to a String and not a Map.' });
});
