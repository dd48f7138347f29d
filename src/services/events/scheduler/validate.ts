// Scheduler request bodies at the edge: zod shapes for the JSON, then the model's constraints with AWS's messages,
// into the typed values the API hands inward.
import { z } from 'zod';
import { AwsError } from '../../../lib/errors.js';
import { parseExpression, validTimezone } from './expression.js';
import { invalidExpression, invalidTimezone, validation } from './errors.js';
import type { StoredSchedule, Target } from './model.js';

const TargetShape = z.object({
  Arn: z.string().optional(),
  RoleArn: z.string().optional(),
  Input: z.string().optional(),
  RetryPolicy: z.object({ MaximumEventAgeInSeconds: z.number().int().optional(), MaximumRetryAttempts: z.number().int().optional() }).optional(),
  DeadLetterConfig: z.object({ Arn: z.string().optional() }).optional(),
  SqsParameters: z.object({ MessageGroupId: z.string().optional() }).optional(),
  EventBridgeParameters: z.object({ DetailType: z.string().optional(), Source: z.string().optional() }).optional(),
}).passthrough();

export const ScheduleShape = z.object({
  ActionAfterCompletion: z.string().optional(),
  ClientToken: z.string().optional(),
  Description: z.string().optional(),
  EndDate: z.number().optional(),
  FlexibleTimeWindow: z.object({ Mode: z.string().optional(), MaximumWindowInMinutes: z.number().int().optional() }).optional(),
  GroupName: z.string().optional(),
  KmsKeyArn: z.string().optional(),
  ScheduleExpression: z.string().optional(),
  ScheduleExpressionTimezone: z.string().optional(),
  StartDate: z.number().optional(),
  State: z.string().optional(),
  Target: TargetShape.optional(),
});
export type ScheduleInput = z.infer<typeof ScheduleShape>;

export const GroupShape = z.object({ ClientToken: z.string().optional(), Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional() });
export const TagShape = z.object({ Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional() });

export const NAME_PATTERN = '^[0-9a-zA-Z-_.]+$';
const ROLE_PATTERN = '^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$';

/** Collects constraint violations and throws them as one ValidationException, as AWS's edge reports them. */
export class Checks {
  private readonly errors: string[] = [];

