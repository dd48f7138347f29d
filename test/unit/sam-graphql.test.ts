// Unit: the SAM transform's AWS::Serverless::GraphQLApi (AppSync API, auth, logging, data sources, functions, resolvers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, transformSam, type JsonObject } from '../../src/services/cloudformation/index.js';
import { PROPERTIES, validate } from '../../src/services/cloudformation/sam/resources/graphql/model.js';

const resources = (yaml: string): Record<string, JsonObject> =>
  transformSam(parseTemplate(yaml, 't.yaml'), { region: 'us-east-1' })['Resources'] as Record<string, JsonObject>;
const props = (r: JsonObject | undefined): JsonObject => (r?.['Properties'] ?? {}) as JsonObject;
const api = (body: string): string => `
Resources:
  Gql:
    Type: AWS::Serverless::GraphQLApi
    Properties:
      SchemaInline: "type Query { a: Int }"
${body}
`;
const error = (yaml: string): string => {
  try {
    resources(yaml);
  } catch (e) {
    return (e as Error).message.replace(/^Invalid Serverless Application Specification document\. Number of errors found: \d+\. /, '');
  }
  return 'accepted';
};

test('GraphQLApi: the API, its schema and a logging role; tags end with the SAM tag', () => {
  const rs = resources(api('      Auth: {Type: AWS_IAM}\n      Tags: {team: a}'));
  assert.deepEqual(Object.keys(rs).sort(), ['Gql', 'GqlCloudWatchRole', 'GqlSchema']);
  assert.deepEqual(props(rs['Gql'])['Tags'], [{ Key: 'team', Value: 'a' }, { Key: 'graphqlapi:createdBy', Value: 'SAM' }]);
  assert.deepEqual(props(rs['Gql'])['LogConfig'], { FieldLogLevel: 'ALL', CloudWatchLogsRoleArn: { 'Fn::GetAtt': ['GqlCloudWatchRole', 'Arn'] } });
  assert.deepEqual(props(rs['GqlSchema'])['ApiId'], { 'Fn::GetAtt': ['Gql', 'ApiId'] });
  const noLogs = resources(api('      Auth: {Type: AWS_IAM}\n      Logging: false'));
  assert.equal(noLogs['GqlCloudWatchRole'], undefined);
  assert.equal(props(noLogs['Gql'])['LogConfig'], undefined);
});

test('GraphQLApi: a Lambda authorizer (primary or additional) gets an invoke permission for AppSync', () => {
  const rs = resources(api('      Auth:\n        Type: API_KEY\n        Additional:\n          - Type: AWS_LAMBDA\n            LambdaAuthorizer: {AuthorizerUri: arn:fn}'));
  const perm = props(rs['GqlToLambdaAuthConnector1WriteLambdaPermission']);
  assert.equal(perm['Principal'], 'appsync.amazonaws.com');
  assert.equal(perm['FunctionName'], 'arn:fn');
  assert.deepEqual(props(rs['Gql'])['AdditionalAuthenticationProviders'], [{ AuthenticationType: 'AWS_LAMBDA', LambdaAuthorizerConfig: { AuthorizerUri: 'arn:fn' } }]);
});

test('GraphQLApi: a DynamoDB data source without a role gets one, with a read/write policy on the table', () => {
  const rs = resources(api('      Auth: {Type: AWS_IAM}\n      DataSources:\n        DynamoDb:\n          Todos: {TableName: todos, TableArn: arn:table}'));
  const ds = props(rs['GqlTodosDynamoDBDataSource']);
  assert.deepEqual(ds['ServiceRoleArn'], { 'Fn::GetAtt': ['GqlTodosDynamoDBDataSourceRole', 'Arn'] });
  assert.deepEqual(ds['DynamoDBConfig'], { AwsRegion: { Ref: 'AWS::Region' }, TableName: 'todos' });
  const policy = rs['GqlTodosDynamoDBDataSourceToTableConnectorPolicy']!;
  assert.equal(policy['Type'], 'AWS::IAM::ManagedPolicy');
  assert.deepEqual(props(policy)['Roles'], [{ Ref: 'GqlTodosDynamoDBDataSourceRole' }]);
  assert.equal(((props(policy)['PolicyDocument'] as JsonObject)['Statement'] as JsonObject[]).length, 2);
});

