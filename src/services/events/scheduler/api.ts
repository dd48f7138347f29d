// EventBridge Scheduler API (rest-json, SigV4 service `scheduler`): schedules, schedule groups and their tags.
import type { z } from 'zod';
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../../server/types.js';
import { defaultGroupUndeletable, groupExists, groupMissing, resourceMissing, scheduleExists, scheduleMissing, validation } from './errors.js';
import type { Firing } from './firing.js';
import { groupArn, scheduleArn, type ScheduleTables, type StoredGroup, type StoredSchedule } from './model.js';
import { checkName, checkSchedule, Checks, GroupShape, ScheduleShape, TagShape } from './validate.js';

function body<T extends z.ZodType>(schema: T, req: ApiRequest): z.infer<T> {
  let v: unknown = {};
  if (req.body.length > 0) {
    try {
      v = JSON.parse(req.body.toString('utf8'));
    } catch {
      throw new AwsError('SerializationException', 'Request body is not valid JSON.', { status: 400 });
    }
  }
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw validation(`Invalid value for field '${issue?.path.join('.') || 'body'}': ${issue?.message ?? 'invalid'}`);
}

const seconds = (ms: number): number => ms / 1000;

function page<T>(items: T[], req: ApiRequest): { items: T[]; next?: string } {
  const c = new Checks();
  const raw = req.query.get('MaxResults');
  const max = raw === null ? 100 : Number(raw);
  if (raw !== null) c.range('maxResults', Number.isInteger(max) ? max : NaN, 1, 100);
  const token = req.query.get('NextToken');
  c.len('nextToken', token ?? undefined, 1, 2048);
  c.throwIfAny();
  if (token !== null && !/^\d+$/.test(token)) throw validation('Invalid NextToken.');
  const start = token === null ? 0 : Number(token);
  const out = items.slice(start, start + max);
  return { items: out, ...(start + max < items.length ? { next: String(start + max) } : {}) };
}

