// Resource providers for Lambda's other types (versions, aliases, URLs, async invoke configs, layer versions) and
// SNS topic policies: what SAM's AutoPublishAlias, FunctionUrlConfig, EventInvokeConfig and layers expand to.
import type { Json, JsonObject } from '../template/index.js';
import { physicalName, pick, s, type Provider, type ProviderContext } from './provider-kit.js';

const nameOf = (fn: Json | undefined): string => String(s(fn) ?? '');

const version: Provider = {
  createOnly: ['FunctionName', 'Description', 'CodeSha256', 'RuntimePolicy'],
  async create(p, c) {
    const fn = nameOf(p['FunctionName']);
    const out = await c.call('lambda', 'PublishVersion', { FunctionName: fn, ...pick(p, ['Description', 'CodeSha256']) });
    const arn = String(out['FunctionArn']);
    const pc = p['ProvisionedConcurrencyConfig'] as JsonObject | undefined;
    if (pc) await c.call('lambda', 'PutProvisionedConcurrencyConfig', { FunctionName: fn, Qualifier: String(out['Version']), ProvisionedConcurrentExecutions: Number(pc['ProvisionedConcurrentExecutions']) });
    return { physicalId: arn, attributes: { Version: String(out['Version']), FunctionArn: arn.replace(/:[^:]+$/, '') } };
  },
  async delete(r, p, c) {
    await c.call('lambda', 'DeleteFunction', { FunctionName: nameOf(p['FunctionName']), Qualifier: String(r.attributes['Version']) });
  },
};

const ALIAS_KEYS = ['FunctionVersion', 'Description', 'RoutingConfig'];

const alias: Provider = {
  createOnly: ['FunctionName', 'Name'],
  async create(p, c) {
    const fn = nameOf(p['FunctionName']);
    const out = await c.call('lambda', 'CreateAlias', { FunctionName: fn, Name: s(p['Name']), ...pick(p, ALIAS_KEYS) });
    await provisioned(p, c, fn, String(s(p['Name'])));
    const arn = String(out['AliasArn']);
    return { physicalId: arn, attributes: { AliasArn: arn } };
  },
  async update(p, old, c) {
    const fn = nameOf(p['FunctionName']);
    await c.call('lambda', 'UpdateAlias', { FunctionName: fn, Name: s(p['Name']), ...pick(p, ALIAS_KEYS), ...(p['RoutingConfig'] === undefined ? { RoutingConfig: {} } : {}) });
    await provisioned(p, c, fn, String(s(p['Name'])));
    return old;
  },
  async delete(_r, p, c) {
    await c.call('lambda', 'DeleteAlias', { FunctionName: nameOf(p['FunctionName']), Name: s(p['Name']) });
  },
};

async function provisioned(p: JsonObject, c: ProviderContext, fn: string, qualifier: string): Promise<void> {
  const pc = p['ProvisionedConcurrencyConfig'] as JsonObject | undefined;
  if (pc) await c.call('lambda', 'PutProvisionedConcurrencyConfig', { FunctionName: fn, Qualifier: qualifier, ProvisionedConcurrentExecutions: Number(pc['ProvisionedConcurrentExecutions']) });
}

const URL_KEYS = ['AuthType', 'Cors', 'InvokeMode'];

const url: Provider = {
  createOnly: ['TargetFunctionArn', 'Qualifier'],
  async create(p, c) {
    const fn = nameOf(p['TargetFunctionArn']);
    const out = await c.call('lambda', 'CreateFunctionUrlConfig', { FunctionName: fn, ...pick(p, ['Qualifier', ...URL_KEYS]) });
    return { physicalId: String(out['FunctionArn']), attributes: { FunctionArn: String(out['FunctionArn']), FunctionUrl: String(out['FunctionUrl']) } };
  },
  async update(p, old, c) {
    await c.call('lambda', 'UpdateFunctionUrlConfig', { FunctionName: nameOf(p['TargetFunctionArn']), ...pick(p, ['Qualifier', ...URL_KEYS]) });
    return old;
  },
  async delete(_r, p, c) {
    await c.call('lambda', 'DeleteFunctionUrlConfig', { FunctionName: nameOf(p['TargetFunctionArn']), ...pick(p, ['Qualifier']) });
  },
};

const INVOKE_KEYS = ['MaximumEventAgeInSeconds', 'MaximumRetryAttempts', 'DestinationConfig'];

const eventInvokeConfig: Provider = {
  createOnly: ['FunctionName', 'Qualifier'],
  async create(p, c) {
    const fn = nameOf(p['FunctionName']);
    await c.call('lambda', 'PutFunctionEventInvokeConfig', { FunctionName: fn, Qualifier: s(p['Qualifier']), ...pick(p, INVOKE_KEYS) });
    return { physicalId: `${fn}|${s(p['Qualifier'])}`, attributes: {} };
  },
  async update(p, old, c) {
    await eventInvokeConfig.create(p, c);
    return old;
  },
  async delete(_r, p, c) {
    await c.call('lambda', 'DeleteFunctionEventInvokeConfig', { FunctionName: nameOf(p['FunctionName']), Qualifier: s(p['Qualifier']) });
  },
};

const layerVersion: Provider = {
  createOnly: ['LayerName', 'Content', 'CompatibleRuntimes', 'CompatibleArchitectures', 'Description', 'LicenseInfo'],
  async create(p, c) {
    const name = s(p['LayerName']) ?? physicalName(c, 140);
    const content = (p['Content'] ?? {}) as JsonObject;
    const obj = await c.call('s3', 'GetObject', { Bucket: content['S3Bucket'], Key: content['S3Key'] });
    const out = await c.call('lambda', 'PublishLayerVersion', { LayerName: name, Content: { ZipFile: obj['Body'] }, ...pick(p, ['CompatibleRuntimes', 'CompatibleArchitectures', 'Description', 'LicenseInfo']) });
    const arn = String(out['LayerVersionArn']);
    return { physicalId: arn, attributes: { LayerVersionArn: arn } };
  },
  async delete(r, _p, c) {
    const m = /:layer:([^:]+):(\d+)$/.exec(r.physicalId);
    if (m) await c.call('lambda', 'DeleteLayerVersion', { LayerName: m[1], VersionNumber: m[2] });
  },
};

const topicPolicy: Provider = {
  createOnly: [],
  async create(p, c) {
    for (const t of (p['Topics'] as string[]) ?? []) await c.call('sns', 'SetTopicAttributes', { TopicArn: t, AttributeName: 'Policy', AttributeValue: s(p['PolicyDocument']) });
    return { physicalId: physicalName(c), attributes: {} };
  },
  async update(p, old, c) {
    await topicPolicy.create(p, c);
    return old;
  },
  async delete() {
    // As CloudFormation: the topics keep their policies' defaults; nothing to undo beyond the stored document.
  },
};

export const LAMBDA_PROVIDERS: Record<string, Provider> = {
  'AWS::Lambda::Version': version,
  'AWS::Lambda::Alias': alias,
  'AWS::Lambda::Url': url,
  'AWS::Lambda::EventInvokeConfig': eventInvokeConfig,
  'AWS::Lambda::LayerVersion': layerVersion,
  'AWS::SNS::TopicPolicy': topicPolicy,
};
