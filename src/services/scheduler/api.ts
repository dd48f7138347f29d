// EventBridge API (JSON 1.1, `AWSEvents.*`) for scheduled rules: PutRule, DescribeRule, ListRules, Enable/DisableRule,
// DeleteRule, PutTargets, RemoveTargets, ListTargetsByRule.
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { parsePattern } from '../../lib/event-pattern.js';
import type { ApiRequest, ServiceRoutes } from '../../server/types.js';
import { parseSchedule } from './cron.js';
import type { Rule, Rules, Target } from './rules.js';

type Body = Record<string, unknown>;

const body = (req: ApiRequest): Body => {
  let v: unknown;
  try {
    v = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AwsError('SerializationException', 'Request body must be a JSON object.');
  return v as Body;
};

const invalid = (field: string, value: unknown, constraint: string) =>
  new AwsError('ValidationException', `1 validation error detected: Value ${value === null ? 'null' : `'${String(value)}'`} at '${field}' failed to satisfy constraint: ${constraint}`);

function optStr(b: Body, name: string, field: string, max: number): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('SerializationException', `Unexpected value for ${name}: expected a string.`);
  if (v.length > max) throw invalid(field, v, `Member must have length less than or equal to ${max}`);
  return v;
}

function name(b: Body, key: string, field: string): string {
  const v = optStr(b, key, field, 64);
  if (v === undefined) throw invalid(field, null, 'Member must not be null');
  if (v.length < 1) throw invalid(field, v, 'Member must have length greater than or equal to 1');
  if (!/^[.\-_A-Za-z0-9]+$/.test(v)) throw invalid(field, v, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
  return v;
}

function checkBus(b: Body): void {
  const bus = optStr(b, 'EventBusName', 'eventBusName', 1600);
  if (bus !== undefined && bus !== 'default' && !/:event-bus\/default$/.test(bus)) throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
}

function limitOf(b: Body, max: number): number {
  const v = b['Limit'];
  if (v === undefined) return max;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw invalid('limit', v, `Member must have value between 1 and ${max}`);
  return v;
}

/** Pages by position: NextToken is the index of the next item. */
function page<T>(items: T[], b: Body, limit: number): { items: T[]; next?: string } {
  const token = b['NextToken'];
  const start = typeof token === 'string' && /^\d+$/.test(token) ? Number(token) : 0;
  if (token !== undefined && (typeof token !== 'string' || !/^\d+$/.test(token))) throw new AwsError('ValidationException', 'The NextToken is not valid.');
  const out = items.slice(start, start + limit);
  return { items: out, ...(start + limit < items.length ? { next: String(start + limit) } : {}) };
}

export function eventsRoutes(rules: Rules, clock: Clock): ServiceRoutes {
  const requireRule = (req: ApiRequest, b: Body, field = 'Rule'): Rule => {
    checkBus(b);
    const n = name(b, field, field === 'Rule' ? 'rule' : 'name');
    const r = rules.get(req.region, n);
    if (!r) throw new AwsError('ResourceNotFoundException', `Rule ${n} does not exist on EventBus default.`);
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
    EventBusName: 'default',
    ...(full ? { CreatedBy: rules.arn(r).split(':')[4] } : {}),
  });
  const setState = async (req: ApiRequest, state: Rule['State']) => {
    const r = requireRule(req, body(req), 'Name');
    if (r.State !== state) await rules.save({ ...r, State: state, anchor: clock.now() });
    return { body: {} };
  };

  return {
    json: [
      {
        targetPrefix: 'AWSEvents',
        ops: {
          PutRule: async (req) => {
            const b = body(req);
            checkBus(b);
            const n = name(b, 'Name', 'name');
            const schedule = optStr(b, 'ScheduleExpression', 'scheduleExpression', 256);
            const pattern = optStr(b, 'EventPattern', 'eventPattern', 4096);
            const state = optStr(b, 'State', 'state', 64) ?? 'ENABLED';
            if (state !== 'ENABLED' && state !== 'DISABLED') throw invalid('state', state, 'Member must satisfy enum value set: [ENABLED, DISABLED]');
            if (schedule === undefined && pattern === undefined) throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
            if (schedule !== undefined) {
              try {
                parseSchedule(schedule);
              } catch {
                throw new AwsError('ValidationException', 'Parameter ScheduleExpression is not valid.');
              }
            }
            if (pattern !== undefined) {
              try {
                parsePattern(pattern);
              } catch (e) {
                throw new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${e instanceof Error ? e.message : 'invalid'}`);
              }
            }
            const old = rules.get(req.region, n);
            const rule: Rule = {
              region: req.region,
              Name: n,
              ScheduleExpression: schedule,
              EventPattern: pattern,
              State: state,
              Description: optStr(b, 'Description', 'description', 512),
              RoleArn: optStr(b, 'RoleArn', 'roleArn', 1600),
              // rate() periods count from when the schedule was set; an unchanged schedule keeps its rhythm.
              anchor: old && old.ScheduleExpression === schedule && old.State === state ? old.anchor : clock.now(),
              targets: old?.targets ?? [],
            };
            await rules.save(rule);
            return { body: { RuleArn: rules.arn(rule) } };
          },
          DescribeRule: async (req) => ({ body: describe(requireRule(req, body(req), 'Name'), true) }),
          ListRules: async (req) => {
            const b = body(req);
            checkBus(b);
            const prefix = optStr(b, 'NamePrefix', 'namePrefix', 64);
            const all = rules.list(req.region).filter((r) => !prefix || r.Name.startsWith(prefix));
            const p = page(all, b, limitOf(b, 100));
            return { body: { Rules: p.items.map((r) => describe(r, false)), ...(p.next ? { NextToken: p.next } : {}) } };
          },
          EnableRule: (req) => setState(req, 'ENABLED'),
          DisableRule: (req) => setState(req, 'DISABLED'),
          DeleteRule: async (req) => {
            const b = body(req);
            checkBus(b);
            const r = rules.get(req.region, name(b, 'Name', 'name'));
            if (!r) return { body: {} };
            if (r.targets.length > 0 && b['Force'] !== true) throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
            await rules.delete(r);
            return { body: {} };
          },
          PutTargets: async (req) => {
            const b = body(req);
            const r = requireRule(req, b);
            const list = b['Targets'];
            if (!Array.isArray(list) || list.length < 1 || list.length > 10) throw invalid('targets', list === undefined ? null : 'list', 'Member must have length between 1 and 10');
            const targets = new Map(r.targets.map((t) => [t.Id, t]));
            const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
            for (const raw of list) {
              if (!raw || typeof raw !== 'object') throw new AwsError('SerializationException', 'Each target must be an object.');
              const t = raw as Body;
              const id = name(t, 'Id', 'targets.member.id');
              const arn = optStr(t, 'Arn', 'targets.member.arn', 1600);
              if (!arn) throw invalid('targets.member.arn', null, 'Member must not be null');
              const input = optStr(t, 'Input', 'targets.member.input', 8192);
              const inputPath = optStr(t, 'InputPath', 'targets.member.inputPath', 256);
              if (input !== undefined && inputPath !== undefined) throw new AwsError('ValidationException', 'Only one of Input, InputPath, or InputTransformer must be provided.');
              if (input !== undefined) {
                try {
                  JSON.parse(input);
                } catch {
                  throw new AwsError('ValidationException', `Target ${id}: Input is not valid JSON text.`);
                }
              }
              if (inputPath !== undefined && !/^\$(\.[A-Za-z0-9_-]+)*$/.test(inputPath)) throw new AwsError('ValidationException', `Target ${id}: InputPath is not a valid JSONPath.`);
              if (t['InputTransformer'] !== undefined) {
                failed.push({ TargetId: id, ErrorCode: 'ValidationException', ErrorMessage: 'InputTransformer is not supported by selfless; use Input or InputPath.' });
                continue;
              }
              const service = arn.split(':')[2];
              if (!arn.startsWith('arn:') || (service !== 'lambda' && service !== 'sqs')) {
                failed.push({ TargetId: id, ErrorCode: 'ValidationException', ErrorMessage: `Target ${arn} is not supported: selfless delivers to Lambda functions and SQS queues.` });
                continue;
              }
              const target: Target = { Id: id, Arn: arn, ...(input !== undefined ? { Input: input } : {}), ...(inputPath !== undefined ? { InputPath: inputPath } : {}) };
              targets.set(id, target);
            }
            if (targets.size > 5) throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
            await rules.save({ ...r, targets: [...targets.values()] });
            return { body: { FailedEntryCount: failed.length, FailedEntries: failed } };
          },
          RemoveTargets: async (req) => {
            const b = body(req);
            const r = requireRule(req, b);
            const ids = b['Ids'];
            if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || !ids.every((x) => typeof x === 'string')) {
              throw invalid('ids', ids === undefined ? null : 'list', 'Member must have length between 1 and 100');
            }
            const drop = new Set(ids as string[]);
            await rules.save({ ...r, targets: r.targets.filter((t) => !drop.has(t.Id)) });
            return { body: { FailedEntryCount: 0, FailedEntries: [] } };
          },
          ListTargetsByRule: async (req) => {
            const b = body(req);
            const r = requireRule(req, b);
            const p = page(r.targets, b, limitOf(b, 100));
            return { body: { Targets: p.items, ...(p.next ? { NextToken: p.next } : {}) } };
          },
        },
      },
    ],
  };
}
