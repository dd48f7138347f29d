// Shared pieces of event sources: Lambda permissions, EventBridge targets and dead-letter queues.
import { InvalidEventError } from '../errors.js';
import { logicalId } from '../hash.js';
import type { SamEvent } from '../registry.js';
import { cfn, getAtt, ref, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';
import type { FunctionTarget } from '../resources/function.js';

/** Python's str.isalnum() for the permission suffix (ASCII letters and digits only in practice, non-empty). */
const isAlnum = (s: string): boolean => /^[\p{L}\p{N}]+$/u.test(s);

/** `<Event>Permission<suffix>` (suffix hashed when not alphanumeric), invoking the alias or the function. */
export function permission(
  ev: SamEvent,
  target: FunctionTarget,
  principal: string,
  o: { sourceArn?: Json; sourceAccount?: Json; suffix?: string; eventSourceToken?: Json; prefix?: string } = {},
): Generated {
  const prefix = o.prefix ?? ev.logicalId;
  const suffix = o.suffix ?? '';
  const id = isAlnum(suffix) ? `${prefix}Permission${suffix}` : logicalId(`${prefix}Permission`, suffix);
  return {
    id,
    resource: cfn(
      'AWS::Lambda::Permission',
      { Action: 'lambda:InvokeFunction', FunctionName: target.nameOrArn, Principal: principal, SourceArn: o.sourceArn, SourceAccount: o.sourceAccount, EventSourceToken: o.eventSourceToken },
      target.passthrough,
    ),
  };
}

/** EventBridge target ids are limited to 64 characters: the id is cut before the suffix. */
export function targetId(id: string, suffix: string): string {
  return id.length + suffix.length <= 64 ? id + suffix : id.slice(0, 64 - suffix.length) + suffix;
}

export function validateDlqConfig(ownerId: string, c: JsonObject): void {
  const hasArn = 'Arn' in c;
  const hasType = 'Type' in c;
  if (hasArn && hasType) throw new InvalidEventError(ownerId, "You can either define 'Arn' or 'Type' property of DeadLetterConfig.");
  if (hasType && c['Type'] !== 'SQS') throw new InvalidEventError(ownerId, "The only valid value for 'Type' property of DeadLetterConfig is 'SQS'.");
  if (!hasArn && !hasType) throw new InvalidEventError(ownerId, "No 'Arn' or 'Type' property provided for DeadLetterConfig.");
}

/** The DLQ's ARN; with `Type: SQS` a queue and its policy allowing the rule to send are generated. */
export function dlqArnAndResources(ownerId: string, c: JsonObject, ruleArn: Json, attrs: JsonObject): { arn: Json; resources: Generated[] } {
  if (c['Arn'] !== undefined && c['Arn'] !== null) return { arn: c['Arn'], resources: [] };
  const qid = c['QueueLogicalId'];
  if (qid !== undefined && qid !== null && typeof qid !== 'string') throw new InvalidEventError(ownerId, 'QueueLogicalId must be a string');
  const queueId = (qid as string | undefined) ?? `${ownerId}Queue`;
  const queue: CfnResource = cfn('AWS::SQS::Queue', {}, attrs);
  const arn = getAtt(queueId, 'Arn');
  const policy = cfn(
    'AWS::SQS::QueuePolicy',
    {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'sqs:SendMessage', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } }],
      },
      Queues: [ref(queueId)],
    },
    attrs,
  );
  return { arn, resources: [{ id: queueId, resource: queue }, { id: `${ownerId}QueuePolicy`, resource: policy }] };
}

/** State/Enabled of a rule (mutually exclusive), as samtranslator maps them. */
export function ruleState(ev: SamEvent): Json | undefined {
  const state = ev.props['State'];
  const enabled = ev.props['Enabled'];
  if (state !== undefined && state !== null && state !== '' && enabled !== undefined && enabled !== null) throw new InvalidEventError(ev.relativeId, 'State and Enabled Properties cannot both be specified.');
  if (enabled !== undefined && enabled !== null) return enabled ? 'ENABLED' : 'DISABLED';
  if (state !== undefined && state !== null && state !== '') return state;
  return undefined;
}

export const prop = (ev: SamEvent, name: string): Json | undefined => {
  const v = ev.props[name];
  return v === null ? undefined : v;
};
