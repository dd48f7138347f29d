// AWS::Serverless::WebSocketApi → an API Gateway v2 WEBSOCKET API with a route, integration and permission per route.
import { InvalidResourceError } from '../errors.js';
import type { ResourceTranslator } from '../registry.js';
import { cfn, isIntrinsic, isObj, ref, sub, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { oneOf, validateProps, type Spec } from '../validate.js';
import { apiV2Domain } from './apiv2-domain.js';

const SPEC: Spec = {
  ApiKeySelectionExpression: 'string', AccessLogSettings: 'map', Auth: 'map', DefaultRouteSettings: 'map', Description: 'string', DisableExecuteApiEndpoint: 'bool',
  Domain: 'map', DisableSchemaValidation: 'bool', FailOnWarnings: 'bool', IpAddressType: 'string', Name: 'string', PropagateTags: 'bool',
  Routes: { check: 'map', required: true }, RouteSettings: 'map', RouteSelectionExpression: { check: 'string', required: true }, StageName: oneOf('string', 'map'),
  StageVariables: 'map', Tags: 'map',
};
const TAG = 'websocketapi:createdBy';
const SPECIAL = ['$connect', '$disconnect', '$default'];
const isAlnum = (s: string): boolean => /^[\p{L}\p{N}]+$/u.test(s);
const capitalize = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s);

function routeIds(id: string, key: string): [string, string, string] {
  let clean: string;
  if (SPECIAL.includes(key)) clean = capitalize(key.replace(/\$/g, ''));
  else if (isAlnum(key)) clean = capitalize(key);
  else throw new InvalidResourceError(id, `Route key '${key}' must be alphanumeric. Only $connect, $disconnect, and $default special routes are supported.`);
  const base = id + clean;
  return [`${base}Route`, `${base}Integration`, `${base}Permission`];
}

function validateAuth(id: string, auth: JsonObject): void {
  let type = auth['AuthType'];
  if (!truthy(type)) throw new InvalidResourceError(id, 'AuthType must be specified for additional auth configurations.');
  type = String(type).toUpperCase();
  if (!['NONE', 'AWS_IAM', 'CUSTOM'].includes(type)) throw new InvalidResourceError(id, 'AuthType is not one of AWS_IAM, CUSTOM or NONE.');
  if (type === 'CUSTOM' && !truthy(auth['AuthArn'])) throw new InvalidResourceError(id, 'AuthArn must be specified if AuthType is CUSTOM.');
  if (type === 'AWS_IAM' && Object.keys(auth).length > 1) throw new InvalidResourceError(id, 'No additional configurations supported for AuthType AWS_IAM.');
  if (type === 'NONE' && Object.keys(auth).length > 1) throw new InvalidResourceError(id, 'No additional configurations supported for AuthType NONE.');
}

