// AWS::Serverless::Connector (and the Connectors attribute): least-privilege policies between two resources,
// chosen from AWS's connector profiles by the source and destination types.
import { outResources, samResources, type TransformContext } from '../context.js';
import { DuplicateLogicalIdError, InvalidResourceError, type SamError } from '../errors.js';
import { CONNECTOR_PROFILES } from '../data/connector-profiles.data.js';
import type { ResourceTranslator, TemplatePlugin } from '../registry.js';
import type { SamResource } from '../resource.js';
import { cfn, isIntrinsic, isObj, ref, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { dictOf, listOf, oneOf, validateProps, type Spec } from '../validate.js';

const PERMISSIONS = CONNECTOR_PROFILES['Permissions'] as Record<string, Record<string, JsonObject>>;
const CFN_PROPS = CONNECTOR_PROFILES['CfnResourceProperties'] as Record<string, JsonObject>;
const SAM_TO_CFN: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
};

const SPEC: Spec = {
  Source: { check: dictOf('any'), required: true },
  Destination: { check: oneOf(dictOf('any'), listOf(dictOf('any'))), required: true },
  Permissions: { check: listOf('string'), required: true },
};

interface Ref {
  logicalId?: string;
  type: string;
  arn?: Json;
  roleName?: Json;
  queueUrl?: Json;
  resourceId?: Json;
  name?: Json;
  qualifier?: Json;
}

class ConnectorResourceError extends Error {}

/** Ref or GetAtt target of an intrinsic (get_logical_id_from_intrinsic). */
export function logicalIdOfIntrinsic(v: Json | undefined): string | undefined {
  if (!isIntrinsic(v)) return undefined;
  if (typeof v['Ref'] === 'string') return v['Ref'];
  const g = v['Fn::GetAtt'];
  if (Array.isArray(g) && g.length === 2 && typeof g[0] === 'string') return g[0];
  if (typeof g === 'string') {
    const t = g.split('.');
    if (t.length === 2) return t[0];
  }
  return undefined;
}

const sanitize = (s: string): string => [...s].filter((c) => /[\p{L}\p{N}]/u.test(c)).join('');

function replaceStr(s: Json, repl: Record<string, Json | undefined>): Json {
  if (typeof s !== 'string') return s;
  const vars: JsonObject = {};
  let str = s;
  for (const [k, v] of Object.entries(repl)) {
    const pattern = `%{${k}}`;
    if (str.includes(pattern) && (v === undefined || v === null)) throw new Error(`${k} is missing.`);
    if (pattern === str) return v!;
    if (str.includes(pattern)) {
      str = str.split(pattern).join(`\${${sanitize(k)}}`);
      vars[sanitize(k)] = v!;
    }
  }
  if (/\$\{.+\}/.test(str)) return Object.keys(vars).length > 0 ? { 'Fn::Sub': [str, vars] } : { 'Fn::Sub': str };
  return str;
}

function profileReplace(v: Json, repl: Record<string, Json | undefined>): Json {
  if (Array.isArray(v)) return v.map((x) => profileReplace(x, repl));
  if (isObj(v)) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = profileReplace(x, repl);
    return o;
  }
  return replaceStr(v, repl);
}

function eventsRuleRole(connId: Json | undefined, connArn: Json | undefined, props: JsonObject): Json | undefined {
  const targets = props['Targets'];
  for (const t of Array.isArray(targets) ? targets : []) {
    if (!isObj(t)) continue;
    const arn = t['Arn'];
    const id = logicalIdOfIntrinsic(arn);
    if ((id && id === connId) || (truthy(connArn) && JSON.stringify(arn) === JSON.stringify(connArn))) return t['RoleArn'];
  }
  return undefined;
}

