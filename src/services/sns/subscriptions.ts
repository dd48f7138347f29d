// Subscription operations: Subscribe (confirmed at once for Lambda and SQS, a confirmation flow for HTTP/S, pending
// for protocols selfless does not deliver to), ConfirmSubscription, Unsubscribe, and the subscription attributes
// (RawMessageDelivery, FilterPolicy and its scope, RedrivePolicy, DeliveryPolicy) with AWS's checks.
import { randomBytes } from 'node:crypto';
import { filterPolicyReason } from '../../lib/filter-policy.js';
import { uuid } from '../../lib/ids.js';
import { invalidParameter, notFound, subscriptionNotFound } from './errors.js';
import type { Intake } from './intake.js';
import { checkDeliveryPolicy, effectiveDeliveryPolicy, PROTOCOLS, subscriptionTopic, type Protocol, type Subscription, type Topic } from './model.js';
import type { Registry } from './registry.js';

const SETTABLE = new Set(['DeliveryPolicy', 'FilterPolicy', 'FilterPolicyScope', 'RawMessageDelivery', 'RedrivePolicy', 'SubscriptionRoleArn', 'ReplayPolicy']);
const RAW_PROTOCOLS = new Set(['sqs', 'http', 'https', 'firehose']);
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;

/**
 * Checks one subscription attribute against the subscription (and the attributes set with it); returns its value.
 * `subscribing`: Subscribe words a bad filter policy "Attributes Reason: …", SetSubscriptionAttributes does not.
 */
function checkAttribute(s: Pick<Subscription, 'protocol'>, topic: Topic | undefined, name: string, value: string, all: Record<string, string>, subscribing: boolean): string {
  const policyError = (text: string, scope: 'MessageAttributes' | 'MessageBody'): void => {
    const reason = filterPolicyReason(text, scope);
    if (reason) throw invalidParameter(`Invalid parameter: ${subscribing ? 'Attributes Reason: ' : ''}${reason}`);
  };
  if (!SETTABLE.has(name)) throw invalidParameter('Invalid parameter: AttributeName');
  switch (name) {
    case 'RawMessageDelivery': {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') throw invalidParameter('Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [' + value + ']. Must be true or false.');
      if (v === 'true' && !RAW_PROTOCOLS.has(s.protocol)) throw invalidParameter(`Invalid parameter: Attributes Reason: Delivery protocol [${s.protocol}] does not support raw message delivery.`);
      return v;
    }
    case 'FilterPolicy': {
      if (value === '') return value;
      const scope = all['FilterPolicyScope'] === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
      policyError(value, scope);
      return value;
    }
    case 'FilterPolicyScope':
      if (value !== 'MessageAttributes' && value !== 'MessageBody') throw invalidParameter(`Invalid parameter: FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`);
      if (all['FilterPolicy']) policyError(all['FilterPolicy'], value);
      return value;
    case 'RedrivePolicy': {
      if (value === '') return value;
      let p: unknown;
      try {
        p = JSON.parse(value);
      } catch {
        throw invalidParameter('Invalid parameter: RedrivePolicy: failed to parse JSON.');
      }
      const arn = typeof p === 'object' && p !== null ? (p as { deadLetterTargetArn?: unknown }).deadLetterTargetArn : undefined;
      if (typeof arn !== 'string' || !SQS_ARN.test(arn) && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,75}\.fifo$/.test(arn))
        throw invalidParameter('Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn');
      if (topic?.fifo && !arn.endsWith('.fifo')) throw invalidParameter('Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for FIFO topic subscriptions.');
      return value;
    }
    case 'DeliveryPolicy':
      if (value !== '') checkDeliveryPolicy(value, 'subscription');
      return value;
  }
  return value;
}

export class Subscriptions {
  constructor(
    private readonly registry: Registry,
    private readonly intake: Intake,
    private readonly accountId: string,
  ) {}

  async require(arn: string | undefined): Promise<Subscription> {
    if (!arn || !subscriptionTopic(arn)) throw invalidParameter('Invalid parameter: SubscriptionArn');
    const s = await this.registry.subscription(arn);
    if (!s) throw subscriptionNotFound();
    return s;
  }