test('GraphQLApi: functions and pipeline resolvers; "none" makes one NONE data source; default resolver code', () => {
  const rs = resources(api(`      Auth: {Type: AWS_IAM}
      Functions:
        F1: {DataSource: NONE, InlineCode: code, Runtime: {Name: APPSYNC_JS, Version: 1.0.0}}
        F2: {DataSource: none, InlineCode: code, Runtime: {Name: APPSYNC_JS, Version: 1.0.0}}
      Resolvers:
        Query:
          a: {Pipeline: [F1, F2]}`));
  assert.equal(props(rs['GqlNoneDataSource'])['Type'], 'NONE');
  assert.deepEqual(props(rs['GqlF2'])['DataSourceName'], { 'Fn::GetAtt': ['GqlNoneDataSource', 'Name'] });
  const resolver = rs['GqlQuerya']!;
  assert.deepEqual(resolver['DependsOn'], ['GqlSchema']);
  assert.equal(props(resolver)['Kind'], 'PIPELINE');
  assert.deepEqual(props(resolver)['Runtime'], { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' });
  assert.match(String(props(resolver)['Code']), /export function response\(ctx\)/);
  assert.deepEqual((props(resolver)['PipelineConfig'] as JsonObject)['Functions'], [{ 'Fn::GetAtt': ['GqlF1', 'FunctionId'] }, { 'Fn::GetAtt': ['GqlF2', 'FunctionId'] }]);
});

test('GraphQLApi model: the first error is where pydantic finds it (fields in order, then unknown keys)', () => {
  const loc = (v: JsonObject): string => {
    const r = validate(PROPERTIES, v);
    return r.ok ? 'ok' : r.loc.join('.');
  };
  assert.equal(loc({}), 'Auth');
  assert.equal(loc({ Auth: { Type: 'NOPE' } }), 'Auth.Type');
  assert.equal(loc({ Auth: { Type: 'API_KEY', Additional: { Type: 'AWS_IAM' } } }), 'Auth.Additional');
  assert.equal(loc({ Auth: { Type: 'API_KEY' }, Logging: { Bad: 1 } }), 'Logging.Bad');
  assert.equal(loc({ Auth: { Type: 'API_KEY' }, XrayEnabled: 'yes' }), 'ok');
  assert.equal(loc({ Auth: { Type: 'API_KEY' }, Resolvers: { Query: { q: { Pipeline: [{}] } } } }), 'Resolvers.Query.q.Pipeline.0');
});

test("GraphQLApi: invalid input is refused in the reference's words", () => {
  assert.equal(error(api('      XrayEnabled: true')), "Resource with id [Gql] is invalid. Missing required property 'Auth'.");
  assert.equal(error(api('      Auth: {Type: AWS_LAMBDA}')), "Resource with id [Gql] is invalid. 'LambdaAuthorizer' must be defined if type is 'AWS_LAMBDA'.");
  assert.equal(
    error(api('      Auth: {Type: AWS_IAM}\n      Functions:\n        F: {DataSource: Missing, CodeUri: s3://b/k}')),
    "Resource with id [F] is invalid. Either define DataSource 'Missing' in 'DataSources' or use intrinsic function like GetAtt, ImportValue, Sub or another one to reference a DataSource defined outside of this GraphQLApi resource.",
  );
  assert.equal(
    error(api('      Auth: {Type: AWS_IAM}\n      Resolvers:\n        Query:\n          q: {FieldName: a}')),
    "Resource with id [q] is invalid. Resolver 'q' must have Pipeline defined. Unit resolvers are not supported. If you need a Unit resolver you can use AppSync resource.",
  );
});
