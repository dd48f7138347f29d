// The connectors a GraphQLApi generates internally (data source → table or function, API → Lambda authorizer): SAM's
// connector profiles applied to explicit references (Type + Arn/RoleName/ResourceId), never to logical ids.
import { CONNECTOR_PROFILES } from '../../data/connector-profiles.data.js';
import { InvalidResourceError } from '../../errors.js';
import { cfn, isObj, truthy, type Generated, type Json, type JsonObject } from '../../types.js';

export interface ConnectorEnd {
  type: string;
  arn?: Json;
  roleName?: Json;
  resourceId?: Json;
  name?: Json;
  qualifier?: Json;
}

const sanitize = (k: string): string => k.replace(/[^\p{L}\p{N}]/gu, '');

/** profile_replace on one string: a whole-string variable becomes its value, a partial one an Fn::Sub variable. */
function replaceString(connectorId: string, s: string, repl: [string, Json | undefined][]): Json {
  let text = s;
  const vars: JsonObject = {};
  for (const [k, v] of repl) {
    const pattern = `%{${k}}`;
    if (!text.includes(pattern)) continue;
    if (v === undefined || v === null) throw new InvalidResourceError(connectorId, `${k} is missing.`);
    if (pattern === text) return v;
    text = text.split(pattern).join(`\${${sanitize(k)}}`);
    vars[sanitize(k)] = v;
  }
  if (/\$\{.+\}/.test(text)) return Object.keys(vars).length > 0 ? { 'Fn::Sub': [text, vars] } : { 'Fn::Sub': text };
  return text;
}

function replaceAll(connectorId: string, v: Json, repl: [string, Json | undefined][]): Json {
  if (typeof v === 'string') return replaceString(connectorId, v, repl);
  if (Array.isArray(v)) return v.map((x) => replaceAll(connectorId, x, repl));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceAll(connectorId, x, repl)]));
  return v;
}

/** SamConnector.to_cloudformation for one destination given by explicit properties. */
export function explicitConnector(id: string, source: ConnectorEnd, dest: ConnectorEnd, permissions: string[]): Generated[] {
  const all = CONNECTOR_PROFILES['Permissions'] as Record<string, Record<string, JsonObject>>;
  const profile = all[source.type]?.[dest.type];
  if (!profile) {
    throw new InvalidResourceError(id, `Unable to create connector from ${source.type} to ${dest.type}; it's not supported or the template is invalid.`);
  }
  const perms = [...new Set(permissions)];
  const categories = Object.keys((profile['Properties'] as JsonObject)['AccessCategories'] as JsonObject);
  if (perms.length === 0) throw new InvalidResourceError(id, `'Permissions' cannot be empty; valid values are: ${categories.join(', ')}.`);
  for (const p of perms) {
    if (!categories.includes(p)) {
      throw new InvalidResourceError(id, `Unsupported 'Permissions' provided for connector from ${source.type} to ${dest.type}; valid values are: ${categories.join(', ')}.`);
    }
  }
  const repl: [string, Json | undefined][] = [
    ['Source.Arn', source.arn], ['Destination.Arn', dest.arn], ['Source.ResourceId', source.resourceId], ['Destination.ResourceId', dest.resourceId],
    ['Source.Name', source.name], ['Destination.Name', dest.name], ['Source.Qualifier', source.qualifier], ['Destination.Qualifier', dest.qualifier],
  ];
  const props = replaceAll(id, structuredClone(profile['Properties'] as JsonObject), repl) as JsonObject;
  const access = props['AccessCategories'] as Record<string, JsonObject>;
  const sourcePolicy = props['SourcePolicy'] === true;
  const metadata = { 'aws:sam:connectors': { [id]: { Source: { Type: source.type }, Destination: { Type: dest.type } } } };
  const out: Generated[] = [];
  if (profile['Type'] === 'AWS_IAM_ROLE_MANAGED_POLICY') {
    const role = sourcePolicy ? source.roleName : dest.roleName;
    if (!truthy(role)) {
      throw new InvalidResourceError(id, `Unable to get IAM role name from '${sourcePolicy ? 'Source' : 'Destination'}' resource.`);
    }
    const statements: Json[] = [];
    for (const [name, c] of Object.entries(access)) if (perms.includes(name)) statements.push(...(c['Statement'] as Json[]));
    out.push({
      id: `${id}Policy`,
      resource: cfn('AWS::IAM::ManagedPolicy', { PolicyDocument: { Version: '2012-10-17', Statement: statements }, Roles: [role!] }, { Metadata: metadata }),
    });
  } else if (profile['Type'] === 'AWS_LAMBDA_PERMISSION') {
    const fn = sourcePolicy ? source.arn : dest.arn;
    if (!truthy(fn)) {
      throw new InvalidResourceError(id, `Unable to get Lambda function ARN from '${sourcePolicy ? 'Source' : 'Destination'}' resource.`);
    }
    for (const [name, c] of Object.entries(access)) {
      if (!perms.includes(name)) continue;
      out.push({
        id: `${id}${name}LambdaPermission`,
        resource: cfn(
          'AWS::Lambda::Permission',
          { Action: c['Action'], FunctionName: fn!, Principal: c['Principal'], SourceArn: c['SourceArn'], SourceAccount: c['SourceAccount'] },
          { Metadata: metadata },
        ),
      });
    }
  } else {
    throw new Error(`Profile type ${String(profile['Type'])} is not supported`);
  }
  return out;
}
