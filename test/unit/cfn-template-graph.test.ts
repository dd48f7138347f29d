// The dependency graph and conditions: edges, creation/deletion order, cycles, dangling references, condition checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, evaluateConditions, parseModel, placeholderStack, prepareStack, validateTemplate } from '../../src/services/cloudformation/template/index.js';

const stack = placeholderStack();
const graphOf = (tree: unknown) => buildGraph(parseModel(tree).template);
const messages = (tree: unknown): string[] => validateTemplate(tree).errors.map((e) => e.message);

test('Graph: DependsOn, Ref, GetAtt and Sub (${X} and ${X.Attr}) make edges; creation order respects them', () => {
  const { graph, errors } = graphOf({
    Resources: {
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: { 'Fn::Sub': '${Fn}-${Fn.Arn}-${AWS::Region}' } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Perm: { Type: 'AWS::Lambda::Permission', DependsOn: 'Api', Properties: { FunctionName: { Ref: 'Fn' } } },
      Alone: { Type: 'AWS::SNS::Topic' },
    },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(graph.dependencies.get('Api'), ['Fn']);
  assert.deepEqual(graph.dependencies.get('Perm'), ['Fn', 'Api']);
  assert.deepEqual(graph.creationOrder, ['Role', 'Alone', 'Fn', 'Api', 'Perm']);
  assert.deepEqual(graph.creationWaves, [['Role', 'Alone'], ['Fn'], ['Api'], ['Perm']]);
  assert.deepEqual(graph.deletionOrder, ['Perm', 'Api', 'Fn', 'Alone', 'Role']);
  assert.deepEqual(graph.dependents.get('Fn'), ['Api', 'Perm']);
});

test('Graph: a Sub context variable is local, not a dependency; Metadata references do not order creation', () => {
  const { graph, errors } = graphOf({
    Resources: {
      A: { Type: 'AWS::SNS::Topic', Metadata: { Uses: { Ref: 'B' } }, Properties: { N: { 'Fn::Sub': ['${B}', { B: 'literal' }] } } },
      B: { Type: 'AWS::SNS::Topic' },
    },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(graph.dependencies.get('A'), []);
});

test('Graph: a cycle is reported as CloudFormation does, with the resources on it', () => {
  const { graph, errors } = graphOf({
    Resources: {
      A: { Type: 'AWS::SNS::Topic', Properties: { X: { Ref: 'B' } } },
      B: { Type: 'AWS::SNS::Topic', Properties: { X: { 'Fn::GetAtt': ['A', 'Arn'] } } },
      C: { Type: 'AWS::SNS::Topic', DependsOn: ['A'] },
      D: { Type: 'AWS::SNS::Topic', DependsOn: 'D' },
    },
  });
  assert.deepEqual(errors.map((e) => [e.code, e.message]), [['CircularDependency', 'Template format error: Circular dependency between resources: [A, B, D]']]);
  assert.deepEqual(graph.creationOrder, []);
});

test('Graph: references to undeclared names are reported per block in CloudFormation words', () => {
  assert.deepEqual(
    messages({
      Resources: {
        A: { Type: 'AWS::SNS::Topic', DependsOn: ['Ghost'], Properties: { X: { Ref: 'Nope' }, Y: { 'Fn::Sub': '${Nope2}' }, Z: { 'Fn::GetAtt': ['Missing', 'Arn'] } } },
      },
      Outputs: { O: { Value: { Ref: 'Gone' } } },
    }),
    [
      'Template error: instance of Fn::GetAtt references undefined resource Missing',
      'Template format error: Unresolved resource dependencies [Nope, Nope2, Ghost] in the Resources block of the template',
      'Template format error: Unresolved resource dependencies [Gone] in the Outputs block of the template',
    ],
  );
});

test('Graph: with conditions, a resource under a false condition leaves the graph and the untaken Fn::If branch may name it', () => {
  const tree = {
    Parameters: { Env: { Type: 'String', Default: 'dev' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
    Resources: {
      Prod: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
      Q: { Type: 'AWS::SQS::Queue', Properties: { Name: { 'Fn::If': ['IsProd', { Ref: 'Prod' }, { Ref: 'AWS::NoValue' }] } } },
    },
  };
  const dev = prepareStack(tree, { stack });
  assert.deepEqual(dev.graph.nodes, ['Q']);
  assert.deepEqual(dev.graph.dependencies.get('Q'), []);
  const prod = prepareStack(tree, { stack, parameters: { Env: 'prod' } });
  assert.deepEqual(prod.graph.creationOrder, ['Prod', 'Q']);
});

test('Graph: a Ref to a resource whose condition is false (outside Fn::If) is an unresolved dependency', () => {
  const tree = {
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Resources: { Gone: { Type: 'AWS::S3::Bucket', Condition: 'Never' }, Q: { Type: 'AWS::SQS::Queue', Properties: { N: { Ref: 'Gone' } } } },
  };
  assert.throws(() => prepareStack(tree, { stack }), { message: 'Template format error: Unresolved resource dependencies [Gone] in the Resources block of the template' });
});

test('Conditions: evaluated once each, through Condition, Fn::And, Fn::Or, Fn::Not and Fn::Equals', () => {
  const tree = {
    Parameters: { Env: { Type: 'String', Default: 'prod' }, Size: { Type: 'Number', Default: '3' } },
    Mappings: { M: { 'us-east-1': { Big: '3' } } },
    Conditions: {
      IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
      IsBig: { 'Fn::Equals': [{ Ref: 'Size' }, { 'Fn::FindInMap': ['M', { Ref: 'AWS::Region' }, 'Big'] }] },
      Both: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsBig' }] },
      Neither: { 'Fn::Not': [{ 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsBig' }] }] },
    },
    Resources: { R: { Type: 'AWS::SNS::Topic' } },
  };
  const t = parseModel(tree).template;
  const values = evaluateConditions(t, stack, new Map([['Env', 'prod'], ['Size', '3']]));
  assert.deepEqual(Object.fromEntries(values), { IsProd: true, IsBig: true, Both: true, Neither: false });
});

test('Conditions: resources, undeclared conditions, cycles and non-boolean conditions are refused', () => {
  const res = { R: { Type: 'AWS::SNS::Topic' } };
  assert.deepEqual(messages({ Conditions: { C: { 'Fn::Equals': [{ Ref: 'R' }, 'x'] } }, Resources: res }), [
    'Template format error: Unresolved dependencies [R]. Cannot reference resources in the Conditions block of the template',
  ]);
  assert.deepEqual(messages({ Conditions: { A: { 'Fn::Not': [{ Condition: 'Nope' }] } }, Resources: res }), [
    'Template format error: Unresolved condition dependencies [Nope] in the Conditions block of the template',
  ]);
  assert.deepEqual(messages({ Conditions: { A: { 'Fn::Not': [{ Condition: 'B' }] }, B: { 'Fn::Not': [{ Condition: 'A' }] } }, Resources: res }), [
    'Template format error: Circular dependency between conditions: [A, B]',
  ]);
  assert.deepEqual(messages({ Conditions: { A: true }, Resources: res }), ['Template format error: Conditions can only be boolean operations on parameters and other conditions']);
  // Every error is reported, not just the first.
  assert.deepEqual(messages({ Conditions: { A: { 'Fn::And': [{ Condition: 'A' }] } }, Resources: res }), [
    'Template format error: Circular dependency between conditions: [A]',
    'Template error: every Fn::And object requires a list of at least 2 and at most 10 boolean parameters.',
  ]);
});

test('Conditions: a resource or output naming an undeclared condition, and Fn::If naming one, are refused', () => {
  assert.deepEqual(
    messages({
      Resources: { R: { Type: 'AWS::SNS::Topic', Condition: 'Ghost', Properties: { N: { 'Fn::If': ['Phantom', 'a', 'b'] } } } },
      Outputs: { O: { Value: 'x', Condition: 'Spirit' } },
    }),
    [
      'Template format error: Unresolved condition dependencies [Ghost] in the Resources block of the template',
      'Template error: unresolved condition dependency Phantom in Fn::If',
      'Template format error: Unresolved condition dependencies [Spirit] in the Outputs block of the template',
    ],
  );
});

test('Conditions: an Fn::Or operand that is not a boolean function is its argument error', () => {
  assert.deepEqual(messages({ Conditions: { A: { 'Fn::Or': [{ 'Fn::Equals': ['a', 'a'] }, 'true'] } }, Resources: { R: { Type: 'AWS::SNS::Topic' } } }), [
    'Template error: every Fn::Or object requires a list of at least 2 and at most 10 boolean parameters.',
  ]);
  assert.throws(() => prepareStack({ Conditions: { A: { 'Fn::Or': [{ 'Fn::Equals': ['a', 'a'] }, 'true'] } }, Resources: { R: { Type: 'AWS::SNS::Topic', Condition: 'A' } } }, { stack }), {
    message: 'Template error: every Fn::Or object requires a list of at least 2 and at most 10 boolean parameters.',
  });
});
