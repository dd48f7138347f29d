// CloudWatch Logs', Kinesis' and DynamoDB's operations as IAM sees them: log group and stream ARNs, stream and
// consumer ARNs, table/index/stream ARNs (batch and transaction operations on every table they name), and
// dynamodb:LeadingKeys / Select / ReturnValues.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for Amazon CloudWatch Logs"
// (list_amazoncloudwatchlogs.html: log-group `log-group:<name>`, log-stream `log-group:<g>:log-stream:<s>`),
// "… for Amazon Kinesis" (list_amazonkinesis.html: stream `stream/<name>`, consumer `<stream>/consumer/<name>:<t>`),
// "… for Amazon DynamoDB" (list_amazondynamodb.html; TransactGetItems and TransactWriteItems are authorized as
// the item actions they contain, per "Using IAM with DynamoDB transactions" in the developer guide).
import { arnOr, keysOf, orStar } from './kit.js';
import type { Check, ConditionContext, Rule, RuleKit, ServiceRules } from './types.js';

const star: Rule = {};

/** A log group from logGroupName or logGroupIdentifier (a name or an ARN, possibly ending in `:*`). */
function logGroup(k: RuleKit, member?: string): string | undefined {
  const raw = (member ? k.str(member) : undefined) ?? k.str('logGroupName') ?? k.str('logGroupIdentifier');
  if (raw === undefined) return undefined;
  if (raw.startsWith('arn:')) return raw.replace(/:\*$/, '');
  return k.arn('logs', `log-group:${raw}`);
}
const group = (k: RuleKit): string[] => {
  const g = logGroup(k);
  return g === undefined ? ['*'] : [g];
};
const stream = (k: RuleKit): string[] => {
  const g = logGroup(k);
  const s = k.str('logStreamName');
  return g === undefined ? ['*'] : [s === undefined ? g : `${g}:log-stream:${s}`];
};

export const logsRules: ServiceRules = {
  prefix: 'logs',
  fallback: { resources: (k) => (logGroup(k) !== undefined ? group(k) : [k.str('resourceArn') ?? k.str('resourceIdentifier') ?? '*']) },
  ops: {
    // The reference gives DescribeLogGroups the log-group resource type though it lists the account's groups: the
    // request acts on all of them, which policies grant as `log-group:*` (or `*`).
    DescribeLogGroups: { resources: (k) => [k.arn('logs', 'log-group:*')] },
    DescribeQueries: star,
    DescribeDestinations: star,
    DescribeExportTasks: star,
    DescribeResourcePolicies: star,
    DescribeQueryDefinitions: star,
    PutResourcePolicy: star,
    DeleteResourcePolicy: star,
    GetQueryResults: star,
    StopQuery: star,
    TestMetricFilter: star,
    CreateLogGroup: { resources: group },
    DeleteLogGroup: { resources: group },
    // The reference gives CreateLogStream the log-group type; AWS evaluates it on the stream it creates, so that the
    // usual execution-role grant (`log-group:<g>:*` for CreateLogStream and PutLogEvents) allows it.
    CreateLogStream: { resources: stream },
    DeleteLogStream: { resources: stream },
    PutLogEvents: { resources: stream },
    GetLogEvents: { resources: stream },
    DescribeLogStreams: { resources: group },
    FilterLogEvents: { resources: group },
    StartQuery: { resources: (k) => orStar([...(k.str('logGroupName') ? group(k) : []), ...k.list('logGroupNames').map((n) => k.arn('logs', `log-group:${n}`)), ...k.list('logGroupIdentifiers').map((n) => (n.startsWith('arn:') ? n : k.arn('logs', `log-group:${n}`)))]) },
    StartLiveTail: { resources: (k) => orStar(k.list('logGroupIdentifiers')) },
    TagResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
    ListTagsForResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
    // The deprecated log group tagging operations name the group.
    TagLogGroup: { resources: group },
    UntagLogGroup: { resources: group },
    ListTagsLogGroup: { resources: group },
  },
};

/** A stream from StreamARN or StreamName. */
const kStream = (k: RuleKit): string[] => (k.str('StreamARN') !== undefined ? [k.str('StreamARN')!] : arnOr(k, 'kinesis', 'stream/', k.str('StreamName')));
const consumer = (k: RuleKit): string[] => {
  const c = k.str('ConsumerARN');
  if (c !== undefined) return [c];
  const s = kStream(k)[0]!;
  const name = k.str('ConsumerName');
  // DescribeStreamConsumer by stream + name: the consumer ARN ends in its creation time, which the request lacks.
  return s === '*' || name === undefined ? ['*'] : [`${s}/consumer/${name}`];
};

export const kinesisRules: ServiceRules = {
  prefix: 'kinesis',
  fallback: { resources: kStream },
  ops: {
    ListStreams: star,
    DescribeLimits: star,
    EnableEnhancedMonitoring: { resources: kStream },
    GetRecords: { resources: (k) => (k.str('StreamARN') !== undefined ? kStream(k) : [streamOfIterator(k.str('ShardIterator'), 'kinesis') ?? '*']) },
    DescribeStreamConsumer: { resources: consumer },
    DeregisterStreamConsumer: { resources: consumer },
    SubscribeToShard: { resources: consumer },
    RegisterStreamConsumer: { resources: kStream },
    ListStreamConsumers: { resources: kStream },
    TagResource: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
    ListTagsForResource: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
    GetResourcePolicy: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
    PutResourcePolicy: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
    DeleteResourcePolicy: { resources: (k) => [k.str('ResourceARN') ?? '*'] },
  },
};

