// Resource providers for the data services: DynamoDB tables (SAM's SimpleTable becomes one) and Kinesis streams.
import type { Json, JsonObject } from '../template/index.js';
import { physicalName, pick, s, type Created, type Provider, type ProviderContext } from './provider-kit.js';

const TABLE_KEYS = ['KeySchema', 'AttributeDefinitions', 'BillingMode', 'ProvisionedThroughput', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'StreamSpecification', 'SSESpecification', 'TableClass', 'DeletionProtectionEnabled', 'Tags'];


function tableCreated(d: Record<string, unknown>): Created {
  const name = String(d['TableName']);
  const attributes: Record<string, Json> = { Arn: String(d['TableArn']) };
  if (d['LatestStreamArn']) attributes['StreamArn'] = String(d['LatestStreamArn']);
  return { physicalId: name, attributes };
}

async function timeToLive(p: JsonObject, c: ProviderContext, name: string, old?: JsonObject): Promise<void> {
  const ttl = p['TimeToLiveSpecification'] as JsonObject | undefined;
  const was = old?.['TimeToLiveSpecification'] as JsonObject | undefined;
  if (JSON.stringify(ttl) === JSON.stringify(was)) return;
  const on = ttl?.['Enabled'] === true || ttl?.['Enabled'] === 'true';
  const attr = s(ttl?.['AttributeName']) ?? s(was?.['AttributeName']);
  if (!attr) return;
  await c.call('dynamodb', 'UpdateTimeToLive', { TableName: name, TimeToLiveSpecification: { AttributeName: attr, Enabled: on } });
}

/** Only what the update changed is sent: DynamoDB refuses an UpdateTable that changes nothing. */
function tableUpdate(p: JsonObject, old: JsonObject, name: string): Record<string, unknown> | undefined {
  const u: Record<string, unknown> = {};
  const changed = (k: string): boolean => JSON.stringify(p[k]) !== JSON.stringify(old[k]);
  if (changed('BillingMode') && p['BillingMode'] !== undefined) u['BillingMode'] = p['BillingMode'];
  if (changed('ProvisionedThroughput') && p['ProvisionedThroughput'] !== undefined) u['ProvisionedThroughput'] = p['ProvisionedThroughput'];
  if (changed('StreamSpecification')) u['StreamSpecification'] = p['StreamSpecification'] ? { StreamEnabled: true, ...(p['StreamSpecification'] as JsonObject) } : { StreamEnabled: false };
  if (changed('GlobalSecondaryIndexes')) {
    const before = new Map(((old['GlobalSecondaryIndexes'] as JsonObject[]) ?? []).map((g) => [String(g['IndexName']), g]));
    const after = new Map(((p['GlobalSecondaryIndexes'] as JsonObject[]) ?? []).map((g) => [String(g['IndexName']), g]));
    const updates: unknown[] = [];
    for (const n of before.keys()) if (!after.has(n)) updates.push({ Delete: { IndexName: n } });
    for (const [n, g] of after) if (!before.has(n)) updates.push({ Create: g });
    if (updates.length) {
      u['GlobalSecondaryIndexUpdates'] = updates;
      u['AttributeDefinitions'] = p['AttributeDefinitions'];
    }
  }
  return Object.keys(u).length ? { TableName: name, ...u } : undefined;
}

const table: Provider = {
  createOnly: ['TableName', 'KeySchema', 'LocalSecondaryIndexes'],
  async create(p, c) {
    const name = s(p['TableName']) ?? physicalName(c, 255);
    const input: Record<string, unknown> = { TableName: name, ...pick(p, TABLE_KEYS) };
    if (input['StreamSpecification']) input['StreamSpecification'] = { StreamEnabled: true, ...(input['StreamSpecification'] as JsonObject) };
    if (!input['BillingMode'] && !input['ProvisionedThroughput']) input['BillingMode'] = 'PROVISIONED';
    const out = await c.call('dynamodb', 'CreateTable', input);
    await timeToLive(p, c, name);
    return tableCreated(out['TableDescription'] as Record<string, unknown>);
  },
  async update(p, old, c) {
    const prev = old.properties ?? {};
    const u = tableUpdate(p, prev, old.physicalId);
    if (u) await c.call('dynamodb', 'UpdateTable', u);
    await timeToLive(p, c, old.physicalId, prev);
    const d = (await c.call('dynamodb', 'DescribeTable', { TableName: old.physicalId }))['Table'] as Record<string, unknown>;
    return tableCreated(d);
  },
  async delete(r, _p, c) {
    await c.call('dynamodb', 'DeleteTable', { TableName: r.physicalId });
  },
};

/** Waits for a stream to leave CREATING/UPDATING (Kinesis answers those at once and settles shortly after). */
async function streamActive(c: ProviderContext, name: string): Promise<Record<string, unknown>> {
  for (let i = 0; ; i++) {
    const d = (await c.call('kinesis', 'DescribeStreamSummary', { StreamName: name }))['StreamDescriptionSummary'] as Record<string, unknown>;
    if (d['StreamStatus'] === 'ACTIVE' || i >= 300) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stream: Provider = {
  createOnly: ['Name'],
  async create(p, c) {
    const name = s(p['Name']) ?? physicalName(c, 128);
    const mode = (p['StreamModeDetails'] as JsonObject | undefined)?.['StreamMode'];
    const shards = p['ShardCount'] ?? (mode === 'ON_DEMAND' ? undefined : 1);
    await c.call('kinesis', 'CreateStream', { StreamName: name, ...(shards !== undefined ? { ShardCount: Number(shards) } : {}), ...(p['StreamModeDetails'] ? { StreamModeDetails: p['StreamModeDetails'] } : {}) });
    let d = await streamActive(c, name);
    const hours = p['RetentionPeriodHours'] !== undefined ? Number(p['RetentionPeriodHours']) : 24;
    if (hours > 24) await c.call('kinesis', 'IncreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: hours });
    const tags = (p['Tags'] as JsonObject[] | undefined) ?? [];
    if (tags.length) await c.call('kinesis', 'AddTagsToStream', { StreamName: name, Tags: Object.fromEntries(tags.map((t) => [String(t['Key']), String(t['Value'])])) });
    d = await streamActive(c, name);
    return { physicalId: name, attributes: { Arn: String(d['StreamARN']) } };
  },
  async update(p, old, c) {
    const prev = old.properties ?? {};
    if (p['ShardCount'] !== undefined && Number(p['ShardCount']) !== Number(prev['ShardCount'] ?? 1)) {
      await c.call('kinesis', 'UpdateShardCount', { StreamName: old.physicalId, TargetShardCount: Number(p['ShardCount']), ScalingType: 'UNIFORM_SCALING' });
      await streamActive(c, old.physicalId);
    }
    const hours = Number(p['RetentionPeriodHours'] ?? 24);
    const was = Number(prev['RetentionPeriodHours'] ?? 24);
    if (hours > was) await c.call('kinesis', 'IncreaseStreamRetentionPeriod', { StreamName: old.physicalId, RetentionPeriodHours: hours });
    if (hours < was) await c.call('kinesis', 'DecreaseStreamRetentionPeriod', { StreamName: old.physicalId, RetentionPeriodHours: hours });
    return old;
  },
  async delete(r, _p, c) {
    await c.call('kinesis', 'DeleteStream', { StreamName: r.physicalId, EnforceConsumerDeletion: true });
  },
};

export const DATA_PROVIDERS: Record<string, Provider> = {
  'AWS::DynamoDB::Table': table,
  'AWS::Kinesis::Stream': stream,
};
