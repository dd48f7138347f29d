// SNS's domain values and their pure rules: topics, subscriptions, ARNs, names, the default topic policy and its
// permission edits, delivery policies (AWS's defaults and the retry schedule they give).
import { invalidParameter } from './errors.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface Topic {
  arn: string;
  region: string;
  name: string;
  fifo: boolean;
  /** Settable attributes as the API names them (DisplayName, Policy, DeliveryPolicy, KmsMasterKeyId, …). */
  attributes: Record<string, string>;
  tags: Tag[];
  /** Subscriptions removed so far (SubscriptionsDeleted). */
  deleted: number;
}

export type Protocol = 'lambda' | 'sqs' | 'http' | 'https' | 'email' | 'email-json' | 'sms' | 'application' | 'firehose';
export const PROTOCOLS: readonly string[] = ['lambda', 'sqs', 'http', 'https', 'email', 'email-json', 'sms', 'application', 'firehose'];

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: Protocol;
  endpoint: string;
  owner: string;
  confirmed: boolean;
  /** The confirmation token (http/https; other unconfirmable protocols keep theirs unused). */
  token: string;
  /** RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy, SubscriptionRoleArn. */
  attributes: Record<string, string>;
}

export const topicArn = (region: string, accountId: string, name: string): string => `arn:aws:sns:${region}:${accountId}:${name}`;

/** `arn:aws:sns:<region>:<account>:<name>` → its parts, or undefined when it is not a topic ARN. */
export function parseTopicArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]! } : undefined;
}

/** A subscription ARN is its topic's ARN and a UUID. */
export function subscriptionTopic(arn: string): string | undefined {
  const m = /^(arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+):[0-9a-f-]{36}$/.exec(arn);
  return m?.[1];
}

export function checkTopicName(name: string, fifo: boolean): void {
  if (fifo) {
    if (!/^[a-zA-Z0-9_-]{1,251}\.fifo$/.test(name))
      throw invalidParameter(
        'Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
      );
  } else if (!/^[a-zA-Z0-9_-]{1,256}$/.test(name)) {
    throw invalidParameter('Invalid parameter: Topic Name');
  }
}

export const SNS_ACTIONS = ['GetTopicAttributes', 'SetTopicAttributes', 'AddPermission', 'RemovePermission', 'DeleteTopic', 'Subscribe', 'ListSubscriptionsByTopic', 'Publish'];

/** The policy AWS gives a new topic. */
export function defaultPolicy(arn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: SNS_ACTIONS.map((a) => `SNS:${a}`),
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}

interface PolicyDoc {
  Version?: string;
  Id?: string;
  Statement: Record<string, unknown>[];
}

function parsePolicy(text: string): PolicyDoc {
  try {
    const p = JSON.parse(text) as PolicyDoc;
    if (p && Array.isArray(p.Statement)) return p;
    if (p && typeof p === 'object') return { ...p, Statement: p.Statement ? [p.Statement as unknown as Record<string, unknown>] : [] };
  } catch {
    /* a stored policy always parses; fall through */
  }
  return { Version: '2008-10-17', Statement: [] };
}

/** AddPermission: a statement `label` allowing the accounts the actions (AWS: "Statement already exists"). */
export function addPermission(policy: string, arn: string, label: string, accounts: string[], actions: string[]): string {
  const p = parsePolicy(policy);
  if (p.Statement.some((s) => s['Sid'] === label)) throw invalidParameter('Invalid parameter: Statement already exists');
  if (actions.some((a) => !SNS_ACTIONS.includes(a))) throw invalidParameter('Invalid parameter: Policy statement action out of service scope!');
  const principals = accounts.map((a) => (/^\d{12}$/.test(a) ? `arn:aws:iam::${a}:root` : a));
  p.Statement.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: principals.length === 1 ? principals[0] : principals },
    Action: actions.length === 1 ? `SNS:${actions[0]}` : actions.map((a) => `SNS:${a}`),
    Resource: arn,
  });
  return JSON.stringify(p);
}

export function removePermission(policy: string, label: string): string {
  const p = parsePolicy(policy);
  p.Statement = p.Statement.filter((s) => s['Sid'] !== label);
  return JSON.stringify(p);
}

export interface RetryPolicy {
  minDelayTarget: number;
  maxDelayTarget: number;
  numRetries: number;
  numNoDelayRetries: number;
  numMinDelayRetries: number;
  numMaxDelayRetries: number;
  backoffFunction: 'linear' | 'arithmetic' | 'geometric' | 'exponential';
}

/** AWS's default for HTTP/S endpoints: 3 retries, 20 s apart. */
export const HTTP_DEFAULT_RETRY: RetryPolicy = {
  minDelayTarget: 20,
  maxDelayTarget: 20,
  numRetries: 3,
  numMaxDelayRetries: 0,
  numNoDelayRetries: 0,
  numMinDelayRetries: 0,
  backoffFunction: 'linear',
};

/** AWS's fixed policy for AWS-managed endpoints (Lambda, SQS): 3 at once, 2 after 1 s, 10 backing off to 20 s,
 *  then 100,000 every 20 s (23 days). */
export const MANAGED_RETRY: RetryPolicy = {
  minDelayTarget: 1,
  maxDelayTarget: 20,
  numRetries: 100_015,
  numNoDelayRetries: 3,
  numMinDelayRetries: 2,
  numMaxDelayRetries: 100_000,
  backoffFunction: 'exponential',
};