export const webSocketApiTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::WebSocketApi',
  phase: 'api',
  referable: { Stage: 'AWS::ApiGatewayV2::Stage', DomainName: 'AWS::ApiGatewayV2::DomainName' },
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, SPEC);
    const id = r.id;
    const auth = ctx.resolver.resolveParameterRefs(structuredClone(r.get('Auth'))) as JsonObject | undefined;
    const domain = ctx.resolver.resolveParameterRefs(structuredClone(r.get('Domain'))) as JsonObject | undefined;
    const routes = ctx.resolver.resolveParameterRefs(structuredClone(r.get('Routes'))) as JsonObject | undefined;
    const stageName: Json = r.get('StageName') ?? 'default';
    if (!truthy(routes)) throw new InvalidResourceError(id, 'WebSocket API must have at least one route.');
    const ip = r.get('IpAddressType');
    if (ip !== undefined && !isIntrinsic(ip) && ip !== 'ipv4' && ip !== 'dualstack') throw new InvalidResourceError(id, "IpAddressType must be 'ipv4' or 'dualstack'.");
    if (isObj(domain) && truthy(domain['MutualTlsAuthentication'])) throw new InvalidResourceError(id, 'Mutual TLS domain name association is not supported for Websocket APIs.');
    if (truthy(auth) && !('$connect' in routes!)) throw new InvalidResourceError(id, 'Authorization is only available if there is a $connect route.');
    const tags: JsonObject = { ...(isObj(r.get('Tags')) ? (r.get('Tags') as JsonObject) : {}), [TAG]: 'SAM' };
    // samtranslator builds the WebSocket API without the SAM resource's attributes (no Condition/DeletionPolicy copied).
    const api = cfn(
      'AWS::ApiGatewayV2::Api',
      {
        ApiKeySelectionExpression: r.get('ApiKeySelectionExpression'),
        Description: r.get('Description'),
        DisableExecuteApiEndpoint: r.get('DisableExecuteApiEndpoint'),
        DisableSchemaValidation: r.get('DisableSchemaValidation'),
        IpAddressType: ip,
        Name: r.get('Name') ?? id,
        RouteSelectionExpression: r.get('RouteSelectionExpression'),
        Tags: tags,
        ProtocolType: 'WEBSOCKET',
      },
      { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined },
    );
    // samtranslator looks the record set groups up under a misspelt key, so each WebSocket API has its own.
    const domainResources = apiV2Domain(isObj(domain) ? domain : undefined, { apiId: id, defaultTagName: TAG, attributes: {}, recordSetGroups: new Map() });
    if (stageName === '$default') throw new InvalidResourceError(id, 'Stages cannot be named $default for WebSocket APIs.');
    const prefix = typeof stageName === 'string' ? stageName : '';
    const stageId = prefix !== 'default' ? `${id}${prefix}Stage` : `${id}DefaultStage`;
    const stage = cfn('AWS::ApiGatewayV2::Stage', {
      ApiId: ref(id),
      StageName: stageName,
      StageVariables: r.get('StageVariables'),
      AccessLogSettings: r.get('AccessLogSettings'),
      DefaultRouteSettings: r.get('DefaultRouteSettings'),
      Tags: { [TAG]: 'SAM' },
      AutoDeploy: true,
      RouteSettings: r.get('RouteSettings'),
    });
    const out: Generated[] = [{ id, resource: api }, ...domainResources];
    const routeIdsAll: string[] = [];
    let authorizer: Generated | undefined;
    for (const [key, specRaw] of Object.entries(routes!)) {
      const spec = (isObj(specRaw) ? specRaw : {}) as JsonObject;
      const [routeId, integrationId, permId] = routeIds(id, key);
      const rp: Record<string, Json | undefined> = {
        RouteKey: key,
        ApiId: ref(id),
        ApiKeyRequired: spec['ApiKeyRequired'] ?? undefined,
        ModelSelectionExpression: spec['ModelSelectionExpression'] ?? undefined,
        OperationName: spec['OperationName'] ?? undefined,
        RequestModels: spec['RequestModels'] ?? undefined,
      };
      if (truthy(spec['RequestParameters'])) {
        if (key !== '$connect') throw new InvalidResourceError(id, 'Request parameters are only supported for the $connect route in WebSocket APIs.');
        rp['RequestParameters'] = spec['RequestParameters'];
      }
      rp['RouteResponseSelectionExpression'] = spec['RouteResponseSelectionExpression'] ?? undefined;
      rp['Target'] = { 'Fn::Join': ['/', ['integrations', ref(integrationId)]] };
      if (truthy(auth)) {
        validateAuth(id, auth!);
        if (key === '$connect') {
          if (auth!['AuthType'] === 'CUSTOM') {
            const authId = `${id}ConnectAuthorizer`;
            const ap: Record<string, Json | undefined> = { ApiId: { Ref: id } };
            if ('InvokeRole' in auth!) ap['AuthorizerCredentialsArn'] = auth!['InvokeRole'];
            ap['AuthorizerType'] = 'REQUEST';
            if ('AuthArn' in auth!) ap['AuthorizerUri'] = sub('arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthArn}/invocations', { AuthArn: auth!['AuthArn']! });
            ap['IdentitySource'] = auth!['IdentitySource'] ?? undefined;
            ap['Name'] = truthy(auth!['Name']) ? auth!['Name'] : authId;
            authorizer = { id: authId, resource: cfn('AWS::ApiGatewayV2::Authorizer', ap) };
            rp['AuthorizationType'] = 'CUSTOM';
            rp['AuthorizerId'] = { Ref: authId };
          } else if (auth!['AuthType'] === 'AWS_IAM') rp['AuthorizationType'] = 'AWS_IAM';
          else rp['AuthorizationType'] = 'NONE';
        }
      }
      if (!('FunctionArn' in spec)) throw new InvalidResourceError(id, 'Route must have associated function.');
      const integration = cfn('AWS::ApiGatewayV2::Integration', {
        ApiId: ref(id),
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: sub('arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations', { FunctionArn: spec['FunctionArn']! }),
        TimeoutInMillis: spec['IntegrationTimeout'] ?? undefined,
      });
      const sourceArn =
        typeof stageName === 'string'
          ? sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${id}.ApiId}/${stageName}/${key}`)
          : sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${id}.ApiId}/\${__StageName__}/${key}`, { __StageName__: stageName });
      const perm = cfn('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: spec['FunctionArn'], Principal: 'apigateway.amazonaws.com', SourceArn: sourceArn });
      out.push({ id: routeId, resource: cfn('AWS::ApiGatewayV2::Route', rp) }, { id: integrationId, resource: integration }, { id: permId, resource: perm });
      routeIdsAll.push(routeId);
    }
    if (truthy(r.get('RouteSettings')) && routeIdsAll.length) stage.DependsOn = routeIdsAll;
    out.push({ id: stageId, resource: stage });
    if (authorizer) {
      out.push(authorizer);
      if (auth!['AuthType'] === 'CUSTOM' && !truthy(auth!['InvokeRole']) && truthy(auth!['AuthArn'])) {
        out.push({
          id: `${id}AuthorizerPermission`,
          resource: cfn('AWS::Lambda::Permission', {
            Action: 'lambda:InvokeFunction',
            FunctionName: auth!['AuthArn'],
            Principal: 'apigateway.amazonaws.com',
            SourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*', { __ApiId__: ref(id) }),
          }),
        });
      }
    }
    // PropagateTags: the API's and the stage's tag maps are replaced by the resource's Tags (assign_tags).
    // samtranslator adds its own tag to the resource's Tags map in place, so the propagated map carries it too.
    if (r.get('PropagateTags') === true && isObj(r.get('Tags'))) {
      for (const g of out) if (['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::DomainName'].includes(g.resource.Type)) g.resource.Properties!['Tags'] = { ...tags };
    }
    return out;
  },
};
