// Lambda's operations as IAM sees them: actions, function/layer/mapping ARNs and lambda:* condition keys.
// Source: Service Authorization Reference, "Actions, resources, and condition keys for AWS Lambda"
// (docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html, and list_lambda.html's table of
// API operations → IAM actions): Invoke and InvokeWithResponseStream authorize lambda:InvokeFunction,
// GetLayerVersionByArn authorizes lambda:GetLayerVersion, list operations act on `*`; and the developer guide's
// "Resources and conditions for Lambda actions" (alias operations act on the unqualified function, ListLayerVersions
// and PublishLayerVersion on the layer).
import { isArn } from './kit.js';
import type { Rule, RuleKit, ServiceRules } from './types.js';

/**
 * A function's ARN from what a request names it by: a name, `acct:function:name`, a full ARN, each possibly with
 * `:qualifier`; the Qualifier member (when `qualified`) names a version or alias.
 */
export function functionArn(k: RuleKit, qualified = true, member = 'FunctionName'): string | undefined {
  const raw = k.str(member);
  if (raw === undefined) return undefined;
  let region = k.scope.region;
  let account = k.scope.account;
  let name = raw;
  let qualifier: string | undefined;
  const parts = raw.split(':');
  if (raw.startsWith('arn:')) {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    region = parts[3] || region;
    account = parts[4] || account;
    name = parts[6] ?? '';
    qualifier = parts[7];
  } else if (parts.length >= 3 && parts[1] === 'function') {
    account = parts[0]!;
    name = parts[2]!;
    qualifier = parts[3];
  } else if (parts.length === 2) {
    name = parts[0]!;
    qualifier = parts[1];
  }
  qualifier = k.str('Qualifier') ?? qualifier;
  const base = `arn:aws:lambda:${region}:${account}:function:${name}`;
  return qualified && qualifier !== undefined ? `${base}:${qualifier}` : base;
}

const fn = (k: RuleKit): string[] => {
  const a = functionArn(k);
  return a === undefined ? ['*'] : [a];
};
const fnUnqualified = (k: RuleKit): string[] => {
  const a = functionArn(k, false);
  return a === undefined ? ['*'] : [a];
};

/** A layer (`layer:name`) or a layer version (`layer:name:version`) from LayerName (name or ARN) and VersionNumber. */
function layerArn(k: RuleKit, withVersion: boolean): string[] {
  const raw = k.str('LayerName') ?? k.str('Arn');
  if (raw === undefined) return ['*'];
  let base = isArn(raw) ? raw : k.arn('lambda', `layer:${raw}`);
  const p = base.split(':');
  let version = k.str('VersionNumber');
  if (p.length > 7) {
    version ??= p[7];
    base = p.slice(0, 7).join(':');
  }
  return [withVersion && version !== undefined ? `${base}:${version}` : base];
}

const mappingArn = (k: RuleKit): string[] => {
  const id = k.str('UUID');
  return id === undefined ? ['*'] : [k.arn('lambda', `event-source-mapping:${id}`)];
};

/** lambda:FunctionArn: the unqualified function a mapping or permission concerns. */
const fnArnKey = (k: RuleKit): Record<string, string> => {
  const a = functionArn(k, false);
  return a === undefined ? {} : { 'lambda:FunctionArn': a };
};

const urlKeys = (k: RuleKit): Record<string, string> => {
  const t = k.str('AuthType');
  return t === undefined ? {} : { 'lambda:FunctionUrlAuthType': t };
};

const layerKeys = (k: RuleKit): Record<string, string[]> => {
  const layers = k.list('Layers');
  return layers.length > 0 ? { 'lambda:Layer': layers } : {};
};

const star: Rule = {};
const onFn: Rule = { resources: fn };
const onFnBase: Rule = { resources: fnUnqualified };

