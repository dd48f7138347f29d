// Resource providers: create/update/delete of the types this server serves, with Ref and GetAtt values as AWS forms them.
import type { Json, JsonObject } from '../template/index.js';
import { zipFiles } from '../../../lib/zip-write.js';
import { arn, physicalName, s, type Provider, type ProviderContext } from './provider-kit.js';
import { DATA_PROVIDERS } from './providers-data.js';
import { LAMBDA_PROVIDERS } from './providers-lambda.js';

export type { Created, ProviderContext } from './provider-kit.js';

const queue: Provider = {
  createOnly: ['QueueName', 'FifoQueue'],
  async create(p, c) {
    const fifo = p['FifoQueue'] === true || p['FifoQueue'] === 'true';
    const name = s(p['QueueName']) ?? (fifo ? `${physicalName(c, 75)}.fifo` : physicalName(c, 80));
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (k !== 'QueueName' && k !== 'Tags' && v !== null) attrs[k] = s(v)!;
    const out = await c.call('sqs', 'CreateQueue', { QueueName: name, Attributes: attrs });
    const url = String(out['QueueUrl']);
    return { physicalId: url, attributes: { Arn: arn(c, 'sqs', name), QueueName: name, QueueUrl: url } };
  },
  async update(p, old, c) {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (!['QueueName', 'Tags', 'FifoQueue'].includes(k) && v !== null) attrs[k] = s(v)!;
    if (Object.keys(attrs).length) await c.call('sqs', 'SetQueueAttributes', { QueueUrl: old.physicalId, Attributes: attrs });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('sqs', 'DeleteQueue', { QueueUrl: r.physicalId });
  },
};

const queuePolicy: Provider = {
  createOnly: [],
  async create(p, c) {
    for (const url of (p['Queues'] as string[]) ?? []) await c.call('sqs', 'SetQueueAttributes', { QueueUrl: url, Attributes: { Policy: s(p['PolicyDocument'])! } });
    return { physicalId: physicalName(c), attributes: {} };
  },
  async update(p, old, c) {
    await queuePolicy.create(p, c);
    return old;
  },
  async delete(_r, p, c) {
    for (const url of (p['Queues'] as string[]) ?? []) await c.call('sqs', 'SetQueueAttributes', { QueueUrl: url, Attributes: { Policy: '' } }).catch(() => undefined);
  },
};

