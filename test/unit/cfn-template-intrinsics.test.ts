// The template language's intrinsic functions: values, pseudo parameters, AWS::NoValue, and argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateResource, placeholderStack, prepareStack, type Json, type Resolvers, type StackContext } from '../../src/services/cloudformation/template/index.js';

const stack = placeholderStack('us-east-1', '123456789012', 'demo');
const resolvers: Resolvers = {
  ref: (id) => `${id}-phys`,
  getAtt: (id, a) => `${id}|${a}`,
  importValue: (n) => (n === 'Shared' ? 'shared-value' : undefined),
};

const BASE = {
  Parameters: {
    Env: { Type: 'String', Default: 'dev' },
    Subnets: { Type: 'CommaDelimitedList', Default: 'subnet-1, subnet-2,subnet-3' },
    Ports: { Type: 'List<Number>', Default: '80,443' },
    AttName: { Type: 'String', Default: 'Arn' },
  },
  Mappings: { RegionMap: { 'us-east-1': { Ami: 'ami-east', Size: 2, Zones: ['a', 'b'] }, 'eu-west-1': { Ami: 'ami-west' } } },
  Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] } },
  Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
};

/** Evaluates `expr` as the property P of a resource R in BASE. */
function ev(expr: unknown, o: { params?: Record<string, string>; stack?: StackContext; extra?: Record<string, unknown> } = {}): Json | undefined {
  const tree = { ...BASE, ...o.extra, Resources: { ...BASE.Resources, R: { Type: 'AWS::SNS::Topic', Properties: { P: expr, Keep: 1 } } } };
  const p = prepareStack(tree, { stack: o.stack ?? stack, parameters: o.params ?? {} });
  return evaluateResource(p, 'R', resolvers).properties['P'];
}
const fails = (expr: unknown, message: string, o: Parameters<typeof ev>[1] = {}): void => {
  assert.throws(() => ev(expr, o), (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });
};

test('Ref: a parameter answers its value, a list parameter its trimmed items, a resource what the resolver says', () => {
  assert.equal(ev({ Ref: 'Env' }), 'dev');
  assert.equal(ev({ Ref: 'Env' }, { params: { Env: 'prod' } }), 'prod');
  assert.deepEqual(ev({ Ref: 'Subnets' }), ['subnet-1', 'subnet-2', 'subnet-3']);
  assert.deepEqual(ev({ Ref: 'Ports' }), ['80', '443']);
  assert.equal(ev({ Ref: 'Topic' }), 'Topic-phys');
});

