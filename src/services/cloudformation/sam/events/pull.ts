// Function pull events (event source mappings): SQS, Kinesis, DynamoDB, MSK, MQ, SelfManagedKafka, DocumentDB.
import { managedArn, type TransformContext } from '../context.js';
import { InvalidEventError } from '../errors.js';
import { rolePolicies } from '../iam.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { FunctionTarget } from '../resources/function.js';
import { cfn, isIntrinsic, isObj, truthy, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';
import { noIntrinsics, validateProps, type Spec } from '../validate.js';
import { prop } from './common.js';

const COMMON: Spec = {
  BatchSize: 'int', StartingPosition: 'any', StartingPositionTimestamp: 'any', Enabled: 'bool', MaximumBatchingWindowInSeconds: 'int',
  MaximumRetryAttempts: 'int', BisectBatchOnFunctionError: 'bool', MaximumRecordAgeInSeconds: 'int', DestinationConfig: 'map',
  ParallelizationFactor: 'int', Topics: 'list', Queues: 'list', SourceAccessConfigurations: 'list', SecretsManagerKmsKeyId: 'string',
  TumblingWindowInSeconds: 'int', FunctionResponseTypes: 'list', KafkaBootstrapServers: 'list', FilterCriteria: 'map', KmsKeyArn: 'any',
  ConsumerGroupId: 'string', ScalingConfig: 'map', ProvisionedPollerConfig: 'map', SchemaRegistryConfig: 'map', MetricsConfig: 'map', LoggingConfig: 'map',
};
const FILTERING = ['DocumentDB', 'DynamoDB', 'Kinesis', 'MQ', 'MSK', 'SelfManagedKafka', 'SQS'];
const PASS = [
  'StartingPosition', 'StartingPositionTimestamp', 'BatchSize', 'Enabled', 'MaximumBatchingWindowInSeconds', 'MaximumRetryAttempts', 'BisectBatchOnFunctionError',
  'MaximumRecordAgeInSeconds', 'ParallelizationFactor', 'Topics', 'Queues', 'SourceAccessConfigurations', 'TumblingWindowInSeconds', 'FunctionResponseTypes',
  'FilterCriteria', 'KmsKeyArn', 'ScalingConfig', 'ProvisionedPollerConfig', 'MetricsConfig', 'LoggingConfig',
];

interface PullKind {
  type: string;
  extra: Spec;
  arnProp?: string;
  policyArn?: string;
  statements?(ev: SamEvent, ctx: TransformContext): JsonObject[] | undefined;
  extraFields?(ev: SamEvent, m: JsonObject): void;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Adds the poller's permissions to the execution role, without duplicates (by ARN, and by policy document). */
function linkPolicy(role: CfnResource, arn: string | undefined, statements: JsonObject[] | undefined, destPolicy: JsonObject | undefined): void {
  const p = role.Properties!;
  if (arn !== undefined) {
    const list = (p['ManagedPolicyArns'] ??= []) as Json[];
    if (!list.some((x) => sameJson(x, arn))) list.push(arn);
  }
  if (statements !== undefined) {
    const pol = (p['Policies'] ??= []) as JsonObject[];
    for (const s of statements) if (!pol.some((x) => sameJson(x, s)) && !pol.some((x) => sameJson(x['PolicyDocument'], s['PolicyDocument']))) pol.push(s);
  }
  if (destPolicy) {
    const pol = p['Policies'] as JsonObject[] | undefined;
    if (pol === undefined) p['Policies'] = [destPolicy];
    else if (!pol.some((x) => sameJson(x, destPolicy)) && !pol.some((x) => sameJson(x['PolicyDocument'] ?? {}, destPolicy['PolicyDocument']))) pol.push(destPolicy);
  }
}

function mapping(kind: PullKind, ev: SamEvent, t: FunctionTarget, ctx: TransformContext): Generated[] {
  const m: JsonObject = { FunctionName: t.nameOrArn };
  if (kind.arnProp && prop(ev, kind.arnProp) !== undefined) m['EventSourceArn'] = ev.props[kind.arnProp]!;
  for (const k of PASS) if (prop(ev, k) !== undefined) m[k] = ev.props[k]!;
  const fc = prop(ev, 'FilterCriteria');
  if (truthy(fc) && !isIntrinsic(fc)) {
    if (!FILTERING.includes(kind.type)) throw new InvalidEventError(ev.relativeId, `FilterCriteria is only available for ${FILTERING.join(', ')} events.`);
    const keys = Object.keys(fc as unknown as JsonObject);
    if (!(keys.length === 0 || (keys.length === 1 && keys[0] === 'Filters'))) throw new InvalidEventError(ev.relativeId, 'FilterCriteria field has a wrong format');
  }
  const kbs = prop(ev, 'KafkaBootstrapServers');
  if (truthy(kbs)) m['SelfManagedEventSource'] = { Endpoints: { KafkaBootstrapServers: kbs! } };
  const cg = prop(ev, 'ConsumerGroupId');
  if (truthy(cg)) {
    if (kind.type === 'MSK') m['AmazonManagedKafkaEventSourceConfig'] = { ConsumerGroupId: cg! };
    else if (kind.type === 'SelfManagedKafka') m['SelfManagedKafkaEventSourceConfig'] = { ConsumerGroupId: cg! };
    else throw new InvalidEventError(ev.logicalId, `Property ConsumerGroupId not defined for resource of type ${kind.type}.`);
  }
  const src = prop(ev, 'SchemaRegistryConfig');
  if (truthy(src)) {
    const key = kind.type === 'MSK' ? 'AmazonManagedKafkaEventSourceConfig' : kind.type === 'SelfManagedKafka' ? 'SelfManagedKafkaEventSourceConfig' : undefined;
    if (key) ((m[key] ??= {}) as JsonObject)['SchemaRegistryConfig'] = src!;
  }
  let destPolicy: JsonObject | undefined;
  const dc = prop(ev, 'DestinationConfig');
  if (truthy(dc)) {
    const onFailure = (dc as JsonObject)['OnFailure'];
    if (!isObj(onFailure)) throw new InvalidEventError(ev.logicalId, "Property 'DestinationConfig.OnFailure' should be a map.");
    const type = onFailure['Type'];
    if (truthy(type)) {
      delete onFailure['Type'];
      if (!['SQS', 'SNS', 'S3', 'Kafka'].includes(type as string)) throw new InvalidEventError(ev.logicalId, "The only valid values for 'Type' are 'SQS', 'SNS', 'S3', and 'Kafka'");
      const d = onFailure['Destination'] ?? null;
      if (type === 'SQS') destPolicy = rolePolicies.sqsSend(d, ev.logicalId);
      else if (type === 'SNS') destPolicy = rolePolicies.snsPublish(d, ev.logicalId);
      else if (type === 'S3') destPolicy = rolePolicies.s3Put(d, ev.logicalId);
    }
    m['DestinationConfig'] = dc!;
  }
  kind.extraFields?.(ev, m);
  linkPolicy(t.role, kind.policyArn ? managedArn(ctx, kind.policyArn) : undefined, kind.statements?.(ev, ctx), destPolicy);
  return [{ id: ev.logicalId, resource: cfn('AWS::Lambda::EventSourceMapping', m, t.passthrough) }];
}

/** The mapping an SNS event with SqsSubscription makes for its queue. */
export function sqsMapping(ctx: TransformContext, id: string, t: FunctionTarget, queueArn: Json, batchSize: Json | undefined, enabled: Json | undefined): Generated[] {
  const m: JsonObject = { FunctionName: t.nameOrArn, EventSourceArn: queueArn, BatchSize: batchSize ?? 10 };
  if (enabled !== undefined) m['Enabled'] = enabled;
  linkPolicy(t.role, managedArn(ctx, 'service-role/AWSLambdaSQSQueueExecutionRole'), undefined, undefined);
  return [{ id, resource: cfn('AWS::Lambda::EventSourceMapping', m, t.passthrough) }];
}

function sourceAccess(ev: SamEvent, supported: string[], required: string): Json {
  const sac = prop(ev, 'SourceAccessConfigurations');
  if (!truthy(sac)) throw new InvalidEventError(ev.relativeId, `No SourceAccessConfigurations for Amazon ${ev.type} event provided.`);
  if (!Array.isArray(sac)) throw new InvalidEventError(ev.relativeId, 'Provided SourceAccessConfigurations cannot be parsed into a list.');
  let uri: Json | undefined;
  sac.forEach((conf, i) => {
    if (!isObj(conf)) throw new InvalidEventError(ev.relativeId, `Property 'SourceAccessConfigurations[${i}]' should be a map.`);
    const type = conf['Type'];
    if (typeof type !== 'string') throw new InvalidEventError(ev.relativeId, `Property 'SourceAccessConfigurations[${i}].Type' should be a string.`);
    if (!supported.includes(type)) throw new InvalidEventError(ev.relativeId, `Invalid property Type specified in SourceAccessConfigurations. The supported values are: [${supported.map((s) => `'${s}'`).join(', ')}].`);
    if (type === required) {
      if (truthy(uri)) throw new InvalidEventError(ev.relativeId, `Multiple ${required} properties specified in SourceAccessConfigurations.`);
      uri = conf['URI'];
      if (!truthy(uri)) throw new InvalidEventError(ev.relativeId, `No ${required} URI property specified in SourceAccessConfigurations.`);
    }
  });
  if (!truthy(uri)) throw new InvalidEventError(ev.relativeId, `No ${required} property specified in SourceAccessConfigurations.`);
  return uri!;
}

const kmsDecrypt = (keyId: Json, action: Json): JsonObject => ({ Action: action, Effect: 'Allow', Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/${String(keyId)}` } });

function checkKmsKeyId(ev: SamEvent): void {
  const k = prop(ev, 'SecretsManagerKmsKeyId');
  if (truthy(k) && typeof k !== 'string') throw new InvalidEventError(ev.relativeId, "Property 'SecretsManagerKmsKeyId' should be a string.");
}

function schemaRegistryStatements(ev: SamEvent, ctx: TransformContext): JsonObject[] | undefined {
  const c = prop(ev, 'SchemaRegistryConfig');
  if (!truthy(c)) return undefined;
  if (!isObj(c)) throw new InvalidEventError(ev.relativeId, "Property 'SchemaRegistryConfig' should be a map.");
  for (const f of ['SchemaRegistryURI', 'EventRecordFormat', 'SchemaValidationConfigs']) if (!(f in c)) throw new InvalidEventError(ev.relativeId, `Missing required field ${f} in SchemaRegistryConfig`);
  if (c['EventRecordFormat'] !== 'JSON' && c['EventRecordFormat'] !== 'SOURCE') throw new InvalidEventError(ev.relativeId, "EventRecordFormat in SchemaRegistryConfig must be either 'JSON' or 'SOURCE'");
  if (!Array.isArray(c['SchemaValidationConfigs'])) throw new InvalidEventError(ev.relativeId, 'SchemaValidationConfigs must be a list');
  const access = c['AccessConfigs'] ?? [];
  if (truthy(access)) {
    if (!Array.isArray(access)) throw new InvalidEventError(ev.relativeId, 'AccessConfigs in SchemaRegistryConfig must be a list');
    for (const a of access) if (!isObj(a) || !('Type' in a) || !('URI' in a)) throw new InvalidEventError(ev.relativeId, "Each AccessConfig must be a dict with 'Type' and 'URI' fields");
  }
  const out: JsonObject[] = [];
  for (const a of (Array.isArray(access) ? access : []) as Json[]) if (isObj(a) && 'URI' in a) out.push({ Action: ['secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: a['URI']! });
  const uri = c['SchemaRegistryURI'];
  let arn: Json | undefined;
  if (typeof uri === 'string') arn = uri;
  else if (isObj(uri)) arn = (ctx.resolver.resolveParameterRefs(structuredClone(uri)) as JsonObject)['Fn::Sub'];
  const s = typeof arn === 'string' ? arn : arn === undefined ? 'None' : JSON.stringify(arn);
  const parts = s.startsWith('arn') ? s.split(':') : [];
  const name = parts.length >= 6 && parts[5]!.startsWith('registry/') ? parts[5]!.slice('registry/'.length) : undefined;
  if (name !== undefined) {
    out.push({ Action: ['glue:GetRegistry'], Effect: 'Allow', Resource: uri! });
    out.push({ Action: ['glue:GetSchemaVersion'], Effect: 'Allow', Resource: [{ 'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:schema/${name}/*` }] });
  }
  return out;
}