function reference(obj: JsonObject, resources: JsonObject, connecting: JsonObject): Ref {
  const hasId = 'Id' in obj;
  const nonId = Object.keys(obj).some((k) => k !== 'Id' && k !== 'Qualifier');
  if (hasId === nonId) throw new ConnectorResourceError("Must provide 'Id' (with optional 'Qualifier') or a supported combination of other properties.");
  const id = obj['Id'];
  if (!truthy(id)) {
    const type = obj['Type'];
    if (!truthy(type) || typeof type !== 'string') throw new ConnectorResourceError("'Type' is missing or not a string.");
    const g = (k: string): Json | undefined => obj[k] ?? undefined;
    return { type: SAM_TO_CFN[type] ?? type, arn: g('Arn'), roleName: g('RoleName'), queueUrl: g('QueueUrl'), resourceId: g('ResourceId'), name: g('Name'), qualifier: g('Qualifier') };
  }
  if (typeof id !== 'string') throw new ConnectorResourceError("'Id' is missing or not a string.");
  const res = resources[id];
  if (!isObj(res)) throw new ConnectorResourceError(`Unable to find resource with logical ID '${id}'.`);
  const type = res['Type'];
  if (!truthy(type) || typeof type !== 'string') throw new ConnectorResourceError("'Type' is missing or not a string.");
  const props = isObj(res['Properties']) ? res['Properties'] : {};
  const cfnProps = profileReplace(structuredClone(CFN_PROPS[type] ?? {}), { logicalId: id }) as JsonObject;
  const outputs = (cfnProps['Outputs'] ?? {}) as JsonObject;
  const roleProp = (cfnProps['Inputs'] as JsonObject | undefined)?.['Role'];
  let role: Json | undefined;
  if (typeof roleProp === 'string') role = props[roleProp];
  else if (isObj(roleProp) && roleProp['Function'] === 'GetEventsRuleRole') role = eventsRuleRole(connecting['Id'], connecting['Arn'], props);
  const roleId = truthy(role) ? logicalIdOfIntrinsic(role) : undefined;
  return {
    logicalId: id,
    type,
    arn: outputs['Arn'],
    roleName: roleId ? ref(roleId) : undefined,
    queueUrl: outputs['Url'],
    resourceId: outputs['Id'],
    name: outputs['Name'],
    qualifier: 'Qualifier' in obj ? obj['Qualifier'] : outputs['Qualifier'],
  };
}

const asArray = (x: Json | undefined): Json[] => (Array.isArray(x) ? x : [x ?? null]);
function insertUnique(xs: Json | undefined, vs: Json): Json[] {
  const out = structuredClone(asArray(xs));
  for (const v of asArray(vs)) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
  return out;
}

function addDependsOn(resources: JsonObject, id: string, dep: string): void {
  const r = resources[id];
  if (!isObj(r)) return;
  r['DependsOn'] = insertUnique(r['DependsOn'] ?? [], dep);
}

function statements(profile: JsonObject, perms: string[]): JsonObject {
  const st: Json[] = [];
  for (const [name, s] of Object.entries(profile['AccessCategories'] as JsonObject)) if (perms.includes(name)) st.push(...((s as JsonObject)['Statement'] as Json[]));
  return { Version: '2012-10-17', Statement: st };
}

