// AWS::Serverless::Function → AWS::Lambda::Function, its execution role, versions/aliases and event sources.
import { managedArn, outConditions, resolved, type TransformContext, xrayPolicyName } from '../context.js';
import { InvalidEventError, InvalidResourceError } from '../errors.js';
import { assumeRolePolicy, buildRole, ifItems, rolePolicies } from '../iam.js';
import type { EventTranslator, ResourceTranslator, SamEvent } from '../registry.js';
import type { SamResource } from '../resource.js';
import { propagateTags, samTagList } from '../tags.js';
import { cfn, getAtt, isIf, isNoValue, isObj, ref, truthy, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';
import { dictOf, listOf, noIntrinsics, oneOf, strEnum, validateProps, type Spec } from '../validate.js';
import { functionCode } from './code.js';
import { eventInvokeConfig } from './event-invoke.js';
import { functionUrl } from './function-url.js';
import { versionAndAlias } from './version.js';

export const FUNCTION_SPEC: Spec = {
  FunctionName: oneOf('string', 'map'), Handler: 'any', Runtime: 'any', CodeUri: 'any', ImageUri: 'any', PackageType: 'any', InlineCode: 'any',
  DeadLetterQueue: 'map', Description: 'any', MemorySize: 'any', Timeout: 'any', VpcConfig: 'any', Role: 'string', AssumeRolePolicyDocument: 'map',
  Policies: oneOf('string', 'map', listOf(oneOf('string', 'map'))), RolePath: 'any', PermissionsBoundary: 'string', Environment: dictOf('map'),
  Events: dictOf('map'), Tags: 'map', PropagateTags: 'bool', Tracing: oneOf('map', 'string'), KmsKeyArn: 'any', DeploymentPreference: 'map',
  ReservedConcurrentExecutions: 'any', Layers: listOf(oneOf('string', 'map')), EventInvokeConfig: 'map', EphemeralStorage: 'any',
  AutoPublishAlias: 'string', AutoPublishCodeSha256: 'string', AutoPublishAliasAllProperties: noIntrinsics('bool'), VersionDescription: 'any',
  ProvisionedConcurrencyConfig: 'any', FileSystemConfigs: 'any', ImageConfig: 'any', CodeSigningConfigArn: 'any', Architectures: 'any',
  SnapStart: 'map', FunctionUrlConfig: 'map', RuntimeManagementConfig: 'any', LoggingConfig: 'any', RecursiveLoop: 'any', SourceKMSKeyArn: 'any',
  CapacityProviderConfig: 'map', FunctionScalingConfig: 'map', VersionDeletionPolicy: strEnum(['Delete', 'Retain']), PublishToLatestPublished: 'any',
  TenancyConfig: 'any', DurableConfig: 'map',
};

/** What a function hands its event sources: the invoke target (the alias when there is one) and the role to extend. */
export interface FunctionTarget {
  sam: SamResource;
  functionId: string;
  fn: CfnResource;
  /** The alias's logical id when AutoPublishAlias is set: events then target the alias. */
  aliasId: string | undefined;
  /** The generated execution role; policies added here are kept only when the role is emitted. */
  role: CfnResource;
  roleId: string;
  /** Ref of the alias, else Ref of the function (permissions' FunctionName). */
  nameOrArn: Json;
  /** The alias ARN (Ref alias) or the function's GetAtt Arn (targets, mappings' FunctionName). */
  arn: Json;
  /** Condition/DeletionPolicy/UpdateReplacePolicy to copy onto what the event generates. */
  passthrough: JsonObject;
}

function validateDlq(r: SamResource, dlq: JsonObject): void {
  const type = dlq['Type'];
  if (!truthy(type) || !truthy(dlq['TargetArn'])) throw new InvalidResourceError(r.id, "'DeadLetterQueue' requires Type and TargetArn properties to be specified.");
  if (typeof type !== 'string') throw new InvalidResourceError(r.id, "Property 'DeadLetterQueue.Type' should be a string.");
  if (type !== 'SQS' && type !== 'SNS') throw new InvalidResourceError(r.id, "'DeadLetterQueue' requires Type of ['SQS', 'SNS']");
}

function validateTenancy(r: SamResource): void {
  if (!truthy(r.get('TenancyConfig'))) return;
  if (truthy(r.get('ProvisionedConcurrencyConfig'))) throw new InvalidResourceError(r.id, 'Provisioned concurrency is not supported for functions enabled with tenancy configuration.');
  if (truthy(r.get('FunctionUrlConfig'))) throw new InvalidResourceError(r.id, 'Function URL is not supported for functions enabled with tenancy configuration.');
  if (truthy(r.get('SnapStart'))) throw new InvalidResourceError(r.id, 'SnapStart is not supported for functions enabled with tenancy configuration.');
  const events = r.get('Events');
  if (isObj(events)) {
    for (const e of Object.values(events)) {
      const t = isObj(e) ? e['Type'] : undefined;
      if (t !== 'Api' && t !== 'HttpApi') {
        throw new InvalidResourceError(r.id, `Event source '${String(t)}' is not supported for functions enabled with tenancy configuration. Only Api and HttpApi event sources are supported.`);
      }
    }
  }
}

function validateRules(r: SamResource): void {
  const msgs: string[] = [];
  const has = (p: string): boolean => r.get(p) !== undefined;
  if (has('CapacityProviderConfig') && has('ProvisionedConcurrencyConfig')) msgs.push("Cannot specify 'CapacityProviderConfig' and 'ProvisionedConcurrencyConfig' together.");
  if (has('CapacityProviderConfig') && has('VpcConfig')) msgs.push("Cannot specify 'CapacityProviderConfig' and 'VpcConfig' together.");
  if (has('FunctionScalingConfig') && !has('CapacityProviderConfig')) msgs.push("'FunctionScalingConfig' requires 'CapacityProviderConfig'.");
  if (has('VersionDeletionPolicy') && !has('AutoPublishAlias')) msgs.push("'VersionDeletionPolicy' requires 'AutoPublishAlias'.");
  if (msgs.length) throw new InvalidResourceError(r.id, msgs.join('\n'));
}

const tracingOn = (ctx: TransformContext, tracing: Json | undefined): boolean => truthy(tracing) && resolved(ctx, tracing) !== 'Disabled';

function capacityProvider(r: SamResource, c: JsonObject): JsonObject {
  const known = ['Arn', 'PerExecutionEnvironmentMaxConcurrency', 'ExecutionEnvironmentMemoryGiBPerVCpu'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new InvalidResourceError(r.id, `Invalid CapacityProviderConfig: 1 validation error for CapacityProviderConfig\n${k}\n  extra fields not permitted (type=value_error.extra)`);
  const out: JsonObject = { CapacityProviderArn: c['Arn'] ?? null };
  if (c['PerExecutionEnvironmentMaxConcurrency'] !== undefined) out['PerExecutionEnvironmentMaxConcurrency'] = c['PerExecutionEnvironmentMaxConcurrency']!;
  if (c['ExecutionEnvironmentMemoryGiBPerVCpu'] !== undefined) out['ExecutionEnvironmentMemoryGiBPerVCpu'] = c['ExecutionEnvironmentMemoryGiBPerVCpu']!;
  return { LambdaManagedInstancesCapacityProviderConfig: out };
}

function lambdaFunction(r: SamResource, ctx: TransformContext): CfnResource {
  const p = r.props;
  const tracing = r.get('Tracing');
  const dlq = r.get('DeadLetterQueue');
  const props: Record<string, Json | undefined> = {
    FunctionName: truthy(p['FunctionName']) ? p['FunctionName'] : undefined,
    Handler: r.get('Handler'),
    Runtime: r.get('Runtime'),
    Description: r.get('Description'),
    MemorySize: r.get('MemorySize'),
    Timeout: r.get('Timeout'),
    VpcConfig: r.get('VpcConfig'),
    Role: r.get('Role'),
    Environment: r.get('Environment'),
    Code: functionCode(r),
    KmsKeyArn: r.get('KmsKeyArn'),
    ReservedConcurrentExecutions: r.get('ReservedConcurrentExecutions'),
    Tags: samTagList(r.id, r.get('Tags')),
    Layers: r.get('Layers'),
    FileSystemConfigs: r.get('FileSystemConfigs'),
    ImageConfig: r.get('ImageConfig'),
    PackageType: r.get('PackageType'),
    Architectures: r.get('Architectures'),
    SnapStart: r.get('SnapStart'),
    EphemeralStorage: r.get('EphemeralStorage'),
    TracingConfig: tracingOn(ctx, tracing) ? { Mode: tracing! } : undefined,
    DeadLetterConfig: isObj(dlq) ? { TargetArn: dlq['TargetArn'] ?? null } : undefined,
    CodeSigningConfigArn: r.get('CodeSigningConfigArn'),
    RuntimeManagementConfig: r.get('RuntimeManagementConfig'),
    LoggingConfig: r.get('LoggingConfig'),
    TenancyConfig: r.get('TenancyConfig'),
    RecursiveLoop: r.get('RecursiveLoop'),
    DurableConfig: r.get('DurableConfig'),
    CapacityProviderConfig: truthy(r.get('CapacityProviderConfig')) ? capacityProvider(r, r.get('CapacityProviderConfig') as JsonObject) : undefined,
    FunctionScalingConfig: truthy(r.get('FunctionScalingConfig')) ? r.get('FunctionScalingConfig') : undefined,
    PublishToLatestPublished: r.get('PublishToLatestPublished'),
  };
  validatePackageType(r, props);
  const attrs: Record<string, Json | undefined> = { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs };
  return cfn('AWS::Lambda::Function', props, attrs);
}

function validatePackageType(r: SamResource, p: Record<string, Json | undefined>): void {
  const type = p['PackageType'] ?? 'Zip';
  if (type !== 'Zip' && type !== 'Image') throw new InvalidResourceError(r.id, 'PackageType needs to be `Zip` or `Image`');
  const code = p['Code'] as JsonObject;
  if (type === 'Zip') {
    if (!truthy(p['Runtime']) || !truthy(p['Handler'])) throw new InvalidResourceError(r.id, 'Runtime and Handler needs to be present when PackageType is of type `Zip`');
    if (truthy(code['ImageUri']) || truthy(p['ImageConfig'])) throw new InvalidResourceError(r.id, 'ImageUri or ImageConfig cannot be present when PackageType is of type `Zip`');
  } else {
    if (truthy(p['Handler']) || truthy(p['Runtime']) || truthy(p['Layers'])) throw new InvalidResourceError(r.id, 'Runtime, Handler, Layers cannot be present when PackageType is of type `Image`');
    if (!truthy(code['ImageUri'])) throw new InvalidResourceError(r.id, 'ImageUri needs to be present when PackageType is of type `Image`');
  }
}

function executionRole(r: SamResource, ctx: TransformContext, invokePolicies: JsonObject[]): Generated {
  const managed: Json[] = [managedArn(ctx, truthy(r.get('DurableConfig')) ? 'service-role/AWSLambdaBasicDurableExecutionRolePolicy' : 'service-role/AWSLambdaBasicExecutionRole')];
  if (tracingOn(ctx, r.get('Tracing'))) managed.push(managedArn(ctx, xrayPolicyName(ctx)));
  if (truthy(r.get('VpcConfig'))) managed.push(managedArn(ctx, 'service-role/AWSLambdaVPCAccessExecutionRole'));
  const docs: Json[] = [];
  const dlq = r.get('DeadLetterQueue');
  if (isObj(dlq)) docs.push(rolePolicies.deadLetterQueue(dlq['Type'] === 'SQS' ? 'sqs:SendMessage' : 'sns:Publish', dlq['TargetArn'] ?? null));
  if (truthy(r.get('EventInvokeConfig'))) docs.push(...invokePolicies);
  const role = buildRole(ctx, {
    ownerId: r.id,
    attributes: r.passthrough(),
    assumeRolePolicy: r.get('AssumeRolePolicyDocument') ?? assumeRolePolicy('lambda.amazonaws.com'),
    policies: r.get('Policies'),
    managedArns: managed,
    policyDocuments: docs,
    path: r.get('RolePath'),
    permissionsBoundary: r.get('PermissionsBoundary'),
    tags: samTagList(r.id, r.get('Tags')),
  });
  return role;
}

/** Role given as Fn::If with NoValue on one side: the generated role exists only on that side. */
function conditionalRole(r: SamResource, ctx: TransformContext, fn: CfnResource, role: Generated): boolean {
  const value = ctx.resolver.resolveParameterRefs(structuredClone(fn.Properties!['Role']!)) as JsonObject;
  let items: [Json, Json, Json];
  try {
    items = ifItems(value['Fn::If']!);
  } catch (e) {
    throw new InvalidResourceError(r.id, `Malformed 'Role' property: ${(e as Error).message}.`);
  }
  const [cond, a, b] = items;
  const arn = getAtt(role.id, 'Arn');
  if (isNoValue(a) && isNoValue(b)) {
    fn.Properties!['Role'] = arn;
    return true;
  }
  if (isNoValue(a)) {
    fn.Properties!['Role'] = { 'Fn::If': [cond, arn, b] };
    role.resource.Condition = cond;
    return true;
  }
  if (isNoValue(b)) {
    fn.Properties!['Role'] = { 'Fn::If': [cond, a, arn] };
    role.resource.Condition = `NOT${String(cond)}`;
    outConditions(ctx)[`NOT${String(cond)}`] = { 'Fn::Not': [{ Condition: cond }] };
    return true;
  }
  return false;
}

/** Event types SAM has that this registry may not (yet) have: refused by name instead of "invalid Type". */
export const NOT_YET = ['Api', 'HttpApi'];

/** Events sorted as samtranslator does (by Path, else id) so that HttpApi's `$default` comes first. */
function sortedEvents(events: JsonObject): [string, JsonObject][] {
  const key = ([id, e]: [string, Json]): string => {
    if (!isObj(e)) return id;
    const p = e['Properties'];
    const path = isObj(p) ? p['Path'] : undefined;
    return typeof path === 'string' ? path : id;
  };
  return (Object.entries(events) as [string, JsonObject][]).sort((x, y) => {
    const a = key(x);
    const b = key(y);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

const pyTypeName = (v: Json): string => (v === null ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float');

export function readEvent(ownerId: string, relativeId: string, raw: Json): SamEvent {
  // samtranslator calls .get on the event: anything but a map fails with Python's AttributeError text.
  if (!isObj(raw)) throw new InvalidEventError(relativeId, `'${pyTypeName(raw)}' object has no attribute 'get'`);
  const type = raw['Type'];
  const props = raw['Properties'];
  // Resource._validate_resource_dict of the event, under the event's own logical id (not wrapped by the owner).
  if ('Properties' in raw && !isObj(props)) throw new InvalidResourceError(ownerId + relativeId, 'Properties of a resource must be an object.');
  return { relativeId, logicalId: ownerId + relativeId, type: typeof type === 'string' ? type : type === undefined || type === null ? 'None' : String(type), props: (props as JsonObject | undefined) ?? {}, raw };
}

function parseEvents(r: SamResource, ctx: TransformContext): [SamEvent, EventTranslator<FunctionTarget>][] {
  const events = r.get('Events');
  return isObj(events) ? checkEvents(r.id, sortedEvents(events), ctx.registry.functionEvents as Map<string, EventTranslator<FunctionTarget>>, ctx) : [];
}

/**
 * Reads and checks every event of a Function or StateMachine before any is translated, as samtranslator links them
 * all first; an event's error is reported on its owner.
 */
export function checkEvents<T>(ownerId: string, entries: Iterable<[string, Json]>, translators: ReadonlyMap<string, EventTranslator<T>>, ctx: TransformContext): [SamEvent, EventTranslator<T>][] {
  const onOwner = <R>(fn: () => R): R => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof InvalidEventError) throw new InvalidResourceError(ownerId, err.message);
      throw err;
    }
  };
  const parsed: [SamEvent, EventTranslator<T>][] = [];
  for (const [id, e] of entries) {
    const ev = onOwner(() => readEvent(ownerId, id, e));
    const t = translators.get(ev.type);
    if (!t && NOT_YET.includes(ev.type)) throw new InvalidResourceError(ownerId, new InvalidEventError(id, `${ev.type} events are not supported by this transform yet.`).message);
    if (!t) throw new InvalidResourceError(ownerId, new InvalidEventError(id, `Resource dict has missing or invalid value for key Type. Event Type is: ${ev.type}.`).message);
    onOwner(() => t.check?.(ev, ctx));
    parsed.push([ev, t]);
  }
  return parsed;
}

function eventResources(parsed: [SamEvent, EventTranslator<FunctionTarget>][], r: SamResource, ctx: TransformContext, target: FunctionTarget): Generated[] {
  const out: Generated[] = [];
  for (const [ev, t] of parsed) {
    try {
      out.push(...t.translate(ev, target, ctx));
    } catch (e) {
      if (e instanceof InvalidEventError) throw new InvalidResourceError(r.id, e.message);
      throw e;
    }
  }
  return out;
}

export const functionTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::Function',
  phase: 'function',
  referable: { Alias: 'AWS::Lambda::Alias', Version: 'AWS::Lambda::Version', DestinationTopic: 'AWS::SNS::Topic', DestinationQueue: 'AWS::SQS::Queue' },
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, FUNCTION_SPEC);
    const events = parseEvents(r, ctx);
    validateRules(r);
    const dlq = r.get('DeadLetterQueue');
    if (isObj(dlq)) validateDlq(r, dlq);
    validateTenancy(r);
    const out: Generated[] = [];
    const fn = lambdaFunction(r, ctx);
    out.push({ id: r.id, resource: fn });
    if (truthy(r.get('ProvisionedConcurrencyConfig')) && !truthy(r.get('AutoPublishAlias'))) {
      throw new InvalidResourceError(r.id, 'To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function');
    }
    const va = versionAndAlias(r, ctx, fn);
    out.push(...va.generated);
    if (truthy(r.get('FunctionUrlConfig'))) out.push(...functionUrl(r, va.aliasId));
    va.deploymentPreference();
    let invokePolicies: JsonObject[] = [];
    if (truthy(r.get('EventInvokeConfig'))) {
      const eic = eventInvokeConfig(r, ctx, va.aliasName, va.aliasId);
      out.push(...eic.generated);
      invokePolicies = eic.policies;
    }
    const role = executionRole(r, ctx, invokePolicies);
    const roleValue = fn.Properties!['Role'];
    if (roleValue === undefined) {
      fn.Properties!['Role'] = getAtt(role.id, 'Arn');
      out.push(role);
    } else if (isIf(roleValue)) {
      if (conditionalRole(r, ctx, fn, role)) out.push(role);
    }
    const target: FunctionTarget = {
      sam: r,
      functionId: r.id,
      fn,
      aliasId: va.aliasId,
      role: role.resource,
      roleId: role.id,
      nameOrArn: va.aliasId ? ref(va.aliasId) : ref(r.id),
      arn: va.aliasId ? ref(va.aliasId) : getAtt(r.id, 'Arn'),
      passthrough: r.passthrough(),
    };
    out.push(...eventResources(events, r, ctx, target));
    propagateTags(out, r.get('Tags'), r.get('PropagateTags'));
    return out;
  },
};