  async subscribe(topic: Topic, protocolIn: string | undefined, endpoint: string | undefined, attributes: Record<string, string>): Promise<Subscription> {
    if (!protocolIn) throw invalidParameter('Invalid parameter: Protocol');
    const protocol = protocolIn.toLowerCase();
    if (!PROTOCOLS.includes(protocol)) throw invalidParameter(`Invalid parameter: Amazon SNS does not support this protocol string: ${protocolIn}`);
    const ep = endpoint ?? '';
    switch (protocol) {
      case 'sqs':
        if (!SQS_ARN.test(ep) && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,75}\.fifo$/.test(ep)) throw invalidParameter('Invalid parameter: SQS endpoint ARN');
        if (ep.endsWith('.fifo') && !topic.fifo) throw invalidParameter('Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics');
        break;
      case 'lambda':
        if (!LAMBDA_ARN.test(ep)) throw invalidParameter('Invalid parameter: Lambda endpoint ARN');
        break;
      case 'http':
      case 'https':
        if (!ep.toLowerCase().startsWith(`${protocol}://`)) throw invalidParameter('Invalid parameter: Endpoint must match the specified protocol');
        try {
          new URL(ep);
        } catch {
          throw invalidParameter('Invalid parameter: Endpoint');
        }
        break;
      case 'email':
      case 'email-json':
        if (!/^[^@\s]+@[^@\s]+$/.test(ep)) throw invalidParameter('Invalid parameter: Email address');
        break;
      default:
        if (ep === '') throw invalidParameter('Invalid parameter: Endpoint');
    }
    if (topic.fifo && protocol !== 'sqs') throw invalidParameter(`Invalid parameter: Invalid protocol type: ${protocol}`);
    const checked: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) checked[k] = checkAttribute({ protocol: protocol as Protocol }, topic, k, v, attributes, true);
    const existing = (await this.registry.currentSubscriptionsOf(topic.arn)).find((s) => s.protocol === protocol && s.endpoint === ep);
    if (existing) {
      if (Object.entries(checked).some(([k, v]) => (existing.attributes[k] ?? '') !== v)) throw invalidParameter('Invalid parameter: Attributes Reason: Subscription already exists with different attributes');
      // Subscribing a pending HTTP/S endpoint again sends the confirmation again.
      if (!existing.confirmed && (protocol === 'http' || protocol === 'https')) await this.intake.confirmation('SubscriptionConfirmation', existing);
      return existing;
    }
    const confirmed = protocol === 'sqs' || protocol === 'lambda';
    const s: Subscription = {
      arn: `${topic.arn}:${uuid()}`,
      topicArn: topic.arn,
      protocol: protocol as Protocol,
      endpoint: ep,
      owner: this.accountId,
      confirmed,
      token: randomBytes(64).toString('hex'),
      attributes: Object.fromEntries(Object.entries(checked).filter(([, v]) => v !== '')),
    };
    await this.registry.putSubscription(s);
    if (protocol === 'http' || protocol === 'https') await this.intake.confirmation('SubscriptionConfirmation', s);
    return s;
  }

  async confirm(topic: Topic, token: string | undefined): Promise<Subscription> {
    if (!token) throw invalidParameter('Invalid parameter: Token');
    const s = this.registry.subscriptionsOf(topic.arn).find((x) => x.token === token);
    if (!s) throw invalidParameter('Invalid parameter: Token');
    if (!s.confirmed) {
      const c = { ...s, confirmed: true };
      await this.registry.putSubscription(c);
      return c;
    }
    return s;
  }

  async unsubscribe(arn: string | undefined): Promise<void> {
    const s = await this.require(arn);
    await this.registry.deleteSubscription(s);
    const t = await this.registry.topic(s.topicArn);
    if (t) await this.registry.putTopic({ ...t, deleted: t.deleted + 1 });
    if (s.confirmed && (s.protocol === 'http' || s.protocol === 'https')) await this.intake.confirmation('UnsubscribeConfirmation', s);
  }

  attributes(s: Subscription, topic: Topic | undefined): Record<string, string> {
    const out: Record<string, string> = {
      ConfirmationWasAuthenticated: s.confirmed ? 'true' : 'false',
      PendingConfirmation: s.confirmed ? 'false' : 'true',
      Owner: s.owner,
      RawMessageDelivery: s.attributes['RawMessageDelivery'] ?? 'false',
      TopicArn: s.topicArn,
      Endpoint: s.endpoint,
      Protocol: s.protocol,
      SubscriptionArn: s.arn,
      SubscriptionPrincipal: `arn:aws:iam::${s.owner}:root`,
    };
    for (const [k, v] of Object.entries(s.attributes)) if (k !== 'RawMessageDelivery') out[k] = v;
    if (s.attributes['FilterPolicy'] && !out['FilterPolicyScope']) out['FilterPolicyScope'] = 'MessageAttributes';
    if (s.protocol === 'http' || s.protocol === 'https') {
      const eff = JSON.parse(effectiveDeliveryPolicy(topic?.attributes['DeliveryPolicy'])) as { http: Record<string, unknown> };
      const own = s.attributes['DeliveryPolicy'] ? (JSON.parse(s.attributes['DeliveryPolicy']) as { healthyRetryPolicy?: Record<string, unknown> }) : {};
      out['EffectiveDeliveryPolicy'] = JSON.stringify({
        healthyRetryPolicy: { ...(eff.http['defaultHealthyRetryPolicy'] as Record<string, unknown>), ...(own.healthyRetryPolicy ?? {}) },
        ...(eff.http['defaultThrottlePolicy'] ? { throttlePolicy: eff.http['defaultThrottlePolicy'] } : {}),
        requestPolicy: eff.http['defaultRequestPolicy'],
      });
    }
    return out;
  }

  async setAttribute(s: Subscription, name: string | undefined, value: string | undefined): Promise<void> {
    if (!name) throw invalidParameter('Invalid parameter: AttributeName');
    const topic = await this.registry.topic(s.topicArn);
    if (!topic) throw notFound('Topic does not exist');
    const v = checkAttribute(s, topic, name, value ?? '', { ...s.attributes, [name]: value ?? '' }, false);
    const attributes = { ...s.attributes };
    if (v === '') delete attributes[name];
    else attributes[name] = v;
    await this.registry.putSubscription({ ...s, attributes });
  }
}
