// Unit: the SAM transform's AWS::Serverless::WebSocketApi (routes, stage, authorizer, domain, tags) as samtranslator makes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, transformSam, type JsonObject } from '../../src/services/cloudformation/index.js';

const transform = (yaml: string): JsonObject => transformSam(parseTemplate(yaml, 't.yaml'), { region: 'us-east-1' });
const resources = (yaml: string): Record<string, JsonObject> => transform(yaml)['Resources'] as Record<string, JsonObject>;
const props = (r: JsonObject | undefined): JsonObject => (r?.['Properties'] ?? {}) as JsonObject;

const api = (extra: string, routes = '        $connect: {FunctionArn: arn:connect}'): string => `
Resources:
  Ws:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
${extra}
      Routes:
${routes}
`;

test('WebSocketApi: each route gets a Route, an AWS_PROXY Integration and a Permission; the stage is "default"', () => {
  const rs = resources(api('', '        $connect: {FunctionArn: arn:c}\n        sendMessage: {FunctionArn: arn:s, IntegrationTimeout: 500}'));
  assert.deepEqual(Object.keys(rs).sort(), [
    'Ws', 'WsConnectIntegration', 'WsConnectPermission', 'WsConnectRoute', 'WsDefaultStage',
    'WsSendmessageIntegration', 'WsSendmessagePermission', 'WsSendmessageRoute',
  ]);
  assert.equal(rs['Ws']!['Type'], 'AWS::ApiGatewayV2::Api');
  assert.deepEqual(props(rs['Ws']), { Name: 'Ws', ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action', Tags: { 'websocketapi:createdBy': 'SAM' } });
  assert.equal(props(rs['WsSendmessageIntegration'])['TimeoutInMillis'], 500);
  assert.deepEqual(props(rs['WsSendmessagePermission'])['SourceArn'], {
    'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Ws.ApiId}/default/sendMessage',
  });
  assert.equal(props(rs['WsDefaultStage'])['StageName'], 'default');
  assert.equal(props(rs['WsDefaultStage'])['AutoDeploy'], true);
});

test('WebSocketApi: CUSTOM auth puts a REQUEST authorizer on $connect, with a permission unless InvokeRole is given', () => {
  const rs = resources(api('      Auth: {AuthType: CUSTOM, AuthArn: arn:auth, IdentitySource: [route.request.header.Auth]}'));
  assert.deepEqual(props(rs['WsConnectRoute'])['AuthorizerId'], { Ref: 'WsConnectAuthorizer' });
  assert.equal(props(rs['WsConnectRoute'])['AuthorizationType'], 'CUSTOM');
  assert.equal(props(rs['WsConnectAuthorizer'])['AuthorizerType'], 'REQUEST');
  assert.equal(props(rs['WsConnectAuthorizer'])['Name'], 'WsConnectAuthorizer');
  assert.ok(rs['WsAuthorizerPermission']);
  const withRole = resources(api('      Auth: {AuthType: CUSTOM, AuthArn: arn:auth, InvokeRole: arn:role}'));
  assert.equal(withRole['WsAuthorizerPermission'], undefined);
  assert.equal(props(withRole['WsConnectAuthorizer'])['AuthorizerCredentialsArn'], 'arn:role');
});

test('WebSocketApi: a named or intrinsic StageName shapes the stage id and the permission SourceArn', () => {
  const named = resources(api('      StageName: Prod'));
  assert.ok(named['WsProdStage']);
  const intrinsic = resources(`Parameters:\n  S: {Type: String}\n${api('      StageName: !Ref S')}`);
  assert.ok(intrinsic['WsStage']);
  assert.deepEqual(props(intrinsic['WsConnectPermission'])['SourceArn'], {
    'Fn::Sub': ['arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Ws.ApiId}/${__StageName__}/$connect', { __StageName__: { Ref: 'S' } }],
  });
});

test('WebSocketApi: a custom domain makes a v2 DomainName, an ApiMapping to the stage and a Route53 record set group', () => {
  const rs = resources(api('      Domain: {DomainName: ws.example.com, CertificateArn: arn:cert, Route53: {HostedZoneId: Z1}, BasePath: [/v1]}'));
  const domainId = Object.keys(rs).find((k) => k.startsWith('ApiGatewayDomainNameV2'))!;
  assert.match(domainId, /^ApiGatewayDomainNameV2[0-9a-f]{10}$/);
  assert.deepEqual(props(rs['Wsv1ApiMapping']), { DomainName: { Ref: domainId }, ApiId: { Ref: 'Ws' }, Stage: { Ref: 'WsDefaultStage' }, ApiMappingKey: 'v1' });
  const rsg = Object.entries(rs).find(([, r]) => r['Type'] === 'AWS::Route53::RecordSetGroup')![1];
  assert.equal((props(rsg)['RecordSets'] as JsonObject[])[0]!['Type'], 'A');
});

test('WebSocketApi: PropagateTags copies Tags (with the SAM tag) to the API, the stage and the domain', () => {
  const rs = resources(api('      Tags: {team: a}\n      PropagateTags: true\n      Domain: {DomainName: ws.example.com, CertificateArn: arn:cert}'));
  const want = { team: 'a', 'websocketapi:createdBy': 'SAM' };
  assert.deepEqual(props(rs['Ws'])['Tags'], want);
  assert.deepEqual(props(rs['WsDefaultStage'])['Tags'], want);
  const domainId = Object.keys(rs).find((k) => k.startsWith('ApiGatewayDomainNameV2'))!;
  assert.deepEqual(props(rs[domainId])['Tags'], want);
});

test("WebSocketApi: invalid input is refused in the reference's words", () => {
  const msg = (yaml: string): string => {
    try {
      transform(yaml);
    } catch (e) {
      return (e as Error).message.replace(/^.*?Resource with id \[Ws\] is invalid\. /, '');
    }
    return 'accepted';
  };
  assert.equal(msg(api('      Auth: {AuthType: AWS_IAM}', '        $default: {FunctionArn: arn}')), 'Authorization is only available if there is a $connect route.');
  assert.equal(msg(api('', '        $nope: {FunctionArn: arn}')), "Route key '$nope' must be alphanumeric. Only $connect, $disconnect, and $default special routes are supported.");
  assert.equal(msg(api('      StageName: $default')), 'Stages cannot be named $default for WebSocket APIs.');
  assert.equal(msg(api('', '        $connect: {IntegrationTimeout: 5}')), 'Route must have associated function.');
  assert.equal(msg(api('      IpAddressType: ipv6')), "IpAddressType must be 'ipv4' or 'dualstack'.");
  assert.equal(msg(api('      RouteSettings: [a]')), "Property 'RouteSettings' should be a map.");
});
