// validateTemplate: the ValidateTemplate answer, and every structural error a template has, in CloudFormation's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { parseModel, placeholderStack, prepareStack, templateSummary, validateTemplate } from '../../src/services/cloudformation/template/index.js';

const messages = (tree: unknown): string[] => validateTemplate(tree).errors.map((e) => e.message);
const topic = { Type: 'AWS::SNS::Topic' };

test('validateTemplate: answers Parameters, Description and DeclaredTransforms as the API does', () => {
  const r = validateTemplate(
    parseYaml(`
AWSTemplateFormatVersion: "2010-09-09"
Description: A demo
Transform: [AWS::Serverless-2016-10-31]
Parameters:
  Env:
    Type: String
    Default: dev
    Description: The environment
  Secret:
    Type: String
    NoEcho: true
  Key:
    Type: AWS::EC2::KeyPair::KeyName
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
Resources:
  Topic:
    Type: AWS::SNS::Topic
`),
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.output, {
    Parameters: [
      { ParameterKey: 'Env', DefaultValue: 'dev', NoEcho: false, Description: 'The environment' },
      { ParameterKey: 'Secret', NoEcho: true },
      { ParameterKey: 'Key', NoEcho: false },
      { ParameterKey: 'Subnets', NoEcho: false },
    ],
    Description: 'A demo',
    DeclaredTransforms: ['AWS::Serverless-2016-10-31'],
  });
});

test('validateTemplate: IAM resources need CAPABILITY_IAM, custom-named ones CAPABILITY_NAMED_IAM, with the reason', () => {
  const iam = validateTemplate({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: {} }, P: { Type: 'AWS::IAM::Policy', Properties: {} }, T: topic } });
  assert.deepEqual(iam.output.Capabilities, ['CAPABILITY_IAM']);
  assert.equal(iam.output.CapabilitiesReason, 'The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::Policy]');
  const named = validateTemplate({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'fixed' } } } });
  assert.deepEqual(named.output.Capabilities, ['CAPABILITY_NAMED_IAM']);
  assert.equal(named.output.CapabilitiesReason, 'The following resource(s) require capabilities: [AWS::IAM::Role]');
  assert.equal(validateTemplate({ Resources: { T: topic } }).output.Capabilities, undefined);
});

test('validateTemplate: a template without resources is refused', () => {
  assert.deepEqual(messages({ Resources: {} }), ['Template format error: At least one Resources member must be defined.']);
  assert.deepEqual(messages({ Description: 'x' }), ['Template format error: At least one Resources member must be defined.']);
});

test('validateTemplate: reports every structural error at once, not just the first', () => {
  assert.deepEqual(
    messages({
      AWSTemplateFormatVersion: '2011-01-01',
      Bogus: 1,
      Other: 2,
      Resources: {
        NoType: { Properties: {} },
        NotObject: 'x',
        'bad-name': topic,
        Extra: { Type: 'AWS::SNS::Topic', Foo: 1 },
        Keep: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Sometimes', DependsOn: [1] },
        Nully: { Type: 'AWS::SNS::Topic', Properties: { A: { B: null } } },
      },
      Outputs: { NoValue: { Description: 'x' }, Bad: { Value: 'v', Export: { Name: 'has space' } }, Null: { Value: null } },
    }),
    [
      'Template format error: Invalid template property or properties [Bogus, Other]',
      'Template format error: unsupported value for AWSTemplateFormatVersion.',
      'Template format error: [/Resources/NoType] Every Resources object must contain a Type member.',
      'Template format error: Any Resources member must be an object.',
      'Template format error: Resource name bad-name is non alphanumeric.',
      "Invalid template resource property 'Foo'",
      'Template format error: DependsOn must be a string or list of strings.',
      'Template format error: Unrecognized DeletionPolicy Sometimes for resource Keep',
      "[/Resources/Nully/Properties/A/B] 'null' values are not allowed in templates",
      'Template format error: Every Outputs member must contain a Value object',
      'Template format error: Output Bad is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens.',
      "[/Outputs/Null/Value] 'null' values are not allowed in templates",
    ],
  );
});

test('validateTemplate: Mappings must be maps of maps of strings or lists', () => {
  assert.deepEqual(messages({ Mappings: { A: 'x', B: { k: 'v' }, C: { k: { a: { deep: 1 } } } }, Resources: { T: topic } }), [
    'Template format error: Every Mappings member A must be a map',
    'Template format error: Every Mappings member k must be a map',
    'Template format error: Every Mappings attribute must be a String or a List.',
  ]);
});

test('validateTemplate: parameter declarations: Type required and known, Default a string', () => {
  assert.deepEqual(
    messages({
      Parameters: { NoType: { Default: 'x' }, Odd: { Type: 'Foo' }, Obj: { Type: 'String', Default: { a: 1 } }, Num: { Type: 'Number', Default: 3 } },
      Resources: { T: topic },
    }),
    ['Template format error: Every Parameters object must contain a Type member.', 'Template format error: Unrecognized parameter type: Foo', 'Template format error: Every Default member must be a string.'],
  );
});