function generate(r: SamResource, ctx: TransformContext, src: Ref, dst: Ref, index: number, multi: boolean, perms: string[]): Generated[] {
  const profile = structuredClone(PERMISSIONS[src.type]?.[dst.type]);
  if (!profile) throw new InvalidResourceError(r.id, `Unable to create connector from ${src.type} to ${dst.type}; it's not supported or the template is invalid.`);
  let props = profile['Properties'] as JsonObject;
  const categories = Object.keys(props['AccessCategories'] as JsonObject);
  const valid = categories.join(', ');
  if (perms.length === 0) throw new InvalidResourceError(r.id, `'Permissions' cannot be empty; valid values are: ${valid}.`);
  for (const p of perms) if (!categories.includes(p)) throw new InvalidResourceError(r.id, `Unsupported 'Permissions' provided for connector from ${src.type} to ${dst.type}; valid values are: ${valid}.`);
  const combos = props['ValidAccessCategories'] as string[][] | undefined;
  if (combos && combos.length) {
    const sorted = combos.map((c) => [...c].sort());
    const mine = JSON.stringify([...perms].sort());
    if (!sorted.some((c) => JSON.stringify(c) === mine)) {
      throw new InvalidResourceError(r.id, `Unsupported 'Permissions' provided for connector from ${src.type} to ${dst.type}; valid combinations are: ${sorted.map((c) => c.join(' + ')).join(', ')}.`);
    }
  }
  const repl: Record<string, Json | undefined> = {
    'Source.Arn': src.arn, 'Destination.Arn': dst.arn, 'Source.ResourceId': src.resourceId, 'Destination.ResourceId': dst.resourceId,
    'Source.Name': src.name, 'Destination.Name': dst.name, 'Source.Qualifier': src.qualifier, 'Destination.Qualifier': dst.qualifier,
  };
  try {
    props = profileReplace(props, repl) as JsonObject;
  } catch (e) {
    throw new InvalidResourceError(r.id, (e as Error).message);
  }
  const left = JSON.stringify(props).match(/%\{[\w.]+\}/g);
  if (left) throw new Error(`The following variables have not been replaced: ${left.join(', ')}`);
  const attrs: Record<string, Json | undefined> = { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs };
  const sourceSide = props['SourcePolicy'] === true;
  const side = sourceSide ? src : dst;
  const sideName = sourceSide ? 'Source' : 'Destination';
  const suffix = (base: string): string => (multi ? `${r.id}${base}Destination${index}` : `${r.id}${base}`);
  const resources = outResources(ctx);
  switch (profile['Type']) {
    case 'AWS_IAM_ROLE_MANAGED_POLICY': {
      if (!truthy(side.roleName)) throw new InvalidResourceError(r.id, `Unable to get IAM role name from '${sideName}' resource.`);
      const id = suffix('Policy');
      const dependedBy = props['DependedBy'];
      if (dependedBy === 'DESTINATION_EVENT_SOURCE_MAPPING' && src.logicalId && dst.logicalId) {
        const esms = Object.entries(resources).filter(([, x]) => {
          if (!isObj(x) || x['Type'] !== 'AWS::Lambda::EventSourceMapping') return false;
          const p = isObj(x['Properties']) ? x['Properties'] : {};
          return logicalIdOfIntrinsic(p['FunctionName']) === dst.logicalId && logicalIdOfIntrinsic(p['EventSourceArn']) === src.logicalId;
        });
        if (esms.length === 1) addDependsOn(resources, esms[0]![0], id);
      }
      if (dependedBy === 'SOURCE' && src.logicalId) addDependsOn(resources, src.logicalId, id);
      return [{ id, resource: cfn('AWS::IAM::ManagedPolicy', { PolicyDocument: statements(props, perms), Roles: [side.roleName!] }, attrs) }];
    }
    case 'AWS_SQS_QUEUE_POLICY': {
      if (!truthy(side.queueUrl)) throw new InvalidResourceError(r.id, `Unable to get SQS queue URL from '${sideName}' resource.`);
      return [{ id: suffix('QueuePolicy'), resource: cfn('AWS::SQS::QueuePolicy', { PolicyDocument: statements(props, perms), Queues: [side.queueUrl!] }, attrs) }];
    }
    case 'AWS_SNS_TOPIC_POLICY': {
      if (!truthy(side.arn)) throw new InvalidResourceError(r.id, `Unable to get SNS topic ARN from '${sideName}' resource.`);
      return [{ id: suffix('TopicPolicy'), resource: cfn('AWS::SNS::TopicPolicy', { PolicyDocument: statements(props, perms), Topics: [side.arn!] }, attrs) }];
    }
    case 'AWS_LAMBDA_PERMISSION': {
      if (!truthy(side.arn)) throw new InvalidResourceError(r.id, `Unable to get Lambda function ARN from '${sideName}' resource.`);
      const out: Generated[] = [];
      for (const [name, p] of Object.entries(props['AccessCategories'] as Record<string, JsonObject>)) {
        if (!perms.includes(name)) continue;
        const id = multi ? `${r.id}${name}LambdaPermissionDestination${index}` : `${r.id}${name}LambdaPermission`;
        out.push({ id, resource: cfn('AWS::Lambda::Permission', { Action: p['Action'], FunctionName: side.arn, Principal: p['Principal'], SourceArn: p['SourceArn'], SourceAccount: p['SourceAccount'] }, attrs) });
      }
      return out;
    }
    default:
      throw new Error(`Profile type ${String(profile['Type'])} is not supported`);
  }
}

