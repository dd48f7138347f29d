// EventBridge bus operations (JSON 1.1, `AWSEvents.*`): Create/Delete/Describe/ListEventBuses, PutEvents,
// Put/RemovePermission (the bus policy, stored) and tags on buses and rules.
import type { Clock } from '../../lib/clock.js';
import type { Handler } from '../../server/types.js';
import type { Catalog } from './catalog.js';
import { busExists, busNotFound, invalid, resourceNotFound, serialization, statementNotFound, validation } from './errors.js';
import { entrySize, MAX_PUT_SIZE, type Intake, type PutEntry } from './intake.js';
import { busArn, type Bus } from './model.js';
import type { Rules } from './rules.js';
import { body, busName, limitOf, mergeTags, optBool, optStr, page, reqStr, tagsOf, type Body, type Tag } from './wire.js';

export interface BusRouteDeps {
  buses: Catalog<Bus>;
  rules: Rules;
  intake: Intake;
  clock: Clock;
  accountId: string;
}

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: unknown;
}

export function busRoutes(d: BusRouteDeps): Record<string, Handler> {
  const { buses, rules, intake, clock, accountId } = d;
  /** The default bus exists in every region, stored only once it has a policy or tags. */
  const getBus = (region: string, n: string): Bus | undefined => buses.get(region, n) ?? (n === 'default' ? { Name: 'default', CreationTime: 0, LastModifiedTime: 0 } : undefined);
  const show = (region: string, b: Bus) => ({
    Name: b.Name,
    Arn: busArn(region, accountId, b.Name),
    ...(b.Description !== undefined ? { Description: b.Description } : {}),
    ...(b.Policy !== undefined ? { Policy: b.Policy } : {}),
    ...(b.CreationTime ? { CreationTime: b.CreationTime / 1000, LastModifiedTime: b.LastModifiedTime / 1000 } : {}),
  });
  const requireBus = (region: string, b: Body): Bus => {
    const n = busName(b);
    const bus = getBus(region, n);
    if (!bus) throw busNotFound(n);
    return bus;
  };
  /** A taggable resource: a bus or a rule, by ARN. */
  const tagged = (region: string, arn: string): { tags: Tag[] | undefined; save: (t: Tag[]) => Promise<void> } => {
    const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):(event-bus|rule)\/(.+)$/.exec(arn);
    if (m && m[1] === region && m[3] === 'event-bus') {
      const bus = getBus(region, m[4]!);
      if (bus) return { tags: bus.Tags, save: (Tags) => buses.put(region, { ...bus, Tags, LastModifiedTime: clock.now() }) };
    } else if (m && m[1] === region) {
      const r = rules.byArn(arn);
      if (r) return { tags: r.Tags, save: (Tags) => rules.save({ ...r, Tags }) };
    }
    throw resourceNotFound(arn);
  };

  return {
    CreateEventBus: async (req) => {
      const b = body(req);
      const n = reqStr(b, 'Name', 'name', 256);
      if (!/^[/.\-_A-Za-z0-9]+$/.test(n)) throw invalid('name', n, 'Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+');
      const source = optStr(b, 'EventSourceName', 'eventSourceName', 256, 1);
      if (n.includes('/') && source === undefined) throw validation("Event bus name must not contain '/'.");
      if (source !== undefined) throw validation(`Event source ${source} does not exist.`);
      const description = optStr(b, 'Description', 'description', 512);
      const tags = tagsOf(b);
      const now = clock.now();
      const bus: Bus = { Name: n, ...(description !== undefined ? { Description: description } : {}), CreationTime: now, LastModifiedTime: now, ...(tags ? { Tags: tags } : {}) };
      if (n === 'default' || !(await buses.create(req.region, bus))) throw busExists(busArn(req.region, accountId, n));
      return { body: { EventBusArn: busArn(req.region, accountId, n), ...(description !== undefined ? { Description: description } : {}) } };
    },
    DeleteEventBus: async (req) => {
      const b = body(req);
      const n = reqStr(b, 'Name', 'name', 256);
      if (n === 'default') throw validation('Cannot delete event bus default.');
      // The bus's rules go with it.
      for (const r of rules.list(req.region, n)) await rules.delete(r);
      await buses.delete(req.region, n);
      return { body: {} };
    },
    DescribeEventBus: async (req) => {
      const b = body(req);
      const n = busName(b, 'Name', 'name');
      const bus = getBus(req.region, n) ?? (await buses.fresh(req.region, n));
      if (!bus) throw busNotFound(n);
      return { body: show(req.region, bus) };
    },
    ListEventBuses: async (req) => {
      const b = body(req);
      const prefix = optStr(b, 'NamePrefix', 'namePrefix', 256, 1);
      const all = buses.list(req.region);
      if (!all.some((x) => x.Name === 'default')) all.unshift(getBus(req.region, 'default')!);
      all.sort((x, y) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0));
      const p = page(all.filter((x) => !prefix || x.Name.startsWith(prefix)), b, limitOf(b));
      return { body: { EventBuses: p.items.map((x) => show(req.region, x)), ...(p.next ? { NextToken: p.next } : {}) } };
    },
    PutEvents: async (req) => {
      const b = body(req);
      const list = b['Entries'];
      if (!Array.isArray(list)) throw invalid('entries', null, 'Member must not be null');
      if (list.length < 1) throw invalid('entries', '[]', 'Member must have length greater than or equal to 1');
      if (list.length > 10) throw invalid('entries', `[${list.length} entries]`, 'Member must have length less than or equal to 10');
      const entries: PutEntry[] = list.map((raw) => {
        if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw serialization('Each entry must be an object.');
        const e = raw as Body;
        const res = e['Resources'];
        if (res !== undefined && res !== null && (!Array.isArray(res) || !res.every((x) => typeof x === 'string'))) throw serialization('Unexpected value for Resources: expected a list of strings.');
        const t = e['Time'];
        if (t !== undefined && t !== null && typeof t !== 'number') throw serialization('Unexpected value for Time: expected a timestamp.');
        return {
          Source: optStr(e, 'Source', 'entries.member.source', 256),
          DetailType: optStr(e, 'DetailType', 'entries.member.detailType', 256),
          Detail: optStr(e, 'Detail', 'entries.member.detail', MAX_PUT_SIZE),
          ...(Array.isArray(res) ? { Resources: res as string[] } : {}),
          ...(typeof t === 'number' ? { Time: Math.round(t * 1000) } : {}),
          EventBusName: optStr(e, 'EventBusName', 'entries.member.eventBusName', 1600, 1),
        };
      });
      if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_PUT_SIZE) throw validation('Total size of the entries in the request is over the limit.');
      return { body: await intake.put(req.region, entries, true) };
    },
    PutPermission: async (req) => {
      const b = body(req);
      const bus = requireBus(req.region, b);
      const policyText = optStr(b, 'Policy', 'policy', 10240);
      let policy: { Version: string; Statement: Statement[] };
      if (policyText !== undefined) {
        try {
          policy = JSON.parse(policyText) as typeof policy;
        } catch {
          throw validation('Parameter Policy is not valid.');
        }
      } else {
        const action = reqStr(b, 'Action', 'action', 64);
        const principal = reqStr(b, 'Principal', 'principal', 12);
        const sid = reqStr(b, 'StatementId', 'statementId', 64);
        if (action !== 'events:PutEvents') throw validation('Provided value in parameter \'action\' is not supported.');
        if (principal !== '*' && !/^\d{12}$/.test(principal)) throw invalid('principal', principal, 'Member must satisfy regular expression pattern: (\\d{12}|\\*)');
        policy = bus.Policy ? (JSON.parse(bus.Policy) as typeof policy) : { Version: '2012-10-17', Statement: [] };
        if (policy.Statement.some((s) => s.Sid === sid)) throw validation('Statement with the provided id already exists.');
        const condition = b['Condition'];
        policy.Statement.push({
          Sid: sid,
          Effect: 'Allow',
          Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
          Action: action,
          Resource: busArn(req.region, accountId, bus.Name),
          ...(condition && typeof condition === 'object' ? { Condition: { [String((condition as Body)['Type'] ?? 'StringEquals')]: { [String((condition as Body)['Key'] ?? 'aws:PrincipalOrgID')]: (condition as Body)['Value'] } } } : {}),
        });
      }
      await buses.put(req.region, { ...bus, CreationTime: bus.CreationTime || clock.now(), Policy: JSON.stringify(policy), LastModifiedTime: clock.now() });
      return { body: {} };
    },
    RemovePermission: async (req) => {
      const b = body(req);
      const bus = requireBus(req.region, b);
      const all = optBool(b, 'RemoveAllPermissions') === true;
      const sid = optStr(b, 'StatementId', 'statementId', 64, 1);
      const policy = bus.Policy ? (JSON.parse(bus.Policy) as { Version: string; Statement: Statement[] }) : undefined;
      if (all) {
        const { Policy: _p, ...rest } = bus;
        await buses.put(req.region, { ...rest, LastModifiedTime: clock.now() });
        return { body: {} };
      }
      if (sid === undefined) throw validation('Parameter StatementId or RemoveAllPermissions must be specified.');
      if (!policy || !policy.Statement.some((s) => s.Sid === sid)) throw statementNotFound();
      policy.Statement = policy.Statement.filter((s) => s.Sid !== sid);
      const { Policy: _p, ...rest } = bus;
      await buses.put(req.region, { ...rest, ...(policy.Statement.length ? { Policy: JSON.stringify(policy) } : {}), LastModifiedTime: clock.now() });
      return { body: {} };
    },
    TagResource: async (req) => {
      const b = body(req);
      const t = tagged(req.region, reqStr(b, 'ResourceARN', 'resourceARN', 1600));
      const add = tagsOf(b);
      if (!add) throw invalid('tags', null, 'Member must not be null');
      await t.save(mergeTags(t.tags, add));
      return { body: {} };
    },
    UntagResource: async (req) => {
      const b = body(req);
      const t = tagged(req.region, reqStr(b, 'ResourceARN', 'resourceARN', 1600));
      const keys = b['TagKeys'];
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw invalid('tagKeys', null, 'Member must not be null');
      await t.save((t.tags ?? []).filter((x) => !keys.includes(x.Key)));
      return { body: {} };
    },
    ListTagsForResource: async (req) => {
      const b = body(req);
      const t = tagged(req.region, reqStr(b, 'ResourceARN', 'resourceARN', 1600));
      return { body: { Tags: t.tags ?? [] } };
    },
  };
}