test('validateTemplate: AWS-specific, list and SSM parameter types are recognized', () => {
  const types = ['AWS::EC2::KeyPair::KeyName', 'List<AWS::EC2::Subnet::Id>', 'AWS::SSM::Parameter::Value<String>', 'AWS::SSM::Parameter::Value<List<AWS::EC2::Image::Id>>', 'List<Number>', 'CommaDelimitedList', 'AWS::SSM::Parameter::Name'];
  const Parameters = Object.fromEntries(types.map((Type, i) => [`P${i}`, { Type }]));
  assert.deepEqual(messages({ Parameters, Resources: { T: topic } }), []);
  assert.deepEqual(messages({ Parameters: { P: { Type: 'List<AWS::EC2::KeyPair::KeyName>' } }, Resources: { T: topic } }), ['Template format error: Unrecognized parameter type: List<AWS::EC2::KeyPair::KeyName>']);
});

test('validateTemplate: static function checks name literal mistakes before any value is known', () => {
  assert.deepEqual(
    messages({
      Mappings: { M: { a: { b: 'c' } } },
      Resources: {
        R: {
          Type: 'AWS::SNS::Topic',
          Properties: {
            A: { 'Fn::Join': ['-'] },
            B: { 'Fn::Select': [5, ['a']] },
            C: { 'Fn::FindInMap': ['Nope', 'a', 'b'] },
            D: { 'Fn::FindInMap': ['M', 'a', 'x'] },
            E: { 'Fn::Sub': '${bad name}' },
            F: { 'Fn::Frobnicate': 1 },
          },
        },
      },
    }),
    [
      'Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.',
      'Template error: Fn::Select  cannot select nonexistent value at index 5',
      "Template error: Mapping named 'Nope' is not present in the 'Mappings' section of template",
      'Template error: Unable to get mapping for M::a::x',
      'Template error: variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons',
      'Template Error: Encountered unsupported function: Fn::Frobnicate Supported functions are: [Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Sub, Fn::Cidr, Fn::Length, Fn::ToJsonString]',
    ],
  );
});

test('validateTemplate: every error carries the ValidationError wire code and an internal code', () => {
  const [e] = validateTemplate({ Resources: { R: { Type: 'AWS::SNS::Topic', Properties: { X: { Ref: 'Nope' } } } } }).errors;
  assert.equal(e?.awsCode, 'ValidationError');
  assert.equal(e?.code, 'FormatError');
  assert.equal(validateTemplate({ Resources: { A: { Type: 'T', DependsOn: 'A' } } }).errors[0]?.code, 'CircularDependency');
});

test('validateTemplate: more than 500 resources is over the quota', () => {
  const Resources = Object.fromEntries([...Array(501).keys()].map((i) => [`T${i}`, topic]));
  assert.deepEqual(messages({ Resources }), ['Template format error: Number of resources, 501, is greater than maximum allowed, 500']);
  assert.deepEqual(messages({ Resources: Object.fromEntries(Object.entries(Resources).slice(0, 500)) }), []);
});

test('validateTemplate: with the types\' attribute names injected, a GetAtt of an unknown attribute is refused', () => {
  const attributesOf = (type: string) => (type === 'AWS::SNS::Topic' ? ['TopicArn', 'TopicName'] : undefined);
  const tree = {
    Resources: {
      T: topic,
      Q: { Type: 'AWS::SQS::Queue', Properties: { A: { 'Fn::GetAtt': ['T', 'TopicName'] }, B: { 'Fn::GetAtt': 'T.Arn' }, C: { 'Fn::Sub': '${T.Nope}' } } },
    },
  };
  assert.deepEqual(
    validateTemplate(tree, { attributesOf }).errors.map((e) => e.message),
    ['Template error: resource T does not support attribute type Arn in Fn::GetAtt', 'Template error: resource T does not support attribute type Nope in Fn::GetAtt'],
  );
  assert.deepEqual(validateTemplate(tree).errors, []);
});

test('validateTemplate: with the supported types injected, others are unrecognized; custom resources always pass', () => {
  const isKnownType = (type: string) => type === 'AWS::SNS::Topic';
  const tree = { Resources: { T: topic, A: { Type: 'AWS::Foo::Bar' }, B: { Type: 'AWS::Foo::Bar' }, C: { Type: 'AWS::Baz::Qux' }, D: { Type: 'Custom::Thing' } } };
  assert.deepEqual(validateTemplate(tree, { isKnownType }).errors.map((e) => e.message), ['Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Baz::Qux]']);
  assert.throws(() => prepareStack(tree, { stack: placeholderStack(), isKnownType }), { message: 'Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Baz::Qux]' });
});

test('templateSummary: GetTemplateSummary\'s members: parameter types and constraints, resource types, version, metadata', () => {
  const t = parseModel({
    Description: 'd',
    Metadata: { Interface: { x: 1 } },
    Parameters: { Env: { Type: 'String', AllowedValues: ['dev', 'prod'], Default: 'dev' } },
    Resources: { R: { Type: 'AWS::IAM::Role', Properties: {} }, T: topic, U: topic },
  }).template;
  assert.deepEqual(templateSummary(t), {
    Parameters: [{ ParameterKey: 'Env', ParameterType: 'String', NoEcho: false, ParameterConstraints: { AllowedValues: ['dev', 'prod'] }, DefaultValue: 'dev' }],
    ResourceTypes: ['AWS::IAM::Role', 'AWS::SNS::Topic'],
    Version: '2010-09-09',
    Description: 'd',
    Capabilities: ['CAPABILITY_IAM'],
    CapabilitiesReason: 'The following resource(s) require capabilities: [AWS::IAM::Role]',
    Metadata: '{"Interface":{"x":1}}',
  });
});