export const connectorTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::Connector',
  phase: 'connector',
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, SPEC);
    const source = r.props['Source'] as JsonObject;
    const d = r.props['Destination']!;
    const multi = !isObj(d);
    const dests = (isObj(d) ? [d] : d) as JsonObject[];
    const perms = [...new Set(r.props['Permissions'] as string[])];
    const resources = outResources(ctx);
    const original = samResources(ctx);
    const out: Generated[] = [];
    dests.forEach((dest, i) => {
      let dst: Ref;
      let src: Ref;
      try {
        dst = reference(dest, resources, source);
        src = reference(source, resources, dest);
      } catch (e) {
        if (e instanceof ConnectorResourceError) throw new InvalidResourceError(r.id, e.message);
        throw e;
      }
      const generated = generate(r, ctx, src, dst, i, multi, perms);
      const typeOf = (id: string | undefined): Json | undefined => (id && isObj(original[id]) ? (original[id] as JsonObject)['Type'] : undefined);
      const metadata = { 'aws:sam:connectors': { [r.id]: { Source: { Type: typeOf(src.logicalId) ?? src.type }, Destination: { Type: typeOf(dst.logicalId) ?? dst.type } } } };
      for (const g of generated) g.resource.Metadata = { ...(isObj(g.resource.Metadata) ? g.resource.Metadata : {}), ...metadata } as JsonObject;
      out.push(...generated);
    });
    const ids = out.map((g) => g.id);
    for (const res of Object.values(resources)) {
      if (!isObj(res)) continue;
      const deps = asArray(res['DependsOn'] ?? []);
      const at = deps.findIndex((x) => x === r.id);
      if (at >= 0) {
        deps.splice(at, 1);
        res['DependsOn'] = insertUnique(deps, ids);
      }
    }
    if (out.length === 0) throw new InvalidResourceError(r.id, "'Destination' is an empty list");
    return out;
  },
};

/** The Connectors attribute of any resource becomes `<Source><Name>` Connector resources before translation. */
export const embeddedConnectorsPlugin: TemplatePlugin = {
  name: 'EmbeddedConnectors',
  order: 100,
  beforeTransform(template, ctx) {
    const resources = template['Resources'] as JsonObject;
    const errors: SamError[] = [];
    const add: JsonObject = {};
    for (const [sourceId, res] of Object.entries(resources)) {
      if (!isObj(res) || !('Connectors' in res)) continue;
      const conns = res['Connectors'];
      if (!isObj(conns)) {
        errors.push(new InvalidResourceError(sourceId, `Attribute '${sourceId}.Connectors' should be a map.`));
        continue;
      }
      for (const [name, c] of Object.entries(conns)) {
        const fullId = sourceId + name;
        try {
          if (!isObj(c)) throw new InvalidResourceError(fullId, `${sourceId}.${fullId} should be a map.`);
          const conn = structuredClone(c);
          conn['Type'] = 'AWS::Serverless::Connector';
          const props = conn['Properties'];
          if (!isObj(props)) throw new InvalidResourceError(sourceId, `Attribute 'Connectors.${name}.Properties' should be a map.`);
          props['Source'] = { Id: sourceId };
          if ('SourceReference' in props) {
            const sr = props['SourceReference'];
            if (!isObj(sr)) throw new InvalidResourceError(sourceId, `Property 'Connectors.${name}.Properties.SourceReference' should be a map.`);
            if ('Id' in sr) throw new InvalidResourceError(name, "'Id' shouldn't be defined in 'SourceReference'.");
            Object.assign(props['Source'] as JsonObject, sr);
            delete props['SourceReference'];
          }
          if (fullId in resources) throw new DuplicateLogicalIdError(sourceId, fullId, 'AWS::Serverless::Connector');
          add[fullId] = conn;
        } catch (e) {
          if (e instanceof InvalidResourceError || e instanceof DuplicateLogicalIdError) errors.push(e);
          else throw e;
        }
      }
    }
    Object.assign(resources, add);
    for (const res of Object.values(resources)) if (isObj(res)) delete res['Connectors'];
    if (errors.length) ctx.shared.set('embeddedConnectorErrors', errors);
  },
};
