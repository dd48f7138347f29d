// The AWS::Serverless-2016-10-31 transform: a pure function from a SAM template to a CloudFormation template.
import { partitionOf, type TransformContext } from './context.js';
import { DuplicateLogicalIdError, InvalidDocumentError, InvalidResourceError, InvalidTemplateError, SamError } from './errors.js';
import { IntrinsicsResolver, ResourceRefs, resolveResourceIdRefs, resolveResourceRefs } from './intrinsics.js';
import { PHASES, type Registry } from './registry.js';
import { SamResource } from './resource.js';
import { DeploymentPreferences } from './resources/deployment-preference.js';
import { defaultRegistry } from './default-registry.js';
import { isObj, truthy, type Json, type JsonObject, type TransformOptions } from './types.js';

/** Resource types a generated resource may replace in place (the SAM resource it came from, or a bucket it edits). */
const MAY_REPLACE: Record<string, string[]> = {
  'AWS::Lambda::Function': ['AWS::Serverless::Function'],
  'AWS::Lambda::LayerVersion': ['AWS::Serverless::LayerVersion'],
  'AWS::Lambda::CapacityProvider': ['AWS::Serverless::CapacityProvider'],
  'AWS::ApiGateway::RestApi': ['AWS::Serverless::Api'],
  'AWS::ApiGatewayV2::Api': ['AWS::Serverless::HttpApi', 'AWS::Serverless::WebSocketApi'],
  'AWS::S3::Bucket': ['AWS::S3::Bucket'],
  'AWS::SNS::Topic': ['AWS::SNS::Topic'],
  'AWS::DynamoDB::Table': ['AWS::Serverless::SimpleTable'],
  'AWS::CloudFormation::Stack': ['AWS::Serverless::Application'],
  'AWS::Cognito::UserPool': ['AWS::Cognito::UserPool'],
  'AWS::ApiGateway::DomainName': ['AWS::ApiGateway::DomainName'],
  'AWS::ApiGateway::BasePathMapping': ['AWS::ApiGateway::BasePathMapping'],
  'AWS::ApiGateway::DomainNameV2': ['AWS::ApiGateway::DomainNameV2'],
  'AWS::ApiGateway::BasePathMappingV2': ['AWS::ApiGateway::BasePathMappingV2'],
  'AWS::StepFunctions::StateMachine': ['AWS::Serverless::StateMachine'],
  'AWS::AppSync::GraphQLApi': ['AWS::Serverless::GraphQLApi'],
};

function uniqueId(id: string, type: string, samResources: JsonObject): boolean {
  const existing = samResources[id];
  if (existing === undefined) return true;
  const before = isObj(existing) ? existing['Type'] : undefined;
  return typeof before === 'string' && (MAY_REPLACE[type] ?? []).includes(before);
}

function validateStructure(t: JsonObject): void {
  const res = t['Resources'];
  if (!isObj(res) || Object.keys(res).length === 0) throw new InvalidDocumentError([new InvalidTemplateError("'Resources' section is required")]);
  if (!Object.values(res).every(isObj)) throw new InvalidDocumentError([new InvalidTemplateError("All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue.")]);
  for (const [id, r] of Object.entries(res)) {
    const rr = r as JsonObject;
    const cond = rr['Condition'];
    if (truthy(cond) && typeof cond !== 'string') throw new InvalidDocumentError([new InvalidTemplateError('Every Condition member must be a string.')]);
    if (typeof rr['Type'] !== 'string' || !rr['Type'].startsWith('AWS::Serverless::')) continue;
    if ('Properties' in rr && !isObj(rr['Properties'])) throw new InvalidDocumentError([new InvalidResourceError(id, "Attribute 'Properties' should be a map.")]);
  }
}

function parameterValues(t: JsonObject, opts: TransformOptions): Record<string, Json> {
  const params: Record<string, Json> = { ...(opts.parameterOverrides ?? {}) };
  const defs = t['Parameters'];
  if (isObj(defs)) {
    for (const [name, d] of Object.entries(defs)) if (!(name in params) && isObj(d) && 'Default' in d) params[name] = d['Default']!;
  }
  if (!('AWS::Region' in params)) params['AWS::Region'] = opts.region;
  if (!('AWS::Partition' in params)) params['AWS::Partition'] = opts.partition ?? partitionOf(opts.region);
  if (opts.accountId && !('AWS::AccountId' in params)) params['AWS::AccountId'] = opts.accountId;
  return params;
}

/** SAM's own types: one that is not registered is refused rather than silently passed to CloudFormation. */
const SAM_TYPES = [
  'AWS::Serverless::Function', 'AWS::Serverless::Api', 'AWS::Serverless::HttpApi', 'AWS::Serverless::WebSocketApi', 'AWS::Serverless::SimpleTable',
  'AWS::Serverless::LayerVersion', 'AWS::Serverless::StateMachine', 'AWS::Serverless::Application', 'AWS::Serverless::Connector',
  'AWS::Serverless::GraphQLApi', 'AWS::Serverless::CapacityProvider',
];

const asError = (e: unknown): SamError => {
  if (e instanceof SamError) return e;
  throw e;
};

