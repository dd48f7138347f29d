// AWS::Serverless::WebSocketApi → an API Gateway v2 WEBSOCKET API with its routes, integrations, permissions,
// stage, optional REQUEST authorizer on $connect and custom domain, exactly as samtranslator's generator makes them.
import type { TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import type { ResourceTranslator } from '../registry.js';
import type { SamResource } from '../resource.js';
import { cfn, clone, isIntrinsic, isObj, ref, sub, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { oneOf, validateProps, type Spec } from '../validate.js';
import { websocketDomain } from './websocket-domain.js';

/** samtranslator's property_types, in its order (the order errors are found in). */
const SPEC: Spec = {
  ApiKeySelectionExpression: 'string', AccessLogSettings: 'map', Auth: 'map', DefaultRouteSettings: 'map', Description: 'string',
  DisableExecuteApiEndpoint: 'bool', Domain: 'map', DisableSchemaValidation: 'bool', FailOnWarnings: 'bool', IpAddressType: 'string',
  Name: 'string', PropagateTags: 'bool', Routes: { check: 'map', required: true }, RouteSettings: 'map',
  RouteSelectionExpression: { check: 'string', required: true }, StageName: oneOf('string', 'map'), StageVariables: 'map', Tags: 'map',
};

const TAG = 'websocketapi:createdBy';
/** Not `$default` (HTTP APIs' stage), to keep it apart from the `$default` route. */
const DEFAULT_STAGE = 'default';
const SPECIAL_ROUTES = ['$connect', '$disconnect', '$default'];
const AUTH_TYPES = ['NONE', 'AWS_IAM', 'CUSTOM'];
const ALNUM = /^[A-Za-z0-9]+$/;

/** Python's str.capitalize(): first character upper case, the rest lower case. */
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
/** Python's str.isalnum() (Unicode letters and digits, not empty). */
const isAlnum = (s: string): boolean => /^[\p{L}\p{N}]+$/u.test(s);

const lambdaUri = (arnVar: string, arn: Json): JsonObject =>
  sub(`arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${arnVar}}/invocations`, { [arnVar]: arn });

/** A generated logical id must be alphanumeric, or the reference's Resource constructor refuses it. */
function checkedId(id: string): string {
  if (!ALNUM.test(id)) throw new InvalidResourceError(id, 'Logical ids must be alphanumeric.');
  return id;
}

class WebSocketApiBuilder {
  private readonly stageName: Json;
  private readonly auth: JsonObject | undefined;

  constructor(
    private readonly id: string,
    private readonly p: JsonObject,
    private readonly routes: JsonObject,
  ) {
    this.stageName = p['StageName'] ?? DEFAULT_STAGE;
    this.auth = truthy(p['Auth']) ? (p['Auth'] as JsonObject) : undefined;
    if (!truthy(routes)) throw new InvalidResourceError(id, 'WebSocket API must have at least one route.');
    const ip = p['IpAddressType'];
    if (ip !== undefined && ip !== null && !isIntrinsic(ip) && ip !== 'ipv4' && ip !== 'dualstack') {
      throw new InvalidResourceError(id, "IpAddressType must be 'ipv4' or 'dualstack'.");
    }
    const domain = p['Domain'];
    if (truthy(domain) && isObj(domain) && truthy(domain['MutualTlsAuthentication'])) {
      throw new InvalidResourceError(id, 'Mutual TLS domain name association is not supported for Websocket APIs.');
    }
  }

  build(dependsOn: Json | undefined): { resources: Generated[]; tagged: Generated[] } {
    const api = this.api(dependsOn);
    const tagged: Generated[] = [api];
    const domain = this.p['Domain'];
    const dom = domain !== undefined && domain !== null ? websocketDomain(this.id, domain as JsonObject, { [TAG]: 'SAM' }) : undefined;
    const stage = this.stage();
    const out: Generated[] = [api];
    let authorizer: Generated | undefined;
    const routeIds: string[] = [];
    for (const [key, spec] of Object.entries(this.routes)) {
      const r = this.route(key, (isObj(spec) ? spec : {}) as JsonObject);
      out.push(r.route, r.integration, r.permission);
      routeIds.push(r.route.id);
      if (r.authorizer) authorizer = r.authorizer;
    }
    if (dom) {
      out.push(dom.domain, ...dom.mappings);
      if (dom.recordSetGroup) out.push(dom.recordSetGroup);
      tagged.push(dom.domain);
    }
    if (truthy(this.p['RouteSettings']) && routeIds.length > 0) stage.resource.DependsOn = routeIds;
    out.push(stage);
    tagged.push(stage);
    if (authorizer) {
      out.push(authorizer);
      const perm = this.authorizerPermission();
      if (perm) out.push(perm);
    }
    return { resources: out, tagged };
  }

  private api(dependsOn: Json | undefined): Generated {
    if (this.auth && !('$connect' in this.routes)) throw new InvalidResourceError(this.id, 'Authorization is only available if there is a $connect route.');
    const tags = truthy(this.p['Tags']) ? { ...(this.p['Tags'] as JsonObject) } : {};
    tags[TAG] = 'SAM';
    const p = this.p;
    return {
      id: this.id,
      resource: cfn(
        'AWS::ApiGatewayV2::Api',
        {
          ApiKeySelectionExpression: p['ApiKeySelectionExpression'], Description: p['Description'],
          DisableExecuteApiEndpoint: p['DisableExecuteApiEndpoint'], DisableSchemaValidation: p['DisableSchemaValidation'],
          IpAddressType: p['IpAddressType'], Name: p['Name'] ?? this.id, RouteSelectionExpression: p['RouteSelectionExpression'],
          Tags: tags, ProtocolType: 'WEBSOCKET',
        },
        { DependsOn: truthy(dependsOn) ? dependsOn : undefined },
      ),
    };
  }

  private stage(): Generated {
    if (this.stageName === '$default') throw new InvalidResourceError(this.id, 'Stages cannot be named $default for WebSocket APIs.');
    const prefix = typeof this.stageName === 'string' ? this.stageName : '';
    const id = prefix === DEFAULT_STAGE ? `${this.id}DefaultStage` : `${this.id}${prefix}Stage`;
    const p = this.p;
    return {
      id: checkedId(id),
      resource: cfn('AWS::ApiGatewayV2::Stage', {
        ApiId: ref(this.id), StageName: this.stageName, StageVariables: p['StageVariables'], AccessLogSettings: p['AccessLogSettings'],
        DefaultRouteSettings: p['DefaultRouteSettings'], Tags: { [TAG]: 'SAM' }, AutoDeploy: true, RouteSettings: p['RouteSettings'],
      }),
    };
  }

  private routeIds(key: string): [string, string, string] {
    let clean: string;
    if (SPECIAL_ROUTES.includes(key)) clean = capitalize(key.replace(/\$/g, ''));
    else if (isAlnum(key)) clean = capitalize(key);
    else {
      throw new InvalidResourceError(this.id, `Route key '${key}' must be alphanumeric. Only $connect, $disconnect, and $default special routes are supported.`);
    }
    const base = `${this.id}${clean}`;
    return [`${base}Route`, `${base}Integration`, `${base}Permission`];
  }

  private route(key: string, spec: JsonObject): { route: Generated; integration: Generated; permission: Generated; authorizer?: Generated } {
    const [routeId, integrationId, permissionId] = this.routeIds(key);
    const rp: Record<string, Json | undefined> = {
      RouteKey: key, ApiId: ref(this.id), ApiKeyRequired: spec['ApiKeyRequired'], ModelSelectionExpression: spec['ModelSelectionExpression'],
      OperationName: spec['OperationName'], RequestModels: spec['RequestModels'],
    };
    if (truthy(spec['RequestParameters'])) {
      if (key !== '$connect') throw new InvalidResourceError(this.id, 'Request parameters are only supported for the $connect route in WebSocket APIs.');
      rp['RequestParameters'] = spec['RequestParameters'];
    }
    rp['RouteResponseSelectionExpression'] = spec['RouteResponseSelectionExpression'];
    rp['Target'] = { 'Fn::Join': ['/', ['integrations', ref(integrationId)]] };
    const authorizer = this.applyAuth(key, rp);
    const route: Generated = { id: checkedId(routeId), resource: cfn('AWS::ApiGatewayV2::Route', nullsDropped(rp)) };

    if (!('FunctionArn' in spec)) throw new InvalidResourceError(this.id, 'Route must have associated function.');
    const fnArn = spec['FunctionArn']!;
    const integration: Generated = {
      id: checkedId(integrationId),
      resource: cfn('AWS::ApiGatewayV2::Integration', nullsDropped({
        ApiId: ref(this.id), IntegrationType: 'AWS_PROXY', IntegrationUri: lambdaUri('FunctionArn', fnArn), TimeoutInMillis: spec['IntegrationTimeout'],
      })),
    };
    const arnHead = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${this.id}.ApiId}/`;
    const sourceArn = typeof this.stageName === 'string' ? sub(`${arnHead}${this.stageName}/${key}`) : sub(`${arnHead}\${__StageName__}/${key}`, { __StageName__: this.stageName });
    const permission: Generated = {
      id: checkedId(permissionId),
      resource: cfn('AWS::Lambda::Permission', nullsDropped({ Action: 'lambda:InvokeFunction', FunctionName: fnArn, Principal: 'apigateway.amazonaws.com', SourceArn: sourceArn })),
    };
    return authorizer ? { route, integration, permission, authorizer } : { route, integration, permission };
  }

  /** Validates Auth (on every route, as the reference does) and sets the $connect route's authorization. */
  private applyAuth(key: string, rp: Record<string, Json | undefined>): Generated | undefined {
    const auth = this.auth;
    if (!auth) return undefined;
    const t = auth['AuthType'];
    if (!truthy(t)) throw new InvalidResourceError(this.id, 'AuthType must be specified for additional auth configurations.');
    const upper = String(t).toUpperCase();
    if (!AUTH_TYPES.includes(upper)) throw new InvalidResourceError(this.id, 'AuthType is not one of AWS_IAM, CUSTOM or NONE.');
    if (upper === 'CUSTOM' && !truthy(auth['AuthArn'])) throw new InvalidResourceError(this.id, 'AuthArn must be specified if AuthType is CUSTOM.');
    const n = Object.keys(auth).length;
    if (upper === 'AWS_IAM' && n > 1) throw new InvalidResourceError(this.id, 'No additional configurations supported for AuthType AWS_IAM.');
    if (upper === 'NONE' && n > 1) throw new InvalidResourceError(this.id, 'No additional configurations supported for AuthType NONE.');
    if (key !== '$connect') return undefined;
    // The reference compares the value as written (not upper-cased) here: `custom` validates but ends up as NONE.
    if (t === 'CUSTOM') {
      if (!truthy(auth['AuthArn'])) return undefined;
      const a = this.authorizer();
      rp['AuthorizationType'] = 'CUSTOM';
      rp['AuthorizerId'] = ref(a.id);
      return a;
    }
    rp['AuthorizationType'] = t === 'AWS_IAM' ? 'AWS_IAM' : 'NONE';
    return undefined;
  }

  private authorizer(): Generated {
    const auth = this.auth!;
    const id = `${this.id}ConnectAuthorizer`;
    const p: Record<string, Json | undefined> = { ApiId: ref(this.id) };
    if ('InvokeRole' in auth) p['AuthorizerCredentialsArn'] = auth['InvokeRole'];
    p['AuthorizerType'] = 'REQUEST';
    if ('AuthArn' in auth) p['AuthorizerUri'] = lambdaUri('AuthArn', auth['AuthArn']!);
    p['IdentitySource'] = auth['IdentitySource'];
    p['Name'] = truthy(auth['Name']) ? auth['Name'] : id;
    return { id, resource: cfn('AWS::ApiGatewayV2::Authorizer', nullsDropped(p)) };
  }

  /** Only when API Gateway calls the authorizer with its own resource-based permission (no InvokeRole). */
  private authorizerPermission(): Generated | undefined {
    const auth = this.auth;
    if (!auth || auth['AuthType'] !== 'CUSTOM' || truthy(auth['InvokeRole']) || !truthy(auth['AuthArn'])) return undefined;
    return {
      id: `${this.id}AuthorizerPermission`,
      resource: cfn('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction', FunctionName: auth['AuthArn'], Principal: 'apigateway.amazonaws.com',
        SourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*', { __ApiId__: ref(this.id) }),
      }),
    };
  }
}

/** samtranslator omits properties whose value is None (an explicit null in the template too). */
function nullsDropped(p: Record<string, Json | undefined>): Record<string, Json | undefined> {
  const out: Record<string, Json | undefined> = {};
  for (const [k, v] of Object.entries(p)) if (v !== null) out[k] = v;
  return out;
}

export const websocketApiTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::WebSocketApi',
  phase: 'api',
  referable: { Stage: 'AWS::ApiGatewayV2::Stage', DomainName: 'AWS::ApiGatewayV2::DomainName' },
  translate(r: SamResource, ctx: TransformContext): Generated[] {
    validateProps(r.id, r.type, r.props, SPEC);
    // The reference resolves parameters in Auth, Domain and Routes only; the rest passes through as written.
    const p: JsonObject = {};
    for (const [k, v] of Object.entries(r.props)) if (v !== null) p[k] = v;
    for (const k of ['Auth', 'Domain', 'Routes']) if (p[k] !== undefined) p[k] = ctx.resolver.resolveParameterRefs(clone(p[k]!));
    const b = new WebSocketApiBuilder(r.id, p, (p['Routes'] ?? {}) as JsonObject);
    const { resources, tagged } = b.build(r.dependsOn);
    const tags = p['Tags'];
    if (truthy(p['PropagateTags']) && truthy(tags) && isObj(tags)) {
      const merged = { ...tags, [TAG]: 'SAM' };
      for (const g of tagged) g.resource.Properties!['Tags'] = { ...merged };
    }
    return resources;
  },
};