const topic: Provider = {
  createOnly: ['TopicName', 'FifoTopic'],
  async create(p, c) {
    const fifo = p['FifoTopic'] === true || p['FifoTopic'] === 'true';
    const name = s(p['TopicName']) ?? (fifo ? `${physicalName(c, 251)}.fifo` : physicalName(c, 256));
    const attributes: Record<string, string> = {};
    if (fifo) attributes['FifoTopic'] = 'true';
    for (const k of ['DisplayName', 'KmsMasterKeyId', 'ContentBasedDeduplication']) if (p[k] !== undefined) attributes[k] = s(p[k])!;
    const out = await c.call('sns', 'CreateTopic', { Name: name, Attributes: attributes });
    const topicArn = String(out['TopicArn']);
    for (const sub of (p['Subscription'] as JsonObject[]) ?? []) await c.call('sns', 'Subscribe', { TopicArn: topicArn, Protocol: s(sub['Protocol']), Endpoint: s(sub['Endpoint']) });
    return { physicalId: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
  },
  async delete(r, _p, c) {
    await c.call('sns', 'DeleteTopic', { TopicArn: r.physicalId });
  },
};

const subscription: Provider = {
  createOnly: ['TopicArn', 'Protocol', 'Endpoint'],
  async create(p, c) {
    const attrs: Record<string, string> = {};
    for (const k of ['FilterPolicy', 'RawMessageDelivery', 'RedrivePolicy', 'FilterPolicyScope']) if (p[k] !== undefined) attrs[k] = s(p[k])!;
    const out = await c.call('sns', 'Subscribe', { TopicArn: s(p['TopicArn']), Protocol: s(p['Protocol']), Endpoint: s(p['Endpoint']), Attributes: attrs, ReturnSubscriptionArn: 'true' });
    return { physicalId: String(out['SubscriptionArn']), attributes: { Arn: String(out['SubscriptionArn']) } };
  },
  async delete(r, _p, c) {
    await c.call('sns', 'Unsubscribe', { SubscriptionArn: r.physicalId });
  },
};

const HANDLER_FILE: Array<[RegExp, string]> = [
  [/^python/, 'index.py'],
  [/^nodejs/, 'index.js'],
  [/^ruby/, 'index.rb'],
];

/** Code from the server's own S3 (Lambda takes zip bytes only) is read here and handed over as ZipFile. */
async function functionCode(p: JsonObject, c: ProviderContext): Promise<Record<string, unknown>> {
  const code = (p['Code'] ?? {}) as JsonObject;
  if (typeof code['S3Bucket'] === 'string' && typeof code['S3Key'] === 'string') {
    const obj = await c.call('s3', 'GetObject', { Bucket: code['S3Bucket'], Key: code['S3Key'] });
    return { ZipFile: obj['Body'] };
  }
  if (typeof code['ZipFile'] === 'string') {
    const runtime = String(p['Runtime'] ?? '');
    const file = HANDLER_FILE.find(([re]) => re.test(runtime))?.[1] ?? 'index.js';
    return { ZipFile: zipFiles([[file, Buffer.from(code['ZipFile'], 'utf8')]]).toString('base64') };
  }
  const out: Record<string, unknown> = {};
  for (const k of ['S3Bucket', 'S3Key', 'S3ObjectVersion', 'ImageUri']) if (code[k] !== undefined) out[k] = code[k];
  return out;
}

const CONFIG_KEYS = ['Role', 'Handler', 'Runtime', 'Description', 'Timeout', 'MemorySize', 'Environment', 'DeadLetterConfig', 'Layers', 'TracingConfig', 'Architectures', 'EphemeralStorage', 'LoggingConfig'];

function functionConfig(p: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

const lambdaFunction: Provider = {
  createOnly: ['FunctionName', 'PackageType'],
  async create(p, c) {
    const name = s(p['FunctionName']) ?? physicalName(c, 64);
    const input: Record<string, unknown> = { FunctionName: name, Code: await functionCode(p, c), ...functionConfig(p) };
    if (Array.isArray(p['Tags'])) input['Tags'] = Object.fromEntries((p['Tags'] as JsonObject[]).map((t) => [t['Key'], t['Value']]));
    if (p['ReservedConcurrentExecutions'] !== undefined) void 0;
    const out = await c.call('lambda', 'CreateFunction', input);
    return { physicalId: name, attributes: { Arn: String(out['FunctionArn']) } };
  },
  async update(p, old, c) {
    await c.call('lambda', 'UpdateFunctionCode', { FunctionName: old.physicalId, ...(await functionCode(p, c)) });
    await c.call('lambda', 'UpdateFunctionConfiguration', { FunctionName: old.physicalId, ...functionConfig(p) });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('lambda', 'DeleteFunction', { FunctionName: r.physicalId });
  },
};

const permission: Provider = {
  createOnly: ['Action', 'FunctionName', 'Principal', 'SourceArn', 'SourceAccount', 'EventSourceToken', 'FunctionUrlAuthType', 'PrincipalOrgID'],
  async create(p, c) {
    const sid = physicalName(c, 100);
    const input: Record<string, unknown> = { FunctionName: s(p['FunctionName']), StatementId: sid, Action: s(p['Action']), Principal: s(p['Principal']) };
    for (const k of ['SourceArn', 'SourceAccount', 'EventSourceToken', 'FunctionUrlAuthType', 'PrincipalOrgID']) if (p[k] !== undefined) input[k] = p[k];
    await c.call('lambda', 'AddPermission', input);
    return { physicalId: `${s(p['FunctionName'])}|${sid}`, ref: sid, attributes: { Id: sid } };
  },
  async delete(r, p, c) {
    await c.call('lambda', 'RemovePermission', { FunctionName: s(p['FunctionName']), StatementId: r.ref ?? r.physicalId });
  },
};

const eventSourceMapping: Provider = {
  createOnly: ['EventSourceArn', 'StartingPosition', 'StartingPositionTimestamp', 'SelfManagedEventSource', 'AmazonManagedKafkaEventSourceConfig'],
  async create(p, c) {
    const input: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) if (k !== 'Tags') input[k] = v;
    const out = await c.call('lambda', 'CreateEventSourceMapping', input);
    return { physicalId: String(out['UUID']), attributes: { Id: String(out['UUID']), EventSourceMappingArn: String(out['EventSourceMappingArn'] ?? '') } };
  },
  async delete(r, _p, c) {
    await c.call('lambda', 'DeleteEventSourceMapping', { UUID: r.physicalId });
  },
};

const stored = (kind: (name: string, c: ProviderContext, p: JsonObject) => Record<string, Json>, nameProp?: string): Provider => ({
  createOnly: nameProp ? [nameProp, 'Path'] : [],
  async create(p, c) {
    const name = (nameProp && s(p[nameProp])) || physicalName(c, 64);
    return { physicalId: name, attributes: kind(name, c, p) };
  },
  async update(p, old, c) {
    return { ...old, attributes: kind(old.physicalId, c, p) };
  },
  async delete() {},
});

const iamArn = (c: ProviderContext, what: string, name: string, p: JsonObject): string => `arn:aws:iam::${c.accountId}:${what}${s(p['Path']) ?? '/'}${name}`;
const role = stored((n, c, p) => ({ Arn: iamArn(c, 'role', n, p), RoleId: `AROA${n.length.toString(16).padStart(4, '0').toUpperCase()}EXAMPLE` }), 'RoleName');
const managedPolicy = stored((n, c, p) => ({ PolicyArn: iamArn(c, 'policy', n, p) }), 'ManagedPolicyName');
const policy = stored(() => ({}));

const logGroup: Provider = {
  createOnly: ['LogGroupName'],
  async create(p, c) {
    const name = s(p['LogGroupName']) ?? physicalName(c, 512);
    await c.call('logs', 'CreateLogGroup', { logGroupName: name });
    if (p['RetentionInDays'] !== undefined) await c.call('logs', 'PutRetentionPolicy', { logGroupName: name, retentionInDays: Number(p['RetentionInDays']) });
    return { physicalId: name, attributes: { Arn: arn(c, 'logs', `log-group:${name}:*`) } };
  },
  async update(p, old, c) {
    if (p['RetentionInDays'] !== undefined) await c.call('logs', 'PutRetentionPolicy', { logGroupName: old.physicalId, retentionInDays: Number(p['RetentionInDays']) });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('logs', 'DeleteLogGroup', { logGroupName: r.physicalId });
  },
};

const xmlEsc = (v: string): string => v.replace(/[<>&]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[ch]!);

/** S3's NotificationConfiguration (CloudFormation's shape) as PutBucketNotificationConfiguration's XML. */
function notificationXml(n: JsonObject | undefined): string {
  const part = (list: Json | undefined, tag: string, target: string, arnKey: string): string =>
    ((list as JsonObject[]) ?? [])
      .map((x) => {
        const rules = ((((x['Filter'] as JsonObject)?.['S3Key'] as JsonObject)?.['Rules'] as JsonObject[]) ?? []).map((r) => `<FilterRule><Name>${xmlEsc(String(r['Name']))}</Name><Value>${xmlEsc(String(r['Value']))}</Value></FilterRule>`).join('');
        return `<${tag}><${target}>${xmlEsc(String(x[arnKey]))}</${target}><Event>${xmlEsc(String(x['Event']))}</Event>${rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : ''}</${tag}>`;
      })
      .join('');
  const body = n
    ? part(n['LambdaConfigurations'], 'CloudFunctionConfiguration', 'CloudFunction', 'Function') +
      part(n['QueueConfigurations'], 'QueueConfiguration', 'Queue', 'Queue') +
      part(n['TopicConfigurations'], 'TopicConfiguration', 'Topic', 'Topic') +
      ((n['EventBridgeConfiguration'] as JsonObject)?.['EventBridgeEnabled'] ? '<EventBridgeConfiguration/>' : '')
    : '';
  return `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</NotificationConfiguration>`;
}

const bucket: Provider = {
  createOnly: ['BucketName', 'ObjectLockEnabled'],
  async create(p, c) {
    const name = s(p['BucketName']) ?? physicalName(c, 63).toLowerCase();
    await c.call('s3', 'CreateBucket', { Bucket: name });
    if (p['NotificationConfiguration']) await c.call('s3', 'PutBucketNotificationConfiguration', { Bucket: name, Body: notificationXml(p['NotificationConfiguration'] as JsonObject) });
    return {
      physicalId: name,
      attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${c.region}.amazonaws.com`, WebsiteURL: `http://${name}.s3-website-${c.region}.amazonaws.com` },
    };
  },
  async update(p, old, c) {
    await c.call('s3', 'PutBucketNotificationConfiguration', { Bucket: old.physicalId, Body: notificationXml(p['NotificationConfiguration'] as JsonObject | undefined) });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('s3', 'DeleteBucket', { Bucket: r.physicalId });
  },
};

const bucketPolicy: Provider = {
  createOnly: ['Bucket'],
  async create(p, c) {
    await c.call('s3', 'PutBucketPolicy', { Bucket: s(p['Bucket']), Policy: s(p['PolicyDocument']) });
    return { physicalId: s(p['Bucket'])!, attributes: {} };
  },
  async update(p, old, c) {
    await bucketPolicy.create(p, c);
    return old;
  },
  async delete(_r, p, c) {
    await c.call('s3', 'DeleteBucketPolicy', { Bucket: s(p['Bucket']) }).catch(() => undefined);
  },
};

const rule: Provider = {
  createOnly: ['Name', 'EventBusName'],
  async create(p, c) {
    const name = s(p['Name']) ?? physicalName(c, 64);
    const input: Record<string, unknown> = { Name: name };
    for (const k of ['EventBusName', 'Description', 'ScheduleExpression', 'State', 'RoleArn']) if (p[k] !== undefined) input[k] = p[k];
    if (p['EventPattern'] !== undefined) input['EventPattern'] = s(p['EventPattern']);
    const out = await c.call('events', 'PutRule', input);
    const targets = ((p['Targets'] as JsonObject[]) ?? []).map((t) => {
      const o: Record<string, unknown> = { ...t };
      if (o['Input'] !== undefined) o['Input'] = s(o['Input'] as Json);
      return o;
    });
    if (targets.length) await c.call('events', 'PutTargets', { Rule: name, EventBusName: p['EventBusName'], Targets: targets });
    return { physicalId: name, attributes: { Arn: String(out['RuleArn']) } };
  },
  async update(p, old, c) {
    const prev = await c.call('events', 'ListTargetsByRule', { Rule: old.physicalId, EventBusName: p['EventBusName'] }).catch(() => ({ Targets: [] }));
    const ids = ((prev['Targets'] as JsonObject[]) ?? []).map((t) => t['Id']);
    if (ids.length) await c.call('events', 'RemoveTargets', { Rule: old.physicalId, EventBusName: p['EventBusName'], Ids: ids });
    await rule.create({ ...p, Name: old.physicalId }, c);
    return old;
  },
  async delete(r, p, c) {
    const prev = await c.call('events', 'ListTargetsByRule', { Rule: r.physicalId, EventBusName: p['EventBusName'] }).catch(() => ({ Targets: [] }));
    const ids = ((prev['Targets'] as JsonObject[]) ?? []).map((t) => t['Id']);
    if (ids.length) await c.call('events', 'RemoveTargets', { Rule: r.physicalId, EventBusName: p['EventBusName'], Ids: ids });
    await c.call('events', 'DeleteRule', { Name: r.physicalId, EventBusName: p['EventBusName'] });
  },
};

const eventBus: Provider = {
  createOnly: ['Name'],
  async create(p, c) {
    const out = await c.call('events', 'CreateEventBus', { Name: s(p['Name']) });
    return { physicalId: s(p['Name'])!, attributes: { Arn: String(out['EventBusArn']), Name: s(p['Name'])! } };
  },
  async delete(r, _p, c) {
    await c.call('events', 'DeleteEventBus', { Name: r.physicalId });
  },
};

function definitionOf(p: JsonObject): string {
  let d = p['DefinitionString'] !== undefined ? String(p['DefinitionString']) : JSON.stringify(p['Definition'] ?? {});
  const subs = (p['DefinitionSubstitutions'] ?? {}) as JsonObject;
  for (const [k, v] of Object.entries(subs)) d = d.split('${' + k + '}').join(String(v));
  return d;
}

const stateMachine: Provider = {
  createOnly: ['StateMachineName', 'StateMachineType'],
  async create(p, c) {
    const name = s(p['StateMachineName']) ?? physicalName(c, 80);
    const input: Record<string, unknown> = { name, definition: definitionOf(p), roleArn: s(p['RoleArn']) };
    if (p['StateMachineType']) input['type'] = p['StateMachineType'];
    const out = await c.call('states', 'CreateStateMachine', input);
    const a = String(out['stateMachineArn']);
    return { physicalId: a, attributes: { Arn: a, Name: name, StateMachineRevisionId: '' } };
  },
  async update(p, old, c) {
    await c.call('states', 'UpdateStateMachine', { stateMachineArn: old.physicalId, definition: definitionOf(p), roleArn: s(p['RoleArn']) });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('states', 'DeleteStateMachine', { stateMachineArn: r.physicalId });
  },
};

const activity: Provider = {
  createOnly: ['Name'],
  async create(p, c) {
    const out = await c.call('states', 'CreateActivity', { name: s(p['Name']) });
    const a = String(out['activityArn']);
    return { physicalId: a, attributes: { Arn: a, Name: s(p['Name'])! } };
  },
  async delete(r, _p, c) {
    await c.call('states', 'DeleteActivity', { activityArn: r.physicalId });
  },
};

export const PROVIDERS: Record<string, Provider> = {
  'AWS::SQS::Queue': queue,
  'AWS::SQS::QueuePolicy': queuePolicy,
  'AWS::SNS::Topic': topic,
  'AWS::SNS::Subscription': subscription,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::Lambda::Permission': permission,
  'AWS::Lambda::EventSourceMapping': eventSourceMapping,
  'AWS::IAM::Role': role,
  'AWS::IAM::Policy': policy,
  'AWS::IAM::ManagedPolicy': managedPolicy,
  'AWS::Logs::LogGroup': logGroup,
  'AWS::S3::Bucket': bucket,
  'AWS::S3::BucketPolicy': bucketPolicy,
  'AWS::Events::Rule': rule,
  'AWS::Events::EventBus': eventBus,
  'AWS::StepFunctions::StateMachine': stateMachine,
  'AWS::StepFunctions::Activity': activity,
  ...LAMBDA_PROVIDERS,
  ...DATA_PROVIDERS,
};