/** The topic's EffectiveDeliveryPolicy: its DeliveryPolicy over AWS's default. */
export function effectiveDeliveryPolicy(topicPolicy: string | undefined): string {
  const base = { http: { defaultHealthyRetryPolicy: { ...HTTP_DEFAULT_RETRY }, disableSubscriptionOverrides: false, defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' } } };
  if (topicPolicy) {
    try {
      const p = JSON.parse(topicPolicy) as { http?: { defaultHealthyRetryPolicy?: Partial<RetryPolicy>; disableSubscriptionOverrides?: boolean; defaultThrottlePolicy?: unknown; defaultRequestPolicy?: unknown } };
      Object.assign(base.http.defaultHealthyRetryPolicy, p.http?.defaultHealthyRetryPolicy ?? {});
      if (p.http?.disableSubscriptionOverrides !== undefined) base.http.disableSubscriptionOverrides = p.http.disableSubscriptionOverrides;
      if (p.http?.defaultThrottlePolicy !== undefined) Object.assign(base.http, { defaultThrottlePolicy: p.http.defaultThrottlePolicy });
      if (p.http?.defaultRequestPolicy !== undefined) Object.assign(base.http, { defaultRequestPolicy: p.http.defaultRequestPolicy });
    } catch {
      /* validated when set */
    }
  }
  return JSON.stringify(base);
}

/** The HTTP retry policy of a subscription: its own healthyRetryPolicy over the topic's effective one. */
export function httpRetryPolicy(topicPolicy: string | undefined, subPolicy: string | undefined): RetryPolicy {
  const eff = JSON.parse(effectiveDeliveryPolicy(topicPolicy)) as { http: { defaultHealthyRetryPolicy: RetryPolicy; disableSubscriptionOverrides: boolean } };
  const out = { ...eff.http.defaultHealthyRetryPolicy };
  if (subPolicy && !eff.http.disableSubscriptionOverrides) {
    try {
      Object.assign(out, (JSON.parse(subPolicy) as { healthyRetryPolicy?: Partial<RetryPolicy> }).healthyRetryPolicy ?? {});
    } catch {
      /* validated when set */
    }
  }
  return out;
}

/** Checks a DeliveryPolicy document (topic `{http: …}` or subscription `{healthyRetryPolicy: …}`). */
export function checkDeliveryPolicy(text: string, kind: 'topic' | 'subscription'): void {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch {
    throw invalidParameter('Invalid parameter: DeliveryPolicy: failed to parse JSON.');
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidParameter('Invalid parameter: DeliveryPolicy: must be a JSON object');
  const retry = kind === 'topic' ? (p as { http?: { defaultHealthyRetryPolicy?: unknown } }).http?.defaultHealthyRetryPolicy : (p as { healthyRetryPolicy?: unknown }).healthyRetryPolicy;
  if (retry === undefined) return;
  const r = retry as Partial<Record<keyof RetryPolicy, unknown>>;
  for (const k of ['minDelayTarget', 'maxDelayTarget', 'numRetries', 'numNoDelayRetries', 'numMinDelayRetries', 'numMaxDelayRetries'] as const) {
    const v = r[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw invalidParameter(`Invalid parameter: DeliveryPolicy: ${k} must be a non-negative integer`);
  }
  const min = (r.minDelayTarget as number | undefined) ?? 20;
  const max = (r.maxDelayTarget as number | undefined) ?? 20;
  if (min < 1 || max > 3600) throw invalidParameter('Invalid parameter: DeliveryPolicy: delay targets must be between 1 and 3600 seconds');
  if (min > max) throw invalidParameter('Invalid parameter: DeliveryPolicy: minDelayTarget must be <= maxDelayTarget');
  if (((r.numRetries as number | undefined) ?? 3) > 100) throw invalidParameter('Invalid parameter: DeliveryPolicy: numRetries must be <= 100');
  if (r.backoffFunction !== undefined && !['linear', 'arithmetic', 'geometric', 'exponential'].includes(String(r.backoffFunction)))
    throw invalidParameter('Invalid parameter: DeliveryPolicy: backoffFunction must be linear, arithmetic, geometric or exponential');
}

/**
 * The delay (ms) before retry number `retry` (1-based) under the policy, or undefined when retries are exhausted:
 * the no-delay phase, the minimum-delay phase, the backoff phase (min → max by the function), the maximum-delay phase.
 */
export function retryDelayMs(p: RetryPolicy, retry: number): number | undefined {
  if (retry > p.numRetries) return undefined;
  if (retry <= p.numNoDelayRetries) return 0;
  if (retry <= p.numNoDelayRetries + p.numMinDelayRetries) return p.minDelayTarget * 1000;
  const backoffCount = Math.max(0, p.numRetries - p.numNoDelayRetries - p.numMinDelayRetries - p.numMaxDelayRetries);
  const i = retry - p.numNoDelayRetries - p.numMinDelayRetries;
  if (i > backoffCount) return p.maxDelayTarget * 1000;
  const { minDelayTarget: lo, maxDelayTarget: hi } = p;
  if (backoffCount <= 1) return hi * 1000;
  const f = (i - 1) / (backoffCount - 1);
  let d: number;
  switch (p.backoffFunction) {
    case 'exponential':
      d = lo * Math.pow(hi / lo, f);
      break;
    case 'geometric':
      d = lo + (hi - lo) * f * f * f;
      break;
    case 'arithmetic':
      d = lo + (hi - lo) * f * f;
      break;
    default:
      d = lo + (hi - lo) * f;
  }
  return Math.round(Math.min(hi, Math.max(lo, d)) * 1000);
}