const tableArn = (k: RuleKit, name: string): string => (name.startsWith('arn:') ? name : k.arn('dynamodb', `table/${name}`));
const table = (k: RuleKit): string[] => {
  const t = k.str('TableName');
  return t === undefined ? ['*'] : [tableArn(k, t)];
};
/** Query and Scan on an index act on `table/<t>/index/<i>`. */
const tableOrIndex = (k: RuleKit): string[] => {
  const t = table(k)[0]!;
  const i = k.str('IndexName');
  return t === '*' || i === undefined ? [t] : [`${t}/index/${i}`];
};

/** The partition key values a single-item request names (dynamodb:LeadingKeys). */
function leadingKeys(k: RuleKit): ConditionContext {
  const key = k.input['Key'] ?? k.input['Item'];
  const attrs = keysOf(key);
  const t = k.str('TableName');
  const hash = (t !== undefined ? k.scope.resolve?.('dynamodb-hash-key', t) : undefined) ?? (attrs.length === 1 && k.input['Key'] !== undefined ? attrs[0] : undefined);
  if (hash === undefined) return {};
  const v = (key as Record<string, unknown>)[hash];
  if (v === null || typeof v !== 'object') return {};
  const scalar = Object.values(v as Record<string, unknown>)[0];
  return typeof scalar === 'string' ? { 'dynamodb:LeadingKeys': [scalar] } : {};
}

function itemKeys(k: RuleKit): ConditionContext {
  const out: ConditionContext = { ...leadingKeys(k) };
  for (const m of ['Select', 'ReturnValues', 'ReturnConsumedCapacity']) {
    const v = k.str(m);
    if (v !== undefined) out[`dynamodb:${m}`] = v;
  }
  return out;
}

const item: Rule = { resources: table, context: itemKeys };
const batchTables = (k: RuleKit): string[] => orStar(keysOf(k.input['RequestItems']).map((t) => tableArn(k, t)));

/** TransactWriteItems' entries: `{Put|Update|Delete|ConditionCheck: {TableName, …}}` → the item action per table. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
function transactChecks(k: RuleKit): Check[] {
  const items = Array.isArray(k.input['TransactItems']) ? (k.input['TransactItems'] as unknown[]) : [];
  const by = new Map<string, Set<string>>();
  for (const it of items) {
    for (const [kind, body] of Object.entries(it !== null && typeof it === 'object' ? (it as Record<string, unknown>) : {})) {
      const action = TRANSACT_ACTIONS[kind];
      const t = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['TableName'] : undefined;
      if (action === undefined || typeof t !== 'string') continue;
      const set = by.get(`dynamodb:${action}`) ?? new Set<string>();
      set.add(tableArn(k, t));
      by.set(`dynamodb:${action}`, set);
    }
  }
  return [...by].map(([action, arns]) => ({ action, resources: [...arns] }));
}
/** The first transact check is the answer's action; the others go to `also`. */
const transact = (fallbackAction: string): Rule => ({
  action: (k) => transactChecks(k)[0]?.action ?? fallbackAction,
  resources: (k) => transactChecks(k)[0]?.resources ?? ['*'],
  also: (k) => transactChecks(k).slice(1),
});

export const dynamodbRules: ServiceRules = {
  prefix: 'dynamodb',
  fallback: { resources: (k) => (k.str('TableName') !== undefined ? table(k) : [k.str('ResourceArn') ?? k.str('StreamArn') ?? k.str('BackupArn') ?? '*']) },
  ops: {
    ListTables: star,
    ListBackups: star,
    ListGlobalTables: star,
    ListExports: star,
    ListImports: star,
    DescribeLimits: star,
    DescribeEndpoints: star,
    // DynamoDB Streams (the dynamodbstreams model): ListStreams has no resource; the others name the stream.
    ListStreams: star,
    DescribeStream: { resources: (k) => [k.str('StreamArn') ?? '*'] },
    GetRecords: { resources: (k) => [streamOfIterator(k.str('ShardIterator'), 'dynamodb') ?? '*'] },
    GetShardIterator: { resources: (k) => [k.str('StreamArn') ?? '*'] },
    GetItem: item,
    PutItem: item,
    UpdateItem: item,
    DeleteItem: item,
    Query: { resources: tableOrIndex, context: itemKeys },
    Scan: { resources: tableOrIndex, context: itemKeys },
    BatchGetItem: { resources: batchTables },
    BatchWriteItem: { resources: batchTables },
    TransactGetItems: transact('dynamodb:GetItem'),
    TransactWriteItems: transact('dynamodb:PutItem'),
    TagResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
    ListTagsOfResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
  },
};

/**
 * A shard iterator names its stream only in selfless's own encoding (base64 JSON holding the stream's ARN); AWS's
 * are opaque, and AWS authorizes GetRecords on the stream the iterator was issued for.
 */
function streamOfIterator(it: string | undefined, service: 'kinesis' | 'dynamodb'): string | undefined {
  if (it === undefined) return undefined;
  const re = service === 'kinesis' ? /arn:aws:kinesis:[^"\s]+?:stream\/[\w.-]+/ : /arn:aws:dynamodb:[^"\s]+?\/stream\/[^"\s|]+/;
  let decoded = '';
  try {
    decoded = Buffer.from(it, 'base64').toString('utf8');
  } catch {
    /* not base64: only the token itself is searched */
  }
  return (re.exec(it) ?? re.exec(decoded))?.[0];
}
