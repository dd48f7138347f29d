// AWS::LanguageExtensions: Fn::ForEach in Resources, Outputs, Conditions and properties; ${Id} and &{Id} in keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { evaluateOutputs, evaluateResource, expandForEach, placeholderStack, prepareStack, validateTemplate, type JsonObject } from '../../src/services/cloudformation/template/index.js';

const stack = placeholderStack();
const resolvers = { ref: (id: string) => `${id}-phys`, getAtt: (id: string, a: string) => `${id}|${a}`, importValue: () => undefined };
const expand = (tree: JsonObject, params: Record<string, string | string[]> = {}) => expandForEach(tree, { stack, parameters: new Map(Object.entries(params)) });

test('Fn::ForEach: expands Resources with ${Id} in the key and Ref Id in the properties', () => {
  const out = expand({
    Transform: 'AWS::LanguageExtensions',
    Resources: {
      'Fn::ForEach::Topics': ['TopicName', ['Success', 'Failure'], { 'SnsTopic${TopicName}': { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'TopicName' }, Label: 'keeps ${TopicName}' } } }],
      Other: { Type: 'AWS::SQS::Queue' },
    },
  });
  assert.deepEqual(out['Resources'], {
    SnsTopicSuccess: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'Success', Label: 'keeps ${TopicName}' } },
    SnsTopicFailure: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'Failure', Label: 'keeps ${TopicName}' } },
    Other: { Type: 'AWS::SQS::Queue' },
  });
});

test('Fn::ForEach: &{Id} drops non-alphanumeric characters; Fn::Sub text gets ${Id} substituted', () => {
  const out = expand({
    Resources: {
      'Fn::ForEach::Subnets': ['Cidr', ['10.0.0.0/24', '10.0.1.0/24'], { 'Subnet&{Cidr}': { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: { Ref: 'Cidr' }, Name: { 'Fn::Sub': 'net-${Cidr}-${AWS::Region}' } } } }],
    },
  });
  assert.deepEqual(Object.keys(out['Resources'] as JsonObject), ['Subnet1000024', 'Subnet1001024']);
  assert.deepEqual((out['Resources'] as JsonObject)['Subnet1000024'], { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '10.0.0.0/24', Name: { 'Fn::Sub': 'net-10.0.0.0/24-${AWS::Region}' } } });
});

test('Fn::ForEach: a collection from a CommaDelimitedList parameter, nested loops, and outputs using GetAtt with Sub names', () => {
  const tree = parseYaml(`
Transform: AWS::LanguageExtensions
Parameters:
  Names: { Type: CommaDelimitedList, Default: "A,B" }
Resources:
  Fn::ForEach::Buckets:
    - Id
    - !Ref Names
    - S3Bucket\${Id}:
        Type: AWS::S3::Bucket
Outputs:
  Fn::ForEach::BucketOutputs:
    - Identifier
    - !Ref Names
    - Fn::ForEach::GetAttLoop:
        - Property
        - [Arn, DomainName]
        - S3Bucket\${Identifier}\${Property}:
            Value: { "Fn::GetAtt": [{ "Fn::Sub": "S3Bucket\${Identifier}" }, { Ref: Property }] }
`.replace(/!Ref Names/g, '{ Ref: Names }'));
  const p = prepareStack(tree, { stack });
  assert.deepEqual(p.graph.creationOrder, ['S3BucketA', 'S3BucketB']);
  assert.deepEqual(
    evaluateOutputs(p, resolvers).map((o) => [o.key, o.value]),
    [
      ['S3BucketAArn', 'S3BucketA|Arn'],
      ['S3BucketADomainName', 'S3BucketA|DomainName'],
      ['S3BucketBArn', 'S3BucketB|Arn'],
      ['S3BucketBDomainName', 'S3BucketB|DomainName'],
    ],
  );
  const given = prepareStack(tree, { stack, parameters: { Names: 'X' } });
  assert.deepEqual(given.graph.nodes, ['S3BucketX']);
});

test('Fn::ForEach: expands Conditions and resource properties too', () => {
  const tree = {
    Transform: 'AWS::LanguageExtensions',
    Parameters: { Env: { Type: 'String', Default: 'dev' } },
    Conditions: { 'Fn::ForEach::Envs': ['E', ['dev', 'prod'], { 'Is${E}': { 'Fn::Equals': [{ Ref: 'Env' }, { Ref: 'E' }] } }] },
    Resources: {
      Q: {
        Type: 'AWS::SQS::Queue',
        Condition: 'Isdev',
        Properties: { Tags: { 'Fn::ForEach::Tags': ['K', ['a', 'b'], { 'Tag${K}': { Ref: 'K' } }] } },
      },
    },
  };
  const p = prepareStack(tree, { stack });
  assert.deepEqual(Object.fromEntries(p.conditions), { Isdev: true, Isprod: false });
  assert.deepEqual(evaluateResource(p, 'Q', resolvers).properties, { Tags: { Taga: 'a', Tagb: 'b' } });
});

test('Fn::ForEach: a malformed loop, an unresolvable collection and a duplicate key fail with the transform message', () => {
  assert.throws(() => expand({ Resources: { 'Fn::ForEach::X': ['Id', ['a']] } }), { code: 'TransformError', message: 'Transform AWS::LanguageExtensions failed with: Fn::ForEach layout is incorrect' });
  assert.throws(() => expand({ Resources: { 'Fn::ForEach::X': ['Id', { Ref: 'Missing' }, { 'R${Id}': { Type: 'T' } }] } }), {
    message: 'Transform AWS::LanguageExtensions failed with: Could not find a collection or could not be resolved for Fn::ForEach',
  });
  assert.throws(() => expand({ Resources: { Ra: { Type: 'T' }, 'Fn::ForEach::X': ['Id', ['a'], { 'R${Id}': { Type: 'T' } }] } }), {
    message: 'Transform AWS::LanguageExtensions failed with: Fn::ForEach produces Ra, which the template already declares.',
  });
});

test('Fn::ForEach: validateTemplate expands with the defaults and checks the result', () => {
  const tree = {
    Transform: 'AWS::LanguageExtensions',
    Resources: { 'Fn::ForEach::Q': ['N', ['a', 'b'], { 'Queue${N}': { Type: 'AWS::SQS::Queue', Properties: { Dlq: { Ref: 'Missing${N}' } } } }] },
  };
  assert.deepEqual(validateTemplate(tree).errors.map((e) => e.message), ['Template format error: Unresolved resource dependencies [Missing${N}] in the Resources block of the template']);
  // Without the transform the loop is not a resource name CloudFormation accepts.
  assert.deepEqual(validateTemplate({ Resources: tree.Resources }).errors.map((e) => e.message), ['Template format error: Resource name Fn::ForEach::Q is non alphanumeric.']);
});
