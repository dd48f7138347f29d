// The Globals section: which properties each SAM type accepts there, and the merge (maps merge, lists concatenate).
import { InvalidResourceError, SamError } from './errors.js';
import { isIntrinsic, isObj, type Json, type JsonObject } from './types.js';

/** Properties allowed in Globals per section; a colleague's resource type adds its own with `registerGlobals`. */
const SUPPORTED: Record<string, string[]> = {
  Function: [
    'Handler', 'Runtime', 'CodeUri', 'DeadLetterQueue', 'Description', 'MemorySize', 'Timeout', 'VpcConfig', 'Environment', 'Tags',
    'PropagateTags', 'Tracing', 'KmsKeyArn', 'AutoPublishAlias', 'AutoPublishAliasAllProperties', 'Layers', 'DeploymentPreference',
    'RolePath', 'PermissionsBoundary', 'ReservedConcurrentExecutions', 'ProvisionedConcurrencyConfig', 'AssumeRolePolicyDocument',
    'EventInvokeConfig', 'FileSystemConfigs', 'CodeSigningConfigArn', 'Architectures', 'SnapStart', 'EphemeralStorage',
    'FunctionUrlConfig', 'RuntimeManagementConfig', 'LoggingConfig', 'RecursiveLoop', 'SourceKMSKeyArn', 'TenancyConfig',
    'DurableConfig', 'CapacityProviderConfig', 'FunctionScalingConfig', 'PublishToLatestPublished', 'VersionDeletionPolicy',
  ],
  Api: [
    'Auth', 'Name', 'DefinitionUri', 'CacheClusterEnabled', 'CacheClusterSize', 'MergeDefinitions', 'Variables', 'EndpointConfiguration',
    'MethodSettings', 'BinaryMediaTypes', 'MinimumCompressionSize', 'Cors', 'GatewayResponses', 'AccessLogSetting', 'CanarySetting',
    'TracingEnabled', 'OpenApiVersion', 'Domain', 'AlwaysDeploy', 'PropagateTags', 'SecurityPolicy', 'EndpointAccessMode',
  ],
  HttpApi: ['Auth', 'AccessLogSettings', 'StageVariables', 'Tags', 'CorsConfiguration', 'DefaultRouteSettings', 'Domain', 'RouteSettings', 'FailOnWarnings', 'PropagateTags'],
  SimpleTable: ['SSESpecification'],
  StateMachine: ['PropagateTags'],
  LayerVersion: ['PublishLambdaVersion'],
  CapacityProvider: ['VpcConfig', 'OperatorRole', 'Tags', 'InstanceRequirements', 'ScalingConfig', 'KmsKeyArn', 'PropagateTags'],
  WebSocketApi: [
    'AccessLogSettings', 'ApiKeySelectionExpression', 'DefaultRouteSettings', 'DisableExecuteApiEndpoint', 'DisableSchemaValidation', 'Domain',
    'FailOnWarnings', 'IpAddressType', 'PropagateTags', 'RouteSelectionExpression', 'RouteSettings', 'StageVariables', 'Tags',
  ],
};

/** The error for a bad Globals section: `'Globals' section is invalid. …`. */
export class InvalidGlobalsError extends SamError {
  readonly logicalId = 'Globals';
  constructor(reason: string) {
    super(`'Globals' section is invalid. ${reason}`);
  }
}

const pyList = (xs: string[]): string => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/** Parses Globals into per-type property maps; throws InvalidGlobalsError with the reference's wording. */
export function parseGlobals(section: Json | undefined): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  if (section === undefined) return out;
  if (!isObj(section)) throw new InvalidGlobalsError('It must be a non-empty dictionary');
  const names = Object.keys(SUPPORTED).sort();
  for (const [name, props] of Object.entries(section)) {
    const allowed = SUPPORTED[name];
    if (!allowed) throw new InvalidGlobalsError(`'${name}' is not supported. Must be one of the following values - ${pyList(names)}`);
    if (!isObj(props)) throw new InvalidGlobalsError('Value of ${section} must be a dictionary');
    for (const key of Object.keys(props)) {
      if (!allowed.includes(key)) throw new InvalidGlobalsError(`'${key}' is not a supported property of '${name}'. Must be one of the following values - ${pyList(allowed)}`);
    }
    out.set(`AWS::Serverless::${name}`, props);
  }
  return out;
}

type Token = 'primitive' | 'dict' | 'list';
const tokenOf = (v: Json | undefined): Token => (Array.isArray(v) ? 'list' : isObj(v) && !isIntrinsic(v) ? 'dict' : 'primitive');

/** Global then local: the local value wins for scalars and mismatched types; maps merge; lists concatenate. */
export function mergeGlobal(global: Json, local: Json): Json {
  const tg = tokenOf(global);
  const tl = tokenOf(local);
  if (tg !== tl || tg === 'primitive') return local;
  if (tg === 'list') return [...(global as Json[]), ...(local as Json[])];
  const out: JsonObject = { ...(global as JsonObject) };
  for (const [k, v] of Object.entries(local as JsonObject)) out[k] = k in out ? mergeGlobal(out[k]!, v) : v;
  return out;
}

/** Applies the globals of this resource's type, honouring its IgnoreGlobals attribute ("*" or a list of names). */
export function applyGlobals(logicalId: string, resource: JsonObject, globals: Map<string, JsonObject>): void {
  const type = resource['Type'];
  if (typeof type !== 'string') return;
  let g = globals.get(type);
  if (!g) return;
  const ignore = resource['IgnoreGlobals'];
  if (ignore !== undefined && ignore !== null && ignore !== '' && !(Array.isArray(ignore) && ignore.length === 0)) {
    if (ignore === '*') return;
    if (!Array.isArray(ignore)) throw new InvalidResourceError(logicalId, `Resource ${logicalId} has invalid resource attribute 'IgnoreGlobals'.`);
    g = { ...g };
    for (const key of ignore) {
      if (typeof key !== 'string' || !(key in g)) throw new InvalidResourceError(logicalId, `Resource ${logicalId} has invalid resource attribute 'IgnoreGlobals' on item '${String(key)}'.`);
      delete g[key];
    }
  }
  const local = resource['Properties'];
  resource['Properties'] = mergeGlobal(structuredClone(g), isObj(local) ? local : {});
}