test('Pseudo parameters: region, account, stack, partition and URL suffix follow the region', () => {
  assert.equal(ev({ Ref: 'AWS::Region' }), 'us-east-1');
  assert.equal(ev({ Ref: 'AWS::AccountId' }), '123456789012');
  assert.equal(ev({ Ref: 'AWS::StackName' }), 'demo');
  assert.match(String(ev({ Ref: 'AWS::StackId' })), /^arn:aws:cloudformation:us-east-1:123456789012:stack\/demo\//);
  assert.equal(ev({ Ref: 'AWS::Partition' }), 'aws');
  assert.equal(ev({ Ref: 'AWS::URLSuffix' }), 'amazonaws.com');
  assert.deepEqual(ev({ Ref: 'AWS::NotificationARNs' }), []);
  const cn = placeholderStack('cn-north-1');
  assert.equal(ev({ Ref: 'AWS::Partition' }, { stack: cn }), 'aws-cn');
  assert.equal(ev({ Ref: 'AWS::URLSuffix' }, { stack: cn }), 'amazonaws.com.cn');
  assert.equal(ev({ Ref: 'AWS::Partition' }, { stack: placeholderStack('us-gov-west-1') }), 'aws-us-gov');
});

test('AWS::NoValue: removes the key it is the value of, and the list element', () => {
  const tree = { ...BASE, Resources: { R: { Type: 'AWS::SNS::Topic', Properties: { A: { Ref: 'AWS::NoValue' }, B: ['x', { Ref: 'AWS::NoValue' }, 'y'], C: { 'Fn::If': ['IsProd', 'p', { Ref: 'AWS::NoValue' }] } } } } };
  const p = prepareStack(tree, { stack });
  assert.deepEqual(evaluateResource(p, 'R', resolvers).properties, { B: ['x', 'y'] });
});

test('Fn::GetAtt: both forms, a dotted attribute, and an attribute name from Ref', () => {
  assert.equal(ev({ 'Fn::GetAtt': ['Topic', 'TopicName'] }), 'Topic|TopicName');
  assert.equal(ev({ 'Fn::GetAtt': 'Topic.Endpoint.Address' }), 'Topic|Endpoint.Address');
  assert.equal(ev({ 'Fn::GetAtt': ['Topic', { Ref: 'AttName' }] }), 'Topic|Arn');
  fails({ 'Fn::GetAtt': ['Topic'] }, 'Template error: every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute');
});

test('Fn::GetAtt: a resource the template does not declare is refused in CloudFormation words', () => {
  fails({ 'Fn::GetAtt': ['Nope', 'Arn'] }, 'Template error: instance of Fn::GetAtt references undefined resource Nope');
});

test('Fn::Sub: parameters, pseudo parameters, resources, attributes and the context map', () => {
  assert.equal(ev({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Env}-${AWS::Region}' }), 'arn:aws:s3:::dev-us-east-1');
  assert.equal(ev({ 'Fn::Sub': '${Topic}/${Topic.TopicName}' }), 'Topic-phys/Topic|TopicName');
  assert.equal(ev({ 'Fn::Sub': ['${Name}-${Env}', { Name: { 'Fn::Join': ['-', ['a', 'b']] } }] }), 'a-b-dev');
});

test('Fn::Sub: ${!Literal} stays literal', () => {
  assert.equal(ev({ 'Fn::Sub': '${!Literal}-${!AWS::Region} ${Env}' }), '${Literal}-${AWS::Region} dev');
});

test('Fn::Sub: a malformed call or variable name is refused in CloudFormation words', () => {
  fails({ 'Fn::Sub': ['only'] }, "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string");
  fails({ 'Fn::Sub': '${a-b}' }, 'Template error: variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons');
  fails({ 'Fn::Sub': '${Missing}' }, 'Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template');
});

test('Fn::Join: joins literal lists, function results and numbers; AWS::NoValue elements drop out', () => {
  assert.equal(ev({ 'Fn::Join': [':', ['a', 1, { Ref: 'Env' }, { Ref: 'AWS::NoValue' }]] }), 'a:1:dev');
  assert.equal(ev({ 'Fn::Join': ['|', { Ref: 'Subnets' }] }), 'subnet-1|subnet-2|subnet-3');
  assert.equal(ev({ 'Fn::Join': ['', []] }), '');
  const msg = 'Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.';
  fails({ 'Fn::Join': [':'] }, msg);
  fails({ 'Fn::Join': [':', 'abc'] }, msg);
  fails({ 'Fn::Join': [':', [['nested']]] }, msg);
});

test('Fn::Select and Fn::Split: by index, out of range refused', () => {
  assert.equal(ev({ 'Fn::Select': ['1', ['apples', 'grapes', 'oranges']] }), 'grapes');
  assert.equal(ev({ 'Fn::Select': [2, { Ref: 'Subnets' }] }), 'subnet-3');
  assert.deepEqual(ev({ 'Fn::Split': [',', 'a,b,,c'] }), ['a', 'b', '', 'c']);
  assert.equal(ev({ 'Fn::Select': [0, { 'Fn::Split': ['/', 'x/y'] }] }), 'x');
  fails({ 'Fn::Select': [{ Ref: 'Env' }, ['a']] }, 'Template error: Fn::Select requires a list argument with two elements: an integer index and a list');
  fails({ 'Fn::Select': [{ 'Fn::Length': [1, 2, 3] }, { Ref: 'Subnets' }] }, 'Template error: Fn::Select  cannot select nonexistent value at index 3');
  fails({ 'Fn::Split': [','] }, 'Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.');
});

test('Fn::FindInMap: values as text, lists, the DefaultValue of AWS::LanguageExtensions, and misses', () => {
  assert.equal(ev({ 'Fn::FindInMap': ['RegionMap', { Ref: 'AWS::Region' }, 'Ami'] }), 'ami-east');
  assert.equal(ev({ 'Fn::FindInMap': ['RegionMap', 'us-east-1', 'Size'] }), '2');
  assert.deepEqual(ev({ 'Fn::FindInMap': ['RegionMap', 'us-east-1', 'Zones'] }), ['a', 'b']);
  assert.equal(ev({ 'Fn::FindInMap': ['RegionMap', { Ref: 'Env' }, 'Ami', { DefaultValue: 'fallback' }] }), 'fallback');
  fails({ 'Fn::FindInMap': ['RegionMap', { Ref: 'Env' }, 'Ami'] }, 'Template error: Unable to get mapping for RegionMap::dev::Ami');
  fails({ 'Fn::FindInMap': ['RegionMap', 'x'] }, 'Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value');
});

test('Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not and Condition follow the conditions evaluated once', () => {
  assert.equal(ev({ 'Fn::If': ['IsProd', 'big', 'small'] }), 'small');
  assert.equal(ev({ 'Fn::If': ['IsProd', 'big', 'small'] }, { params: { Env: 'prod' } }), 'big');
  assert.equal(ev({ 'Fn::If': ['IsDev', 'yes', 'no'] }), 'yes');
  const extra = {
    Conditions: {
      ...BASE.Conditions,
      Both: { 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] },
      Either: { 'Fn::Or': [{ Condition: 'IsProd' }, { 'Fn::Equals': ['a', 'b'] }] },
    },
  };
  assert.equal(ev({ 'Fn::If': ['Both', 1, 2] }, { extra }), 1);
  assert.equal(ev({ 'Fn::If': ['Either', 1, 2] }, { extra }), 2);
  fails({ 'Fn::If': ['Missing', 1, 2] }, 'Template error: unresolved condition dependency Missing in Fn::If');
  fails({ 'Fn::If': ['IsProd', 1] }, 'Template error: Fn::If requires a list argument with three elements');
});

test('Fn::Base64, Fn::GetAZs, Fn::ImportValue, Fn::ToJsonString and Fn::Length', () => {
  assert.equal(ev({ 'Fn::Base64': 'hello world' }), 'aGVsbG8gd29ybGQ=');
  assert.equal(ev({ 'Fn::Base64': { 'Fn::Sub': '${Env}-x' } }), 'ZGV2LXg=');
  assert.deepEqual(ev({ 'Fn::GetAZs': '' }), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  assert.deepEqual(ev({ 'Fn::GetAZs': { Ref: 'AWS::Region' } }), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  assert.deepEqual(ev({ 'Fn::GetAZs': 'eu-west-1' }), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  assert.equal(ev({ 'Fn::ImportValue': 'Shared' }), 'shared-value');
  fails({ 'Fn::ImportValue': 'Other' }, 'No export named Other found.');
  assert.equal(ev({ 'Fn::ToJsonString': { a: { Ref: 'Env' }, b: [1, { Ref: 'AWS::NoValue' }] } }), '{"a":"dev","b":[1]}');
  assert.equal(ev({ 'Fn::Length': { Ref: 'Subnets' } }), 3);
});

test('Fn::Cidr: real CIDR arithmetic for IPv4 and IPv6', () => {
  assert.deepEqual(ev({ 'Fn::Cidr': ['192.168.0.0/24', 6, 5] }), ['192.168.0.0/27', '192.168.0.32/27', '192.168.0.64/27', '192.168.0.96/27', '192.168.0.128/27', '192.168.0.160/27']);
  assert.deepEqual(ev({ 'Fn::Cidr': ['10.0.7.9/16', '2', '8'] }), ['10.0.0.0/24', '10.0.1.0/24']);
  // The host bits of the block are cleared before carving.
  assert.deepEqual(ev({ 'Fn::Cidr': ['10.0.255.9/17', 2, 8] }), ['10.0.128.0/24', '10.0.129.0/24']);
  assert.deepEqual(ev({ 'Fn::Cidr': ['fd00::1/126', 2, 1] }), ['fd00::/127', 'fd00::2/127']);
  assert.deepEqual(ev({ 'Fn::Cidr': ['2600:1f18:abc:de00::/56', 2, 64] }), ['2600:1f18:abc:de00::/64', '2600:1f18:abc:de01::/64']);
  assert.deepEqual(ev({ 'Fn::Select': [3, { 'Fn::Cidr': ['10.0.0.0/16', 4, 12] }] }), '10.0.48.0/20');
  fails({ 'Fn::Cidr': ['10.0.0.0/24', 9, 5] }, 'Template error: Fn::Cidr cannot fit 9 blocks with 5 CIDR bits in 10.0.0.0/24');
  fails({ 'Fn::Cidr': ['10.0.0/16', 1, 8] }, 'Template error: Fn::Cidr ipBlock 10.0.0/16 is not a valid CIDR block');
});

test('Evaluation: an unknown Fn:: function is refused; a key that is not a function is data', () => {
  fails({ 'Fn::Nope': 1 }, 'Template Error: Encountered unsupported function: Fn::Nope Supported functions are: [Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Sub, Fn::Cidr, Fn::Length, Fn::ToJsonString]');
  assert.deepEqual(ev({ Condition: 'IsProd' }), { Condition: 'IsProd' });
});

test('Fn::If and Fn::Not: malformed calls are refused in CloudFormation words', () => {
  fails({ 'Fn::If': [{ Ref: 'Env' }, 1, 2] }, 'Template error: Fn::If requires a list argument with the first element being a condition');
  const extra = { Conditions: { ...BASE.Conditions, Bad: { 'Fn::Not': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] } } };
  fails('x', 'Template error: Fn::Not requires a list argument with one element', { extra });
});