const VPC_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'];

const KINDS: PullKind[] = [
  { type: 'SQS', extra: { Queue: { check: 'any', required: true } }, arnProp: 'Queue', policyArn: 'service-role/AWSLambdaSQSQueueExecutionRole' },
  { type: 'Kinesis', extra: { Stream: { check: 'any', required: true }, StartingPosition: { check: 'any', required: true } }, arnProp: 'Stream', policyArn: 'service-role/AWSLambdaKinesisExecutionRole' },
  { type: 'DynamoDB', extra: { Stream: { check: 'any', required: true }, StartingPosition: { check: 'any', required: true } }, arnProp: 'Stream', policyArn: 'service-role/AWSLambdaDynamoDBExecutionRole' },
  {
    type: 'MSK',
    extra: { Stream: { check: 'any', required: true }, StartingPosition: { check: 'any', required: true } },
    arnProp: 'Stream',
    policyArn: 'service-role/AWSLambdaMSKExecutionRole',
    statements(ev, ctx) {
      const st: JsonObject[] = [];
      const sr = schemaRegistryStatements(ev, ctx);
      if (sr) st.push(...sr);
      const sac = prop(ev, 'SourceAccessConfigurations');
      if (Array.isArray(sac)) for (const c of sac) if (isObj(c) && c['Type'] === 'CLIENT_CERTIFICATE_TLS_AUTH' && truthy(c['URI'])) st.push({ Action: ['secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: c['URI']! });
      return st.length ? [{ PolicyName: 'MSKExecutionRolePolicy', PolicyDocument: { Statement: st } }] : undefined;
    },
  },
  {
    type: 'MQ',
    extra: { Broker: { check: 'any', required: true }, DynamicPolicyName: noIntrinsics('bool') },
    arnProp: 'Broker',
    statements(ev) {
      const uri = sourceAccess(ev, ['BASIC_AUTH', 'VIRTUAL_HOST'], 'BASIC_AUTH');
      const st: JsonObject[] = [
        { Action: ['secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: uri },
        { Action: ['mq:DescribeBroker'], Effect: 'Allow', Resource: ev.props['Broker']! },
      ];
      const k = prop(ev, 'SecretsManagerKmsKeyId');
      if (truthy(k)) {
        checkKmsKeyId(ev);
        st.push(kmsDecrypt(k!, 'kms:Decrypt'));
      }
      return [{ PolicyName: ev.props['DynamicPolicyName'] ? `${ev.logicalId}AMQPolicy` : 'SamAutoGeneratedAMQPolicy', PolicyDocument: { Statement: st } }];
    },
  },
  {
    type: 'SelfManagedKafka',
    extra: {},
    statements(ev, ctx) {
      const topics = prop(ev, 'Topics');
      if (!truthy(prop(ev, 'KafkaBootstrapServers'))) throw new InvalidEventError(ev.relativeId, 'No KafkaBootstrapServers provided for self managed kafka as an event source');
      if (!truthy(topics)) throw new InvalidEventError(ev.relativeId, 'No Topics provided for self managed kafka as an event source');
      // len() of the value: a list's length, or a map's key count (an intrinsic counts as one).
      if ((Array.isArray(topics) ? topics.length : Object.keys(topics as object).length) !== 1) throw new InvalidEventError(ev.relativeId, 'Topics for self managed kafka only supports single configuration entry.');
      const sac = prop(ev, 'SourceAccessConfigurations');
      if (!truthy(sac)) throw new InvalidEventError(ev.relativeId, 'No SourceAccessConfigurations for self managed kafka event provided.');
      return [kafkaPolicy(ev, ctx, sac as Json[])];
    },
  },
  {
    type: 'DocumentDB',
    extra: { Cluster: { check: 'any', required: true }, DatabaseName: { check: 'any', required: true }, CollectionName: 'any', FullDocument: 'any' },
    arnProp: 'Cluster',
    extraFields(ev, m) {
      const c: JsonObject = { DatabaseName: ev.props['DatabaseName']! };
      if (truthy(prop(ev, 'CollectionName'))) c['CollectionName'] = ev.props['CollectionName']!;
      if (truthy(prop(ev, 'FullDocument'))) c['FullDocument'] = ev.props['FullDocument']!;
      m['DocumentDBEventSourceConfig'] = c;
    },
    statements(ev) {
      const uri = sourceAccess(ev, ['BASIC_AUTH'], 'BASIC_AUTH');
      const st: JsonObject[] = [
        { Action: ['secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: uri },
        { Action: ['rds:DescribeDBClusterParameters'], Effect: 'Allow', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-pg:*' } },
        { Action: ['rds:DescribeDBSubnetGroups'], Effect: 'Allow', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:subgrp:*' } },
        { Action: ['rds:DescribeDBClusters'], Effect: 'Allow', Resource: ev.props['Cluster']! },
        { Action: VPC_ACTIONS, Effect: 'Allow', Resource: '*' },
      ];
      const k = prop(ev, 'SecretsManagerKmsKeyId');
      if (truthy(k)) {
        checkKmsKeyId(ev);
        st.push(kmsDecrypt(k!, ['kms:Decrypt']));
      }
      return [{ PolicyName: 'SamAutoGeneratedDocumentDBPolicy', PolicyDocument: { Statement: st } }];
    },
  },
];

const AUTH = ['SASL_SCRAM_256_AUTH', 'SASL_SCRAM_512_AUTH', 'BASIC_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH'];

function kafkaPolicy(ev: SamEvent, ctx: TransformContext, sac: Json[]): JsonObject {
  const rid = ev.relativeId;
  if (!Array.isArray(sac)) throw new InvalidEventError(rid, 'SourceAccessConfigurations for self managed kafka event should be a list.');
  let auth: Json | undefined;
  let auth2: Json | undefined;
  let subnet = false;
  let sg = false;
  const checkUri = (uri: Json | undefined, what: string): void => {
    if (!truthy(uri)) throw new InvalidEventError(rid, `No ${what} URI property specified in SourceAccessConfigurations for self managed kafka event.`);
    if (typeof uri !== 'string' && !isIntrinsic(uri)) throw new InvalidEventError(rid, `Wrong Type for ${what} URI property specified in SourceAccessConfigurations for self managed kafka event.`);
  };
  for (const c of sac) {
    if (!isObj(c)) throw new InvalidEventError(rid, "Property 'SourceAccessConfigurations' should be a map.");
    const type = c['Type'];
    if (type === 'VPC_SUBNET') {
      checkUri(c['URI'], 'VPC_SUBNET');
      subnet = true;
    } else if (type === 'VPC_SECURITY_GROUP') {
      checkUri(c['URI'], 'VPC_SECURITY_GROUP');
      sg = true;
    } else if (typeof type === 'string' && AUTH.includes(type)) {
      if (truthy(auth)) throw new InvalidEventError(rid, 'Multiple auth mechanism properties specified in SourceAccessConfigurations for self managed kafka event.');
      checkUri(c['URI'], 'auth mechanism');
      auth = c['URI'];
    } else if (type === 'SERVER_ROOT_CA_CERTIFICATE') {
      checkUri(c['URI'], 'SERVER_ROOT_CA_CERTIFICATE');
      auth2 = c['URI'];
    } else throw new InvalidEventError(rid, 'Invalid SourceAccessConfigurations Type provided for self managed kafka event.');
  }
  if (subnet !== sg) throw new InvalidEventError(rid, 'VPC_SUBNET and VPC_SECURITY_GROUP in SourceAccessConfigurations for SelfManagedKafka must be both provided.');
  const st: JsonObject[] = [];
  const secret = (uri: Json | undefined): JsonObject => ({ Action: ['secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: uri ?? null });
  if (truthy(auth)) st.push(secret(auth));
  // The reference grants the first URI twice here (not the root CA's); kept so templates compare equal.
  if (truthy(auth2)) st.push(secret(auth));
  if (subnet && sg) st.push({ Action: VPC_ACTIONS, Effect: 'Allow', Resource: '*' });
  const k = prop(ev, 'SecretsManagerKmsKeyId');
  if (truthy(k)) {
    checkKmsKeyId(ev);
    st.push(kmsDecrypt(k!, ['kms:Decrypt']));
  }
  const sr = schemaRegistryStatements(ev, ctx);
  if (sr) st.push(...sr);
  return { PolicyDocument: { Statement: st, Version: '2012-10-17' }, PolicyName: 'SelfManagedKafkaExecutionRolePolicy' };
}

export const pullEvents: EventTranslator<FunctionTarget>[] = KINDS.map((kind) => ({
  type: kind.type,
  check(ev) {
    validateProps(ev.logicalId, ev.type, ev.props, { ...COMMON, ...kind.extra });
  },
  translate(ev, t, ctx) {
    validateProps(ev.logicalId, ev.type, ev.props, { ...COMMON, ...kind.extra });
    return mapping(kind, ev, t, ctx);
  },
}));
