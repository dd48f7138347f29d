// EventBridge rule and target operations (JSON 1.1, `AWSEvents.*`) on any bus: PutRule, DescribeRule, ListRules,
// Enable/DisableRule, DeleteRule, PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget, TestEventPattern.
import type { Clock } from '../../lib/clock.js';
import { inputProblem, type InputTransformer } from '../../lib/event-input.js';
import { matches, parsePattern } from '../../lib/event-pattern.js';
import type { ApiRequest, Handler } from '../../server/types.js';
import { parseSchedule } from './cron.js';
import { badPattern, busNotFound, invalid, limitExceeded, ruleNotFound, serialization, validation } from './errors.js';
import { busOf, type Rule, type Rules, type Target } from './rules.js';
import { body, busName, limitOf, name, optBool, optInt, optStr, page, reqStr, tagsOf, type Body } from './wire.js';

/** AWS's limit of targets per rule. */
export const MAX_TARGETS = 5;
const TARGET_SERVICES = new Set(['lambda', 'sqs', 'sns', 'states', 'events']);

export function checkPattern(pattern: string): void {
  try {
    parsePattern(pattern);
  } catch (e) {
    throw badPattern(e instanceof Error ? e.message : 'invalid');
  }
}

function obj(v: unknown, what: string): Body | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw serialization(`Unexpected value for ${what}: expected an object.`);
  return v as Body;
}

/** One target of PutTargets, checked as AWS checks it (request-level ValidationExceptions). */
function parseTarget(raw: unknown, i: number): Target {
  const t = obj(raw, 'Targets');
  if (!t) throw serialization('Each target must be an object.');
  const field = `targets.${i + 1}.member`;
  const id = name(t, 'Id', `${field}.id`);
  const arn = reqStr(t, 'Arn', `${field}.arn`, 1600);
  const out: Target = { Id: id, Arn: arn };
  const roleArn = optStr(t, 'RoleArn', `${field}.roleArn`, 1600, 1);
  if (roleArn !== undefined) out.RoleArn = roleArn;
  const input = optStr(t, 'Input', `${field}.input`, 8192);
  if (input !== undefined) out.Input = input;
  const inputPath = optStr(t, 'InputPath', `${field}.inputPath`, 256);
  if (inputPath !== undefined) out.InputPath = inputPath;
  const tr = obj(t['InputTransformer'], 'InputTransformer');
  if (tr) {
    const paths = obj(tr['InputPathsMap'], 'InputPathsMap');
    const template = tr['InputTemplate'];
    if (template !== undefined && typeof template !== 'string') throw serialization('Unexpected value for InputTemplate: expected a string.');
    const x: InputTransformer = { InputTemplate: template as string };
    if (paths) x.InputPathsMap = paths as Record<string, string>;
    out.InputTransformer = x;
  }
  const problem = inputProblem(id, out, field);
  if (problem) throw validation(problem);
  const retry = obj(t['RetryPolicy'], 'RetryPolicy');
  if (retry) {
    const n = optInt(retry, 'MaximumRetryAttempts', `${field}.retryPolicy.maximumRetryAttempts`, 0, 185);
    const age = optInt(retry, 'MaximumEventAgeInSeconds', `${field}.retryPolicy.maximumEventAgeInSeconds`, 60, 86400);
    out.RetryPolicy = { ...(n !== undefined ? { MaximumRetryAttempts: n } : {}), ...(age !== undefined ? { MaximumEventAgeInSeconds: age } : {}) };
  }
  const dlc = obj(t['DeadLetterConfig'], 'DeadLetterConfig');
  if (dlc) {
    const a = optStr(dlc, 'Arn', `${field}.deadLetterConfig.arn`, 1600, 1);
    if (a !== undefined && !/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(a)) throw validation(`Parameter DeadLetterConfig.Arn is not valid for target ${id}: it must be an SQS queue ARN.`);
    out.DeadLetterConfig = a !== undefined ? { Arn: a } : {};
  }
  const sqs = obj(t['SqsParameters'], 'SqsParameters');
  if (sqs) {
    const g = optStr(sqs, 'MessageGroupId', `${field}.sqsParameters.messageGroupId`, 256);
    out.SqsParameters = g !== undefined ? { MessageGroupId: g } : {};
  }
  if (arn.split(':')[2] === 'sqs' && arn.endsWith('.fifo') && !out.SqsParameters?.MessageGroupId) throw validation(`Parameter(s) SqsParameters must be specified for target: ${id}.`);
  return out;
}

