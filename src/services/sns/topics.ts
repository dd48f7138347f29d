// Topic operations: CreateTopic (idempotent as AWS: same attributes, same ARN), DeleteTopic, attributes (Policy,
// DeliveryPolicy, DisplayName, KmsMasterKeyId, counts), tags, AddPermission/RemovePermission on the stored policy.
import { invalidParameter, resourceNotFound, tagLimitExceeded, topicNotFound } from './errors.js';
import { addPermission, checkDeliveryPolicy, checkTopicName, defaultPolicy, effectiveDeliveryPolicy, parseTopicArn, removePermission, topicArn, type Tag, type Topic } from './model.js';
import type { Registry } from './registry.js';

const SETTABLE = new Set([
  'DeliveryPolicy',
  'DisplayName',
  'Policy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'FifoThroughputScope',
  'DataProtectionPolicy',
  ...['HTTP', 'Firehose', 'Lambda', 'SQS', 'Application'].flatMap((p) => [`${p}SuccessFeedbackRoleArn`, `${p}SuccessFeedbackSampleRate`, `${p}FailureFeedbackRoleArn`]),
]);

/** Checks one attribute's value (AWS's messages); returns the value to store. */
function checkAttribute(t: Pick<Topic, 'fifo'>, name: string, value: string): string {
  if (!SETTABLE.has(name)) throw invalidParameter('Invalid parameter: AttributeName');
  switch (name) {
    case 'DeliveryPolicy':
      if (value !== '') checkDeliveryPolicy(value, 'topic');
      break;
    case 'Policy': {
      let p: unknown;
      try {
        p = JSON.parse(value);
      } catch {
        throw invalidParameter('Invalid parameter: Policy Error: null');
      }
      if (typeof p !== 'object' || p === null || !('Statement' in p)) throw invalidParameter('Invalid parameter: Policy Error: null');
      break;
    }
    case 'SignatureVersion':
      if (value !== '1' && value !== '2') throw invalidParameter('Invalid parameter: SignatureVersion');
      break;
    case 'TracingConfig':
      if (value !== 'PassThrough' && value !== 'Active') throw invalidParameter('Invalid parameter: TracingConfig');
      break;
    case 'ContentBasedDeduplication':
      if (!t.fifo) throw invalidParameter('Invalid parameter: ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics');
      if (value.toLowerCase() !== 'true' && value.toLowerCase() !== 'false') throw invalidParameter('Invalid parameter: ContentBasedDeduplication');
      return value.toLowerCase();
    case 'FifoThroughputScope':
      if (!t.fifo) throw invalidParameter('Invalid parameter: FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics');
      if (value !== 'Topic' && value !== 'MessageGroup') throw invalidParameter('Invalid parameter: FifoThroughputScope');
      break;
    case 'DisplayName':
      if (value.length > 100) throw invalidParameter('Invalid parameter: DisplayName');
      break;
  }
  return value;
}

function checkTags(tags: Tag[]): void {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw invalidParameter('Invalid parameter: Tags Reason: Tag key must be between 1 and 128 characters');
    if (t.Value.length > 256) throw invalidParameter('Invalid parameter: Tags Reason: Tag value must be at most 256 characters');
  }
  if (tags.length > 50) throw tagLimitExceeded();
}

export class Topics {
  constructor(
    private readonly registry: Registry,
    private readonly accountId: string,
  ) {}

  /** A topic ARN from the request: malformed → InvalidParameter, unknown → NotFound. */
  async require(arn: string | undefined, field = 'TopicArn'): Promise<Topic> {
    if (!arn || !parseTopicArn(arn)) throw invalidParameter(`Invalid parameter: ${field}`);
    const t = await this.registry.topic(arn);
    if (!t) throw topicNotFound();
    return t;
  }