export const lambdaRules: ServiceRules = {
  prefix: 'lambda',
  // Most operations name one function (FunctionName, with Qualifier where the model has it).
  fallback: { resources: (k) => (k.str('FunctionName') !== undefined ? fn(k) : k.str('Resource') !== undefined ? [k.str('Resource')!] : ['*']) },
  ops: {
    Invoke: { action: 'lambda:InvokeFunction', resources: fn },
    InvokeWithResponseStream: { action: 'lambda:InvokeFunction', resources: fn },
    InvokeAsync: { action: 'lambda:InvokeAsync', resources: fnUnqualified },
    // Not an API operation: a function URL request (AuthType AWS_IAM) authorizes this action.
    InvokeFunctionUrl: { resources: fn, context: (k) => ({ 'lambda:FunctionUrlAuthType': k.str('AuthType') ?? 'AWS_IAM' }) },
    ListFunctions: star,
    GetAccountSettings: star,
    ListLayers: star,
    ListEventSourceMappings: star,
    ListCodeSigningConfigs: star,
    CreateCodeSigningConfig: star,
    CreateFunction: { resources: fnUnqualified, context: layerKeys },
    UpdateFunctionConfiguration: { resources: fnUnqualified, context: layerKeys },
    UpdateFunctionCode: onFnBase,
    PublishVersion: onFnBase,
    ListVersionsByFunction: onFnBase,
    GetFunction: onFn,
    GetFunctionConfiguration: onFn,
    DeleteFunction: onFn,
    CreateAlias: onFnBase,
    ListAliases: onFnBase,
    // Alias operations act on the function (the alias is named by Name, not Qualifier).
    GetAlias: onFnBase,
    UpdateAlias: onFnBase,
    DeleteAlias: onFnBase,
    AddPermission: {
      resources: fn,
      context: (k) => ({ ...(k.str('Principal') ? { 'lambda:Principal': k.str('Principal')! } : {}), ...(k.str('FunctionUrlAuthType') ? { 'lambda:FunctionUrlAuthType': k.str('FunctionUrlAuthType')! } : {}) }),
    },
    RemovePermission: onFn,
    GetPolicy: onFn,
    // The Lambda developer guide's "Resources and conditions for Lambda actions": both act on the layer.
    PublishLayerVersion: { resources: (k) => layerArn(k, false) },
    ListLayerVersions: { resources: (k) => layerArn(k, false) },
    GetLayerVersion: { resources: (k) => layerArn(k, true) },
    GetLayerVersionByArn: { action: 'lambda:GetLayerVersion', resources: (k) => layerArn(k, true) },
    DeleteLayerVersion: { resources: (k) => layerArn(k, true) },
    AddLayerVersionPermission: { resources: (k) => layerArn(k, true) },
    RemoveLayerVersionPermission: { resources: (k) => layerArn(k, true) },
    GetLayerVersionPolicy: { resources: (k) => layerArn(k, true) },
    // CreateEventSourceMapping has no resource type: lambda:FunctionArn says which function it concerns.
    CreateEventSourceMapping: { context: fnArnKey },
    GetEventSourceMapping: { resources: mappingArn, context: fnArnKey },
    UpdateEventSourceMapping: { resources: mappingArn, context: fnArnKey },
    DeleteEventSourceMapping: { resources: mappingArn, context: fnArnKey },
    PutFunctionConcurrency: onFnBase,
    GetFunctionConcurrency: onFnBase,
    DeleteFunctionConcurrency: onFnBase,
    ListProvisionedConcurrencyConfigs: onFnBase,
    PutProvisionedConcurrencyConfig: onFn,
    GetProvisionedConcurrencyConfig: onFn,
    DeleteProvisionedConcurrencyConfig: onFn,
    CreateFunctionUrlConfig: { resources: fn, context: urlKeys },
    UpdateFunctionUrlConfig: { resources: fn, context: urlKeys },
    GetFunctionUrlConfig: onFn,
    DeleteFunctionUrlConfig: onFn,
    ListFunctionUrlConfigs: onFnBase,
    PutFunctionEventInvokeConfig: onFn,
    UpdateFunctionEventInvokeConfig: onFn,
    GetFunctionEventInvokeConfig: onFn,
    DeleteFunctionEventInvokeConfig: onFn,
    ListFunctionEventInvokeConfigs: onFnBase,
    // Tagging names the resource by ARN: a function, a mapping or a code signing config.
    TagResource: { resources: (k) => [k.str('Resource') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('Resource') ?? '*'] },
    ListTags: { resources: (k) => [k.str('Resource') ?? '*'] },
    GetFunctionCodeSigningConfig: onFnBase,
    PutFunctionCodeSigningConfig: onFnBase,
    DeleteFunctionCodeSigningConfig: onFnBase,
    GetFunctionRecursionConfig: onFnBase,
    PutFunctionRecursionConfig: onFnBase,
    GetRuntimeManagementConfig: onFn,
    PutRuntimeManagementConfig: onFn,
  },
  extra: ['InvokeFunctionUrl'],
};