/** Expands a SAM template; throws InvalidDocumentError carrying every problem, in samtranslator's words. */
export function transformSam(input: Json, opts: TransformOptions, registry: Registry = defaultRegistry()): JsonObject {
  if (!isObj(input)) throw new InvalidDocumentError([new InvalidTemplateError("'Resources' section is required")]);
  const sam = structuredClone(input);
  validateStructure(sam);
  const params = parameterValues(sam, opts);
  const mappings = sam['Mappings'];
  if ('Mappings' in sam && !isObj(mappings)) throw new InvalidDocumentError([new InvalidTemplateError("'Mappings' or 'Parameters' is either null or not a valid dictionary.")]);
  const errors: SamError[] = [];
  const out: JsonObject = {};
  const ctx: TransformContext = {
    registry,
    region: opts.region,
    partition: opts.partition ?? partitionOf(opts.region),
    accountId: opts.accountId,
    params,
    resolver: new IntrinsicsResolver(params),
    mappings: isObj(mappings) ? mappings : {},
    sam,
    out,
    refs: new ResourceRefs(),
    renamed: {},
    deployments: new DeploymentPreferences(),
    managedPolicyMap: opts.managedPolicyMap ?? {},
    integralFloats: opts.integralFloats,
    shared: new Map(),
  };

  // Plugins run before anything is translated; a failing plugin stops the transform, as in samtranslator.
  for (const p of registry.plugins) {
    if (!p.beforeTransform) continue;
    try {
      p.beforeTransform(sam, ctx);
    } catch (e) {
      if (e instanceof InvalidDocumentError) throw e;
      throw new InvalidDocumentError([asError(e)]);
    }
  }
  const embedded = ctx.shared.get('embeddedConnectorErrors') as SamError[] | undefined;
  if (embedded) errors.push(...embedded);

  Object.assign(out, structuredClone(sam));
  const outRes = out['Resources'] as JsonObject;
  const samRes = sam['Resources'] as JsonObject;

  const queue: [string, JsonObject][] = [];
  // A plugin may set the order resources are visited in (the reference iterates a Python 2.7 dict when APIs exist).
  const order = ctx.shared.get('resourceOrder') as ((ids: string[]) => string[]) | undefined;
  const ids = order ? order(Object.keys(samRes)) : Object.keys(samRes);
  for (const phase of PHASES) {
    for (const id of ids) {
      const r = samRes[id];
      if (!isObj(r) || typeof r['Type'] !== 'string') continue;
      const t = registry.resources.get(r['Type']);
      if (t && t.phase === phase) queue.push([id, r]);
    }
  }
  for (const [id, r] of Object.entries(samRes)) {
    const type = isObj(r) ? r['Type'] : undefined;
    if (typeof type === 'string' && SAM_TYPES.includes(type) && !registry.resources.has(type)) errors.push(new InvalidResourceError(id, `${type} is not supported by this transform yet.`));
  }
  for (const [id, raw] of queue) {
    const t = registry.resources.get(raw['Type'] as string)!;
    try {
      if (!/^[A-Za-z0-9]+$/.test(id)) throw new InvalidResourceError(id, 'Logical ids must be alphanumeric.');
      const r = new SamResource(id, t.type, raw);
      const generated = t.translate(r, ctx);
      if (t.referable) {
        const byType = new Map<string, string>();
        for (const g of generated) byType.set(g.resource.Type, g.id);
        for (const [prop, type] of Object.entries(t.referable)) {
          const gid = byType.get(type);
          if (gid) ctx.refs.add(id, prop, gid);
        }
      }
      delete outRes[id];
      for (const g of generated) {
        if (opts.passthroughMetadata && isObj(raw['Metadata']) && outRes[g.id] === undefined) g.resource.Metadata = raw['Metadata'];
        if (uniqueId(g.id, g.resource.Type, samRes)) outRes[g.id] = g.resource as unknown as Json;
        else errors.push(new DuplicateLogicalIdError(id, g.id, g.resource.Type));
      }
    } catch (e) {
      errors.push(asError(e));
    }
  }

  const dp = ctx.deployments.finish(ctx);
  for (const g of dp.generated) outRes[g.id] = g.resource as unknown as Json;
  for (const e of dp.errors) errors.push(asError(e));

  for (const p of registry.plugins) {
    if (!p.afterTransform) continue;
    try {
      p.afterTransform(out, ctx);
    } catch (e) {
      errors.push(asError(e));
    }
  }
  delete out['Transform'];
  if (errors.length > 0) throw new InvalidDocumentError(errors);

  renameDependsOn(out, ctx.renamed);
  resolveResourceIdRefs(out, ctx.renamed);
  resolveResourceRefs(out, ctx.refs);
  return out;
}

/** DependsOn entries naming a renamed resource follow the rename (anywhere in the template, as the reference). */
function renameDependsOn(v: Json, renamed: Record<string, string>): void {
  if (Object.keys(renamed).length === 0) return;
  if (Array.isArray(v)) {
    for (const x of v) renameDependsOn(x, renamed);
    return;
  }
  if (!isObj(v)) return;
  const d = v['DependsOn'];
  if (typeof d === 'string' && renamed[d]) v['DependsOn'] = renamed[d]!;
  else if (Array.isArray(d)) v['DependsOn'] = d.map((x) => (typeof x === 'string' && renamed[x] ? renamed[x]! : x));
  for (const x of Object.values(v)) renameDependsOn(x, renamed);
}