  async create(region: string, name: string | undefined, attributes: Record<string, string>, tags: Tag[]): Promise<Topic> {
    if (name === undefined || name === '') throw invalidParameter('Invalid parameter: Topic Name');
    const fifoAttr = attributes['FifoTopic'];
    if (fifoAttr !== undefined && !['true', 'false'].includes(fifoAttr.toLowerCase())) throw invalidParameter('Invalid parameter: FifoTopic');
    const fifo = fifoAttr?.toLowerCase() === 'true';
    checkTopicName(name, fifo);
    const arn = topicArn(region, this.accountId, name);
    const checked: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) if (k !== 'FifoTopic') checked[k] = checkAttribute({ fifo }, k, v);
    checkTags(tags);
    const existing = await this.registry.topic(arn);
    if (existing) {
      const differs = Object.entries(checked).some(([k, v]) => (existing.attributes[k] ?? '') !== v) || existing.fifo !== fifo;
      if (differs) throw invalidParameter('Invalid parameter: Attributes Reason: Topic already exists with different attributes');
      const sameTags = tags.every((t) => existing.tags.some((e) => e.Key === t.Key && e.Value === t.Value));
      if (tags.length > 0 && !sameTags) throw invalidParameter('Invalid parameter: Tags Reason: Topic already exists with different tags');
      return existing;
    }
    const t: Topic = {
      arn,
      region,
      name,
      fifo,
      attributes: { Policy: defaultPolicy(arn, this.accountId), DisplayName: '', ...(fifo ? { ContentBasedDeduplication: 'false' } : {}), ...checked },
      tags: dedupTags(tags),
      deleted: 0,
    };
    await this.registry.putTopic(t);
    return t;
  }

  async delete(arn: string | undefined): Promise<void> {
    if (!arn || !parseTopicArn(arn)) throw invalidParameter('Invalid parameter: TopicArn');
    // Deleting a topic that does not exist succeeds, as on AWS.
    if (await this.registry.topic(arn)) await this.registry.deleteTopic(arn);
  }

  attributes(t: Topic): Record<string, string> {
    const subs = this.registry.subscriptionsOf(t.arn);
    const a = t.attributes;
    const out: Record<string, string> = {
      Policy: a['Policy'] ?? defaultPolicy(t.arn, this.accountId),
      Owner: this.accountId,
      SubscriptionsPending: String(subs.filter((s) => !s.confirmed).length),
      TopicArn: t.arn,
      EffectiveDeliveryPolicy: effectiveDeliveryPolicy(a['DeliveryPolicy']),
      SubscriptionsConfirmed: String(subs.filter((s) => s.confirmed).length),
      DisplayName: a['DisplayName'] ?? '',
      SubscriptionsDeleted: String(t.deleted),
    };
    for (const [k, v] of Object.entries(a)) if (!(k in out) && v !== '') out[k] = v;
    if (t.fifo) {
      out['FifoTopic'] = 'true';
      out['ContentBasedDeduplication'] = a['ContentBasedDeduplication'] ?? 'false';
    }
    return out;
  }

  async setAttribute(t: Topic, name: string | undefined, value: string | undefined): Promise<void> {
    if (!name) throw invalidParameter('Invalid parameter: AttributeName');
    if (name === 'FifoTopic') throw invalidParameter('Invalid parameter: AttributeName Reason: FifoTopic can not be changed');
    const v = checkAttribute(t, name, value ?? '');
    const attributes = { ...t.attributes };
    if (v === '' && name !== 'DisplayName') delete attributes[name];
    else attributes[name] = v;
    if (name === 'Policy' && v === '') attributes['Policy'] = defaultPolicy(t.arn, this.accountId);
    await this.registry.putTopic({ ...t, attributes });
  }

  async addPermission(t: Topic, label: string | undefined, accounts: string[], actions: string[]): Promise<void> {
    if (!label || !/^[A-Za-z0-9_-]{1,255}$/.test(label)) throw invalidParameter('Invalid parameter: Label');
    if (accounts.length === 0) throw invalidParameter('Invalid parameter: AWSAccountId');
    if (actions.length === 0) throw invalidParameter('Invalid parameter: ActionName');
    const policy = addPermission(t.attributes['Policy'] ?? defaultPolicy(t.arn, this.accountId), t.arn, label, accounts, actions);
    await this.registry.putTopic({ ...t, attributes: { ...t.attributes, Policy: policy } });
  }

  async removePermission(t: Topic, label: string | undefined): Promise<void> {
    if (!label) throw invalidParameter('Invalid parameter: Label');
    const policy = removePermission(t.attributes['Policy'] ?? defaultPolicy(t.arn, this.accountId), label);
    await this.registry.putTopic({ ...t, attributes: { ...t.attributes, Policy: policy } });
  }

  /** The topic a tagging call names (AWS answers ResourceNotFound for these). */
  async resource(arn: string | undefined): Promise<Topic> {
    if (!arn) throw invalidParameter('Invalid parameter: ResourceArn');
    const t = parseTopicArn(arn) ? await this.registry.topic(arn) : undefined;
    if (!t) throw resourceNotFound();
    return t;
  }

  async tag(t: Topic, tags: Tag[]): Promise<void> {
    if (tags.length === 0) throw invalidParameter('Invalid parameter: Tags');
    checkTags(tags);
    const merged = dedupTags([...t.tags, ...tags]);
    if (merged.length > 50) throw tagLimitExceeded();
    await this.registry.putTopic({ ...t, tags: merged });
  }

  async untag(t: Topic, keys: string[]): Promise<void> {
    await this.registry.putTopic({ ...t, tags: t.tags.filter((x) => !keys.includes(x.Key)) });
  }
}

/** Later tags of the same key win. */
function dedupTags(tags: Tag[]): Tag[] {
  const m = new Map<string, string>();
  for (const t of tags) m.set(t.Key, t.Value);
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}