  add(field: string, value: unknown, constraint: string): this {
    const shown = value === null ? 'null' : `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`;
    this.errors.push(`Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
    return this;
  }
  required(field: string, v: unknown): this {
    return v === undefined ? this.add(field, null, 'Member must not be null') : this;
  }
  len(field: string, v: string | undefined, min: number, max?: number): this {
    if (v === undefined) return this;
    if (v.length < min) return this.add(field, v, `Member must have length greater than or equal to ${min}`);
    if (max !== undefined && v.length > max) return this.add(field, v, `Member must have length less than or equal to ${max}`);
    return this;
  }
  pattern(field: string, v: string | undefined, p: string): this {
    return v !== undefined && !new RegExp(p).test(v) ? this.add(field, v, `Member must satisfy regular expression pattern: ${p}`) : this;
  }
  range(field: string, v: number | undefined, min: number, max: number): this {
    if (v === undefined) return this;
    if (v < min) return this.add(field, v, `Member must have value greater than or equal to ${min}`);
    return v > max ? this.add(field, v, `Member must have value less than or equal to ${max}`) : this;
  }
  oneOf(field: string, v: string | undefined, values: readonly string[]): this {
    return v !== undefined && !values.includes(v) ? this.add(field, v, `Member must satisfy enum value set: [${values.join(', ')}]`) : this;
  }
  throwIfAny(): void {
    const n = this.errors.length;
    if (n > 0) throw new AwsError('ValidationException', `${n} validation error${n > 1 ? 's' : ''} detected: ${this.errors.join('; ')}`, { status: 400 });
  }
}

export function checkName(c: Checks, field: string, v: string | undefined): Checks {
  return c.len(field, v, 1, 64).pattern(field, v, NAME_PATTERN);
}

/**
 * Checks a Create/UpdateSchedule body and returns the schedule's settings (defaults filled as AWS fills them);
 * `now` decides the start and end dates' checks.
 */
export function checkSchedule(input: ScheduleInput, now: number): Omit<StoredSchedule, 'region' | 'Name' | 'GroupName' | 'CreationDate' | 'LastModificationDate' | 'anchor'> {
  const c = new Checks();
  const t = input.Target;
  const f = input.FlexibleTimeWindow;
  c.oneOf('actionAfterCompletion', input.ActionAfterCompletion, ['NONE', 'DELETE']);
  c.len('description', input.Description, 0, 512);
  c.required('flexibleTimeWindow', f);
  if (f) c.required('flexibleTimeWindow.mode', f.Mode).oneOf('flexibleTimeWindow.mode', f.Mode, ['OFF', 'FLEXIBLE']).range('flexibleTimeWindow.maximumWindowInMinutes', f.MaximumWindowInMinutes, 1, 1440);
  checkName(c, 'groupName', input.GroupName);
  c.len('kmsKeyArn', input.KmsKeyArn, 1, 2048);
  c.required('scheduleExpression', input.ScheduleExpression).len('scheduleExpression', input.ScheduleExpression, 1, 256);
  c.len('scheduleExpressionTimezone', input.ScheduleExpressionTimezone, 1, 50);
  c.oneOf('state', input.State, ['ENABLED', 'DISABLED']);
  c.required('target', t);
  if (t) {
    c.required('target.arn', t.Arn).len('target.arn', t.Arn, 1, 1600);
    c.required('target.roleArn', t.RoleArn).len('target.roleArn', t.RoleArn, 1, 1600).pattern('target.roleArn', t.RoleArn, ROLE_PATTERN);
    c.len('target.input', t.Input, 1);
    c.range('target.retryPolicy.maximumEventAgeInSeconds', t.RetryPolicy?.MaximumEventAgeInSeconds, 60, 86400);
    c.range('target.retryPolicy.maximumRetryAttempts', t.RetryPolicy?.MaximumRetryAttempts, 0, 185);
    c.len('target.deadLetterConfig.arn', t.DeadLetterConfig?.Arn, 1, 1600);
    c.len('target.sqsParameters.messageGroupId', t.SqsParameters?.MessageGroupId, 1, 128);
    const eb = t.EventBridgeParameters;
    if (eb) c.required('target.eventBridgeParameters.detailType', eb.DetailType).len('target.eventBridgeParameters.detailType', eb.DetailType, 1, 128).required('target.eventBridgeParameters.source', eb.Source).len('target.eventBridgeParameters.source', eb.Source, 1, 256);
  }
  c.throwIfAny();
  const expr = input.ScheduleExpression!;
  const parsed = parseExpression(expr);
  if (!parsed) throw invalidExpression(expr);
  const tz = input.ScheduleExpressionTimezone ?? 'UTC';
  if (!validTimezone(tz)) throw invalidTimezone(tz);
  if (f!.Mode === 'FLEXIBLE' && f!.MaximumWindowInMinutes === undefined) throw validation('MaximumWindowInMinutes is required when Mode is FLEXIBLE.');
  if (f!.Mode === 'OFF' && f!.MaximumWindowInMinutes !== undefined) throw validation('MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE.');
  const start = input.StartDate !== undefined ? Math.round(input.StartDate * 1000) : undefined;
  const end = input.EndDate !== undefined ? Math.round(input.EndDate * 1000) : undefined;
  if (parsed.kind !== 'at') {
    if (start !== undefined && start < now - 5 * 60_000) throw validation('The StartDate you specify cannot be earlier than 5 minutes ago.');
    if (end !== undefined && end <= now) throw validation('The EndDate you specify cannot be earlier than the current time.');
    if (start !== undefined && end !== undefined && end <= start) throw validation('The EndDate you specify cannot be earlier than the StartDate.');
  }
  const target: Target = {
    Arn: t!.Arn!,
    RoleArn: t!.RoleArn!,
    ...(t!.Input !== undefined ? { Input: t!.Input } : {}),
    RetryPolicy: { MaximumEventAgeInSeconds: t!.RetryPolicy?.MaximumEventAgeInSeconds ?? 86400, MaximumRetryAttempts: t!.RetryPolicy?.MaximumRetryAttempts ?? 185 },
    ...(t!.DeadLetterConfig ? { DeadLetterConfig: t!.DeadLetterConfig } : {}),
    ...(t!.SqsParameters ? { SqsParameters: t!.SqsParameters } : {}),
    ...(t!.EventBridgeParameters ? { EventBridgeParameters: { DetailType: t!.EventBridgeParameters.DetailType!, Source: t!.EventBridgeParameters.Source! } } : {}),
  };
  return {
    ...(input.Description !== undefined ? { Description: input.Description } : {}),
    ScheduleExpression: expr,
    ScheduleExpressionTimezone: tz,
    FlexibleTimeWindow: { Mode: f!.Mode as 'OFF' | 'FLEXIBLE', ...(f!.MaximumWindowInMinutes !== undefined ? { MaximumWindowInMinutes: f!.MaximumWindowInMinutes } : {}) },
    State: (input.State ?? 'ENABLED') as 'ENABLED' | 'DISABLED',
    ActionAfterCompletion: (input.ActionAfterCompletion ?? 'NONE') as 'NONE' | 'DELETE',
    ...(input.KmsKeyArn !== undefined ? { KmsKeyArn: input.KmsKeyArn } : {}),
    ...(start !== undefined ? { StartDate: start } : {}),
    ...(end !== undefined ? { EndDate: end } : {}),
    Target: target,
  };
}