export function schedulerRoutes(tables: ScheduleTables, firing: Firing, clock: Clock, accountId: string): RestRoute[] {
  const wire = (s: StoredSchedule): Record<string, unknown> => ({
    ActionAfterCompletion: s.ActionAfterCompletion,
    Arn: scheduleArn(accountId, s),
    CreationDate: seconds(s.CreationDate),
    ...(s.Description !== undefined ? { Description: s.Description } : {}),
    ...(s.EndDate !== undefined ? { EndDate: seconds(s.EndDate) } : {}),
    FlexibleTimeWindow: s.FlexibleTimeWindow,
    GroupName: s.GroupName,
    ...(s.KmsKeyArn !== undefined ? { KmsKeyArn: s.KmsKeyArn } : {}),
    LastModificationDate: seconds(s.LastModificationDate),
    Name: s.Name,
    ScheduleExpression: s.ScheduleExpression,
    ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
    ...(s.StartDate !== undefined ? { StartDate: seconds(s.StartDate) } : {}),
    State: s.State,
    Target: s.Target,
  });
  const groupWire = (region: string, g: StoredGroup): Record<string, unknown> => ({
    Arn: groupArn(accountId, region, g.Name),
    CreationDate: seconds(g.CreationDate),
    LastModificationDate: seconds(g.LastModificationDate),
    Name: g.Name,
    State: 'ACTIVE',
  });
  const nameOf = (req: ApiRequest, field = 'name'): string => {
    const name = req.params['Name'] ?? '';
    checkName(new Checks(), field, name).throwIfAny();
    return name;
  };
  const groupOf = async (req: ApiRequest, name: string | undefined): Promise<string> => {
    const g = name ?? 'default';
    checkName(new Checks(), 'groupName', g).throwIfAny();
    if (!(await tables.group(req.region, g, clock.now()))) throw groupMissing(g);
    return g;
  };
  /** The schedule group an ARN names (the only taggable resource). */
  const taggable = async (req: ApiRequest): Promise<StoredGroup> => {
    const arn = req.params['ResourceArn'] ?? '';
    const m = /^arn:aws[a-z-]*:scheduler:([a-z0-9-]+):(\d{12}):schedule-group\/([0-9a-zA-Z-_.]+)$/.exec(arn);
    if (!m) throw validation(`Invalid ARN: ${arn}`);
    const g = m[1] === req.region && m[2] === accountId ? await tables.group(req.region, m[3]!, clock.now()) : undefined;
    if (!g) throw resourceMissing(arn);
    return g;
  };

  return [
    {
      op: 'CreateSchedule',
      method: 'POST',
      path: '/schedules/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const input = body(ScheduleShape, req);
        const now = clock.now();
        const settings = checkSchedule(input, now);
        const group = await groupOf(req, input.GroupName);
        const s: StoredSchedule = { region: req.region, Name: name, GroupName: group, ...settings, CreationDate: now, LastModificationDate: now, anchor: settings.StartDate ?? now };
        if (!(await tables.createSchedule(s))) throw scheduleExists(name);
        firing.changed();
        return { body: { ScheduleArn: scheduleArn(accountId, s) } };
      },
    },
    {
      op: 'GetSchedule',
      method: 'GET',
      path: '/schedules/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const group = await groupOf(req, req.query.get('groupName') ?? undefined);
        const s = await tables.schedule(req.region, group, name);
        if (!s) throw scheduleMissing(name);
        return { body: wire(s) };
      },
    },
    {
      op: 'UpdateSchedule',
      method: 'PUT',
      path: '/schedules/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const input = body(ScheduleShape, req);
        const now = clock.now();
        const settings = checkSchedule(input, now);
        const group = await groupOf(req, input.GroupName);
        const cur = await tables.schedule(req.region, group, name);
        if (!cur) throw scheduleMissing(name);
        // UpdateSchedule replaces every setting (what the request leaves out goes back to its default), as AWS does.
        const next: StoredSchedule = { region: req.region, Name: name, GroupName: group, ...settings, CreationDate: cur.CreationDate, LastModificationDate: now, anchor: settings.StartDate ?? now };
        if (!(await tables.updateSchedule(next))) throw scheduleMissing(name);
        firing.changed();
        return { body: { ScheduleArn: scheduleArn(accountId, next) } };
      },
    },
    {
      op: 'DeleteSchedule',
      method: 'DELETE',
      path: '/schedules/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const group = await groupOf(req, req.query.get('groupName') ?? undefined);
        if (!(await tables.deleteSchedule(req.region, group, name))) throw scheduleMissing(name);
        firing.changed();
        return { body: {} };
      },
    },
    {
      op: 'ListSchedules',
      method: 'GET',
      path: '/schedules',
      handler: async (req) => {
        const c = new Checks();
        const group = req.query.get('ScheduleGroup') ?? undefined;
        const prefix = req.query.get('NamePrefix') ?? undefined;
        const state = req.query.get('State') ?? undefined;
        checkName(c, 'groupName', group);
        checkName(c, 'namePrefix', prefix);
        c.oneOf('state', state, ['ENABLED', 'DISABLED']).throwIfAny();
        if (group !== undefined && !(await tables.group(req.region, group, clock.now()))) throw groupMissing(group);
        const all = (await tables.schedules(req.region)).filter(
          (s) => (group === undefined || s.GroupName === group) && (prefix === undefined || s.Name.startsWith(prefix)) && (state === undefined || s.State === state),
        );
        const p = page(all, req);
        return {
          body: {
            Schedules: p.items.map((s) => ({
              Arn: scheduleArn(accountId, s),
              CreationDate: seconds(s.CreationDate),
              GroupName: s.GroupName,
              LastModificationDate: seconds(s.LastModificationDate),
              Name: s.Name,
              State: s.State,
              Target: { Arn: s.Target.Arn },
            })),
            ...(p.next ? { NextToken: p.next } : {}),
          },
        };
      },
    },
    {
      op: 'CreateScheduleGroup',
      method: 'POST',
      path: '/schedule-groups/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const input = body(GroupShape, req);
        const now = clock.now();
        if (name === 'default' || !(await tables.createGroup(req.region, { Name: name, CreationDate: now, LastModificationDate: now, Tags: input.Tags ?? [] }))) throw groupExists(name);
        return { body: { ScheduleGroupArn: groupArn(accountId, req.region, name) } };
      },
    },
    {
      op: 'GetScheduleGroup',
      method: 'GET',
      path: '/schedule-groups/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        const g = await tables.group(req.region, name, clock.now());
        if (!g) throw groupMissing(name);
        return { body: groupWire(req.region, g) };
      },
    },
    {
      op: 'DeleteScheduleGroup',
      method: 'DELETE',
      path: '/schedule-groups/{Name}',
      handler: async (req) => {
        const name = nameOf(req);
        if (name === 'default') throw defaultGroupUndeletable();
        if (!(await tables.group(req.region, name, clock.now()))) throw groupMissing(name);
        // Its schedules go with it (AWS deletes them in the background; here at once).
        await tables.deleteGroup(req.region, name);
        firing.changed();
        return { body: {} };
      },
    },
    {
      op: 'ListScheduleGroups',
      method: 'GET',
      path: '/schedule-groups',
      handler: async (req) => {
        const prefix = req.query.get('NamePrefix') ?? undefined;
        checkName(new Checks(), 'namePrefix', prefix).throwIfAny();
        const all = (await tables.groups(req.region, clock.now())).filter((g) => prefix === undefined || g.Name.startsWith(prefix));
        const p = page(all, req);
        return { body: { ScheduleGroups: p.items.map((g) => groupWire(req.region, g)), ...(p.next ? { NextToken: p.next } : {}) } };
      },
    },
    {
      op: 'ListTagsForResource',
      method: 'GET',
      path: '/tags/{ResourceArn}',
      handler: async (req) => ({ body: { Tags: (await taggable(req)).Tags } }),
    },
    {
      op: 'TagResource',
      method: 'POST',
      path: '/tags/{ResourceArn}',
      handler: async (req) => {
        const g = await taggable(req);
        const input = body(TagShape, req);
        const c = new Checks().required('tags', input.Tags);
        for (const t of input.Tags ?? []) c.len('tags.member.key', t.Key, 1, 128).len('tags.member.value', t.Value, 1, 256);
        c.throwIfAny();
        const tags = new Map(g.Tags.map((t) => [t.Key, t.Value]));
        for (const t of input.Tags ?? []) tags.set(t.Key, t.Value);
        if (tags.size > 200) throw validation('A resource can have at most 200 tags.');
        await tables.saveGroup(req.region, { ...g, Tags: [...tags].map(([Key, Value]) => ({ Key, Value })) });
        return { body: {} };
      },
    },
    {
      op: 'UntagResource',
      method: 'DELETE',
      path: '/tags/{ResourceArn}',
      handler: async (req) => {
        const g = await taggable(req);
        const keys = req.query.getAll('TagKeys');
        new Checks().required('tagKeys', keys.length > 0 ? keys : undefined).throwIfAny();
        await tables.saveGroup(req.region, { ...g, Tags: g.Tags.filter((t) => !keys.includes(t.Key)) });
        return { body: {} };
      },
    },
  ];
}
