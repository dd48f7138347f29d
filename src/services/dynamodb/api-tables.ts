// The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, TTL, tags, endpoints, limits.
import type { Clock } from '../../lib/clock.js';
import type { JsonObject } from '../../lib/validate.js';
import type { Handler } from '../../server/types.js';
import * as E from './errors.js';
import type { DdbParts } from './ops.js';
import { body, type Body } from './request.js';
import {
  checkDefinitions, checkTableName, parseAttrDefs, parseCreateTable, parseIndex, parseSse, parseStreamSpec, parseThroughput, type AttrDef, type TableDef,
} from './table-def.js';

const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

function arnOf(b: Body): string {
  const a = b['ResourceArn'];
  if (typeof a !== 'string') throw E.nullMember('resourceArn');
  if (a.length < 1) throw E.constraint(a, 'resourceArn', 'Member must have length greater than or equal to 1');
  return a;
}

export function tableRoutes(p: DdbParts, clock: Clock): Record<string, Handler> {
  const find = async (b: Body, region: string): Promise<TableDef> => p.tables.get(region, checkTableName(b['TableName']));
  const byArn = async (arn: string): Promise<TableDef> => {
    const t = await p.tables.byArn(arn);
    if (!t) throw E.arnNotFound(arn);
    return t;
  };
  return {
    CreateTable: async (r) => {
      const d = parseCreateTable(body(r));
      const def = await p.tables.create(r.region, d);
      return { body: { TableDescription: await p.tables.describe(def, 'CREATING') } };
    },
    DescribeTable: async (r) => ({ body: { Table: await p.tables.describe(await find(body(r), r.region)) } }),
    ListTables: async (r) => {
      const b = body(r);
      const limit = b['Limit'] ?? 100;
      if (typeof limit !== 'number' || limit < 1) throw E.constraint(String(limit), 'limit', 'Member must have value greater than or equal to 1');
      if (limit > 100) throw E.constraint(String(limit), 'limit', 'Member must have value less than or equal to 100');
      const start = typeof b['ExclusiveStartTableName'] === 'string' ? b['ExclusiveStartTableName'] : undefined;
      const names = (await p.tables.list(r.region)).filter((n) => start === undefined || n > start);
      const page = names.slice(0, limit);
      return { body: { TableNames: page, ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}) } };
    },
    DeleteTable: async (r) => {
      const def = await find(body(r), r.region);
      if (def.deletionProtection) throw E.validation('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
      const desc = await p.tables.describe(def);
      await p.tables.delete(r.region, def);
      return { body: { TableDescription: { ...desc, TableStatus: 'DELETING' } } };
    },
    UpdateTable: async (r) => {
      const b = body(r);
      const def = await find(b, r.region);
      const attrs: AttrDef[] = b['AttributeDefinitions'] !== undefined ? parseAttrDefs(b['AttributeDefinitions']) : [];
      const now = clock.now();
      if (b['BillingMode'] !== undefined) {
        const m = b['BillingMode'];
        if (m !== 'PROVISIONED' && m !== 'PAY_PER_REQUEST') throw E.constraint(String(m), 'billingMode', 'Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]');
        if (m !== def.billing) def.billingChanged = now / 1000;
        def.billing = m;
        if (m === 'PAY_PER_REQUEST') def.throughput = { ReadCapacityUnits: 0, WriteCapacityUnits: 0 };
      }
      const tp = parseThroughput(b['ProvisionedThroughput'], 'provisionedThroughput');
      if (tp) {
        if (def.billing === 'PAY_PER_REQUEST') throw E.validation('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
        def.throughput = tp;
      } else if (def.billing === 'PROVISIONED' && !def.throughput.ReadCapacityUnits) {
        throw E.validation('One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
      }
      const created: TableDef['gsis'] = [];
      for (const [i, u] of (Array.isArray(b['GlobalSecondaryIndexUpdates']) ? b['GlobalSecondaryIndexUpdates'] : []).entries()) {
        const o = obj(u) ?? {};
        const member = `globalSecondaryIndexUpdates.${i + 1}.member`;
        if (o['Create']) {
          const all = [...def.attrs, ...attrs.filter((a) => !def.attrs.some((d) => d.AttributeName === a.AttributeName))];
          const ix = parseIndex(o['Create'], `${member}.create`, true, all, def.billing);
          if ([...def.gsis, ...def.lsis].some((g) => g.name === ix.name)) throw E.validation(`One or more parameter values were invalid: Index with name: ${ix.name} already exists`);
          const usedAttrs = new Set([...def.keySchema, ...[...def.gsis, ...def.lsis, ix].flatMap((g) => g.keySchema)].map((k) => k.AttributeName));
          def.attrs = all.filter((a) => usedAttrs.has(a.AttributeName));
          checkDefinitions(def.attrs, [def.keySchema, ...[...def.gsis, ...def.lsis, ix].map((g) => g.keySchema)]);
          def.gsis.push(ix);
          created.push(ix);
        } else if (obj(o['Delete'])) {
          const n = obj(o['Delete'])!['IndexName'];
          if (!def.gsis.some((g) => g.name === n)) throw E.resourceNotFound();
          def.gsis = def.gsis.filter((g) => g.name !== n);
          const usedAttrs = new Set([...def.keySchema, ...[...def.gsis, ...def.lsis].flatMap((g) => g.keySchema)].map((k) => k.AttributeName));
          def.attrs = def.attrs.filter((a) => usedAttrs.has(a.AttributeName));
          await p.items.dropIndex(def, String(n));
        } else if (obj(o['Update'])) {
          const u2 = obj(o['Update'])!;
          const g = def.gsis.find((x) => x.name === u2['IndexName']);
          if (!g) throw E.resourceNotFound();
          const t = parseThroughput(u2['ProvisionedThroughput'], `${member}.update.provisionedThroughput`);
          if (t) g.throughput = t;
        }
      }
      if (b['StreamSpecification'] !== undefined) {
        const s = parseStreamSpec(b['StreamSpecification']);
        if (s?.enabled && def.stream?.enabled) throw E.validation(`Table already has an enabled stream: TableName: ${def.name}`);
        if (s && !s.enabled && !def.stream?.enabled) throw E.validation('Table already has no stream enabled');
        if (s?.enabled) def.stream = p.tables.newStream({ ...def, stream: s }, now);
        else if (def.stream) def.stream = { ...def.stream, enabled: false };
      }
      const sse = parseSse(b['SSESpecification']);
      if (sse) def.sse = sse;
      if (typeof b['DeletionProtectionEnabled'] === 'boolean') def.deletionProtection = b['DeletionProtectionEnabled'];
      if (typeof b['TableClass'] === 'string') def.tableClass = b['TableClass'];
      await p.tables.save(r.region, def);
      for (const ix of created) await p.items.backfill(def, ix);
      return { body: { TableDescription: await p.tables.describe(def, 'UPDATING') } };
    },
    UpdateTimeToLive: async (r) => {
      const b = body(r);
      const def = await find(b, r.region);
      const spec = obj(b['TimeToLiveSpecification']);
      if (!spec) throw E.nullMember('timeToLiveSpecification');
      if (typeof spec['Enabled'] !== 'boolean') throw E.nullMember('timeToLiveSpecification.enabled');
      const attr = spec['AttributeName'];
      if (typeof attr !== 'string') throw E.nullMember('timeToLiveSpecification.attributeName');
      if (spec['Enabled'] && def.ttl?.enabled) throw E.validation('TimeToLive is already enabled');
      if (!spec['Enabled'] && !def.ttl?.enabled) throw E.validation('TimeToLive is already disabled');
      if (!spec['Enabled'] && def.ttl && def.ttl.attr !== attr) throw E.validation('TimeToLive is active on a different AttributeName: current AttributeName is ' + def.ttl.attr);
      def.ttl = { attr, enabled: spec['Enabled'] };
      await p.tables.save(r.region, def);
      await p.items.reindexTtl(def);
      return { body: { TimeToLiveSpecification: { Enabled: spec['Enabled'], AttributeName: attr } } };
    },
    DescribeTimeToLive: async (r) => {
      const def = await find(body(r), r.region);
      return { body: { TimeToLiveDescription: def.ttl?.enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: def.ttl.attr } : { TimeToLiveStatus: 'DISABLED' } } };
    },
    TagResource: async (r) => {
      const b = body(r);
      const def = await byArn(arnOf(b));
      const tags = Array.isArray(b['Tags']) ? b['Tags'] : undefined;
      if (!tags) throw E.nullMember('tags');
      for (const t of tags) {
        const o = obj(t) ?? {};
        if (typeof o['Key'] !== 'string') throw E.nullMember('tags.member.key');
        def.tags[o['Key']] = typeof o['Value'] === 'string' ? o['Value'] : '';
      }
      if (Object.keys(def.tags).length > 50) throw E.limitExceeded('Too many tags. The limit is 50 tags per resource');
      await p.tables.save(def.arn.split(':')[3]!, def);
      return { body: {} };
    },
    UntagResource: async (r) => {
      const b = body(r);
      const def = await byArn(arnOf(b));
      if (!Array.isArray(b['TagKeys'])) throw E.nullMember('tagKeys');
      for (const k of b['TagKeys']) delete def.tags[String(k)];
      await p.tables.save(def.arn.split(':')[3]!, def);
      return { body: {} };
    },
    ListTagsOfResource: async (r) => {
      const def = await byArn(arnOf(body(r)));
      return { body: { Tags: Object.entries(def.tags).map(([Key, Value]) => ({ Key, Value })) } };
    },
    DescribeEndpoints: async (r) => ({ body: { Endpoints: [{ Address: r.baseUrl.replace(/^https?:\/\//, ''), CachePeriodInMinutes: 1440 }] } }),
    DescribeLimits: async () => ({
      body: { AccountMaxReadCapacityUnits: 80000, AccountMaxWriteCapacityUnits: 80000, TableMaxReadCapacityUnits: 40000, TableMaxWriteCapacityUnits: 40000 },
    }),
  };
}