export function ruleRoutes(rules: Rules, clock: Clock, busExists: (region: string, bus: string) => boolean): Record<string, Handler> {
  const bus = (req: ApiRequest, b: Body): string => {
    const n = busName(b);
    if (!busExists(req.region, n)) throw busNotFound(n);
    return n;
  };
  const requireRule = (req: ApiRequest, b: Body, field: 'Rule' | 'Name'): Rule => {
    const bn = bus(req, b);
    const n = name(b, field, field === 'Rule' ? 'rule' : 'name');
    const r = rules.get(req.region, n, bn);
    if (!r) throw ruleNotFound(n, bn);
    return r;
  };
  const describe = (r: Rule, full: boolean) => ({
    Name: r.Name,
    Arn: rules.arn(r),
    ...(r.EventPattern !== undefined ? { EventPattern: r.EventPattern } : {}),
    ...(r.ScheduleExpression !== undefined ? { ScheduleExpression: r.ScheduleExpression } : {}),
    State: r.State,
    ...(r.Description !== undefined ? { Description: r.Description } : {}),
    ...(r.RoleArn !== undefined ? { RoleArn: r.RoleArn } : {}),
    EventBusName: busOf(r),
    ...(full ? { CreatedBy: rules.arn(r).split(':')[4] } : {}),
  });
  const setState = async (req: ApiRequest, state: Rule['State']) => {
    const r = requireRule(req, body(req), 'Name');
    if (r.State !== state) await rules.save({ ...r, State: state, anchor: clock.now() });
    return { body: {} };
  };

  return {
    PutRule: async (req) => {
      const b = body(req);
      const bn = bus(req, b);
      const n = name(b, 'Name', 'name');
      const schedule = optStr(b, 'ScheduleExpression', 'scheduleExpression', 256);
      const pattern = optStr(b, 'EventPattern', 'eventPattern', 4096);
      const state = optStr(b, 'State', 'state', 64) ?? 'ENABLED';
      if (state !== 'ENABLED' && state !== 'DISABLED') throw invalid('state', state, 'Member must satisfy enum value set: [ENABLED, DISABLED]');
      if (schedule === undefined && pattern === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      if (schedule !== undefined) {
        if (bn !== 'default') throw validation('ScheduleExpression is supported only on the default event bus.');
        try {
          parseSchedule(schedule);
        } catch {
          throw validation('Parameter ScheduleExpression is not valid.');
        }
      }
      if (pattern !== undefined) checkPattern(pattern);
      const tags = tagsOf(b);
      const old = rules.get(req.region, n, bn);
      const rule: Rule = {
        region: req.region,
        EventBusName: bn,
        Name: n,
        ScheduleExpression: schedule,
        EventPattern: pattern,
        State: state,
        Description: optStr(b, 'Description', 'description', 512),
        RoleArn: optStr(b, 'RoleArn', 'roleArn', 1600),
        // rate() periods count from when the schedule was set; an unchanged schedule keeps its rhythm.
        anchor: old && old.ScheduleExpression === schedule && old.State === state ? old.anchor : clock.now(),
        targets: old?.targets ?? [],
        ...(tags ?? old?.Tags ? { Tags: tags ?? old?.Tags } : {}),
      };
      await rules.save(rule);
      return { body: { RuleArn: rules.arn(rule) } };
    },
    DescribeRule: async (req) => ({ body: describe(requireRule(req, body(req), 'Name'), true) }),
    ListRules: async (req) => {
      const b = body(req);
      const bn = bus(req, b);
      const prefix = optStr(b, 'NamePrefix', 'namePrefix', 64);
      const all = rules.list(req.region, bn).filter((r) => !prefix || r.Name.startsWith(prefix));
      const p = page(all, b, limitOf(b));
      return { body: { Rules: p.items.map((r) => describe(r, false)), ...(p.next ? { NextToken: p.next } : {}) } };
    },
    EnableRule: (req) => setState(req, 'ENABLED'),
    DisableRule: (req) => setState(req, 'DISABLED'),
    DeleteRule: async (req) => {
      const b = body(req);
      const bn = bus(req, b);
      const r = rules.get(req.region, name(b, 'Name', 'name'), bn);
      if (!r) return { body: {} };
      if (r.targets.length > 0 && optBool(b, 'Force') !== true) throw validation("Rule can't be deleted since it has targets.");
      await rules.delete(r);
      return { body: {} };
    },
    PutTargets: async (req) => {
      const b = body(req);
      const r = requireRule(req, b, 'Rule');
      const list = b['Targets'];
      if (!Array.isArray(list)) throw invalid('targets', null, 'Member must not be null');
      if (list.length < 1 || list.length > 100) throw invalid('targets', 'list', `Member must have length ${list.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
      const parsed = list.map((t, i) => parseTarget(t, i));
      const targets = new Map(r.targets.map((t) => [t.Id, t]));
      const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
      for (const t of parsed) {
        const service = t.Arn.split(':')[2] ?? '';
        if (!t.Arn.startsWith('arn:') || !TARGET_SERVICES.has(service)) {
          failed.push({ TargetId: t.Id, ErrorCode: 'ValidationException', ErrorMessage: `Target ${t.Arn} is not supported: selfless delivers to Lambda functions, SQS queues, SNS topics, Step Functions state machines and event buses.` });
          continue;
        }
        targets.set(t.Id, t);
      }
      if (targets.size > MAX_TARGETS) throw limitExceeded(`The requested resource exceeds the maximum number allowed.`);
      await rules.save({ ...r, targets: [...targets.values()] });
      return { body: { FailedEntryCount: failed.length, FailedEntries: failed } };
    },
    RemoveTargets: async (req) => {
      const b = body(req);
      const r = requireRule(req, b, 'Rule');
      const ids = b['Ids'];
      if (!Array.isArray(ids)) throw invalid('ids', null, 'Member must not be null');
      if (ids.length < 1 || ids.length > 100 || !ids.every((x) => typeof x === 'string')) throw invalid('ids', 'list', 'Member must have length between 1 and 100');
      const drop = new Set(ids as string[]);
      await rules.save({ ...r, targets: r.targets.filter((t) => !drop.has(t.Id)) });
      return { body: { FailedEntryCount: 0, FailedEntries: [] } };
    },
    ListTargetsByRule: async (req) => {
      const b = body(req);
      const r = requireRule(req, b, 'Rule');
      const p = page(r.targets, b, limitOf(b));
      return { body: { Targets: p.items, ...(p.next ? { NextToken: p.next } : {}) } };
    },
    ListRuleNamesByTarget: async (req) => {
      const b = body(req);
      const bn = bus(req, b);
      const arn = reqStr(b, 'TargetArn', 'targetArn', 1600);
      const names = rules.list(req.region, bn).filter((r) => r.targets.some((t) => t.Arn === arn)).map((r) => r.Name);
      const p = page(names, b, limitOf(b));
      return { body: { RuleNames: p.items, ...(p.next ? { NextToken: p.next } : {}) } };
    },
    TestEventPattern: async (req) => {
      const b = body(req);
      const pattern = reqStr(b, 'EventPattern', 'eventPattern', 4096);
      const eventText = reqStr(b, 'Event', 'event', 1_000_000);
      let parsed;
      try {
        parsed = parsePattern(pattern);
      } catch (e) {
        throw badPattern(e instanceof Error ? e.message : 'invalid');
      }
      let event: unknown;
      try {
        event = JSON.parse(eventText);
      } catch {
        throw validation('Parameter Event is not valid.');
      }
      const ev = event as Record<string, unknown>;
      if (!ev || typeof ev !== 'object' || Array.isArray(ev) || ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'].some((k) => ev[k] === undefined)) {
        throw validation('Parameter Event is not valid.');
      }
      return { body: { Result: matches(parsed, ev as never) } };
    },
  };
}
