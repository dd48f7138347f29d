// SQS's and SNS's operations as IAM sees them: queue ARNs from queue URLs, topic ARNs (the subscription operations
// have none), batch operations authorized as their single forms, and sns:Endpoint/sns:Protocol for Subscribe.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for Amazon SQS"
// (list_amazonsqs.html: SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch are authorized by
// sqs:SendMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility; ListQueues has no resource) and "… for Amazon
// SNS" (list_amazonsns.html: PublishBatch is sns:Publish; Unsubscribe and the subscription attribute operations
// have no resource type).
import { arnOr, isArn } from './kit.js';
import type { Rule, RuleKit, ServiceRules } from './types.js';

/**
 * `http://host/000000000000/name` (or `https://sqs.<region>.amazonaws.com/<acct>/name`) →
 * `arn:aws:sqs:<region>:<acct>:name`; the region of a plain host is the request's.
 */
export function queueArnOfUrl(url: string, region: string, account: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const seg = u.pathname.split('/').filter((s) => s !== '');
  if (seg.length < 2) return undefined;
  const host = /^(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:queue\.)?amazonaws\.com$/.exec(u.hostname) ?? /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(u.hostname);
  return `arn:aws:sqs:${host?.[1] ?? region}:${seg[seg.length - 2] || account}:${seg[seg.length - 1]}`;
}

const queue = (k: RuleKit): string[] => {
  const url = k.str('QueueUrl');
  const a = url === undefined ? undefined : queueArnOfUrl(url, k.scope.region, k.scope.account);
  return a === undefined ? ['*'] : [a];
};

const onQueue: Rule = { resources: queue };

export const sqsRules: ServiceRules = {
  prefix: 'sqs',
  fallback: onQueue,
  ops: {
    ListQueues: {},
    CreateQueue: { resources: (k) => arnOr(k, 'sqs', '', k.str('QueueName')) },
    // GetQueueUrl may name another account's queue (QueueOwnerAWSAccountId).
    GetQueueUrl: {
      resources: (k) => {
        const name = k.str('QueueName');
        if (name === undefined) return ['*'];
        return [`arn:aws:sqs:${k.scope.region}:${k.str('QueueOwnerAWSAccountId') ?? k.scope.account}:${name}`];
      },
    },
    SendMessageBatch: { action: 'sqs:SendMessage', resources: queue },
    DeleteMessageBatch: { action: 'sqs:DeleteMessage', resources: queue },
    ChangeMessageVisibilityBatch: { action: 'sqs:ChangeMessageVisibility', resources: queue },
    // Message move tasks name their source queue by ARN.
    StartMessageMoveTask: { resources: (k) => [k.str('SourceArn') ?? '*'] },
    ListMessageMoveTasks: { resources: (k) => [k.str('SourceArn') ?? '*'] },
    CancelMessageMoveTask: { resources: (k) => [taskSource(k.str('TaskHandle')) ?? '*'] },
  },
};

/** Our task handles (and AWS's) carry the source queue ARN: base64 JSON with a `sourceArn`/`SourceArn` member. */
function taskSource(handle: string | undefined): string | undefined {
  if (handle === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as Record<string, unknown>;
    const s = v['sourceArn'] ?? v['SourceArn'] ?? v['source'];
    return typeof s === 'string' && isArn(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** A subscription ARN is its topic's ARN plus `:<id>`. */
export function topicOfSubscription(arn: string | undefined): string | undefined {
  if (arn === undefined || !isArn(arn)) return undefined;
  const p = arn.split(':');
  return p.length >= 7 ? p.slice(0, 6).join(':') : undefined;
}

const topic = (k: RuleKit): string[] => [k.str('TopicArn') ?? topicOfSubscription(k.str('SubscriptionArn')) ?? '*'];
const onTopic: Rule = { resources: topic };
const star: Rule = {};

export const snsRules: ServiceRules = {
  prefix: 'sns',
  fallback: onTopic,
  ops: {
    CreateTopic: { resources: (k) => arnOr(k, 'sns', '', k.str('Name')) },
    ListTopics: star,
    ListSubscriptions: star,
    ListSubscriptionsByTopic: onTopic,
    Subscribe: {
      resources: topic,
      context: (k) => ({ ...(k.str('Protocol') ? { 'sns:Protocol': k.str('Protocol')! } : {}), ...(k.str('Endpoint') ? { 'sns:Endpoint': k.str('Endpoint')! } : {}) }),
    },
    ConfirmSubscription: onTopic,
    // Subscriptions are no IAM resource type: these have no resource (the subscription's owner or the topic's may
    // call them, which SNS itself checks).
    Unsubscribe: star,
    GetSubscriptionAttributes: star,
    SetSubscriptionAttributes: star,
    // Publish names a topic, a platform endpoint (TargetArn), or a phone number (no resource).
    Publish: { resources: (k) => [k.str('TopicArn') ?? k.str('TargetArn') ?? '*'] },
    PublishBatch: { action: 'sns:Publish', resources: topic },
    TagResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
    ListTagsForResource: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
    // Platform applications, SMS settings and sandbox numbers have no resource type in IAM.
    CreatePlatformApplication: star,
    ListPlatformApplications: star,
    CheckIfPhoneNumberIsOptedOut: star,
    GetSMSAttributes: star,
    SetSMSAttributes: star,
    ListPhoneNumbersOptedOut: star,
    OptInPhoneNumber: star,
    GetSMSSandboxAccountStatus: star,
    ListSMSSandboxPhoneNumbers: star,
    CreateSMSSandboxPhoneNumber: star,
    DeleteSMSSandboxPhoneNumber: star,
    VerifySMSSandboxPhoneNumber: star,
    ListOriginationNumbers: star,
  },
};
