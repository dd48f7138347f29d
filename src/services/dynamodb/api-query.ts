// Query and Scan: key conditions and segments planned into ordered store reads, then Limit, the 1 MB page,
// FilterExpression (applied after Limit, as DynamoDB does), Select and ProjectionExpression.
import type { Handler } from '../../server/types.js';
import { checkUnused, compareKeys, compileCondition, compileKeyCondition, type Condition, type Item, type Projection, type Uses } from './expr/index.js';
import * as E from './errors.js';
import type { DdbParts } from './ops.js';
import { projectionOf } from './ops.js';
import { Items, projectFor, type ReadPlan, type Row } from './items.js';
import { encodeScalar, typeOf, type KeySpec } from './keys.js';
import { legacyToExpressions } from './request.js';
import { body, capacity, capacityMode, enumOf, exprInput, itemOf, tableName, type Body } from './request.js';
import type { IndexDef, TableDef } from './table-def.js';

const PAGE_BYTES = 1024 * 1024;
const SELECTS = ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'] as const;

interface Common { def: TableDef; ix?: IndexDef; limit?: number; filter?: Condition; projection?: Projection; select: (typeof SELECTS)[number]; after?: string[] }

function indexOf(def: TableDef, b: Body): IndexDef | undefined {
  const n = b['IndexName'];
  if (n === undefined) return undefined;
  if (typeof n !== 'string') throw E.nullMember('indexName');
  const ix = [...def.gsis, ...def.lsis].find((x) => x.name === n);
  if (!ix) throw E.noIndex(n);
  return ix;
}

function limitOf(b: Body): number | undefined {
  const l = b['Limit'];
  if (l === undefined) return undefined;
  if (typeof l !== 'number' || !Number.isInteger(l)) throw E.validation("Start of structure or map found where not expected.");
  if (l < 1) throw E.constraint(String(l), 'limit', 'Member must have value greater than or equal to 1');
  return l;
}

/** Decodes what Query and Scan share: table, index, Select, Limit, filter, projection, start key. */
function common(def: TableDef, b: Body, extra: Uses[], filterParam: string): Common {
  const ix = indexOf(def, b);
  const input = exprInput(b);
  const uses = [...extra];
  const filter = typeof b[filterParam] === 'string' ? compileCondition(b[filterParam], input, 'FilterExpression') : undefined;
  if (filter) uses.push(filter);
  const projection = projectionOf(b);
  if (projection && typeof b['ProjectionExpression'] === 'string') uses.push(projection);
  checkUnused(input, uses);
  const select = enumOf(b, 'Select', 'select', SELECTS, projection ? 'SPECIFIC_ATTRIBUTES' : ix ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES');
  if (projection && select !== 'SPECIFIC_ATTRIBUTES') throw E.validation(`Cannot specify the ProjectionExpression when choosing to get ${select}`);
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !ix) throw E.validation('One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported when not querying an index');
  if (select === 'ALL_ATTRIBUTES' && ix?.global && ix.projection.ProjectionType !== 'ALL') {
    throw E.validation(`One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${ix.name} because its projection type is not ALL`);
  }
  let after: string[] | undefined;
  if (b['ExclusiveStartKey'] !== undefined) {
    const esk = itemOf(b['ExclusiveStartKey'], 'exclusiveStartKey');
    const specs: KeySpec[] = ix ? [def.key, ix.key] : [def.key];
    const want = new Set(specs.flatMap((s) => [s.hash, s.range].filter((x): x is string => !!x)));
    for (const s of specs) {
      for (const [n, t] of [[s.hash, s.hashType], [s.range, s.rangeType]] as [string | undefined, string | undefined][]) {
        if (n && (!esk[n] || typeOf(esk[n]!) !== t)) throw E.badStartKey();
      }
    }
    if (Object.keys(esk).some((k) => !want.has(k))) throw E.badStartKey();
    after = Items.position(def, ix, esk);
  }
  const limit = limitOf(b);
  return { def, ...(ix ? { ix } : {}), ...(limit !== undefined ? { limit } : {}), ...(filter ? { filter } : {}), ...(projection ? { projection } : {}), select, ...(after ? { after } : {}) };
}

/** Reads pages of the store until Limit items were evaluated, 1 MB was read, or the range ended. */
async function run(p: DdbParts, c: Common, plan: ReadPlan, b: Body): Promise<Record<string, unknown>> {
  const out: Item[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: Row | undefined;
  let stopped = false;
  let after = c.after;
  for (;;) {
    const want = Math.min(c.limit !== undefined ? c.limit - scanned : 500, 500);
    const rows = await p.items.read(c.def, { ...plan, ...(after ? { after } : {}) }, want);
    for (const row of rows) {
      scanned++;
      bytes += row.size;
      last = row;
      let item = row.item;
      if (c.ix && (c.ix.global || c.select !== 'ALL_ATTRIBUTES')) item = projectFor(c.def, c.ix, item);
      if (!c.filter || c.filter.test(item)) out.push(c.projection ? c.projection.project(item) : item);
      if ((c.limit !== undefined && scanned >= c.limit) || bytes >= PAGE_BYTES) {
        stopped = true;
        break;
      }
    }
    if (stopped || rows.length < want) break;
    after = last!.pos as string[];
  }
  const cc = capacity(capacityMode(b), c.def, { read: Math.max(1, Math.ceil(bytes / 4096)) * (b['ConsistentRead'] === true ? 1 : 0.5) });
  return {
    ...(c.select !== 'COUNT' ? { Items: out } : {}), Count: out.length, ScannedCount: scanned,
    ...(stopped && last ? { LastEvaluatedKey: Items.lastKey(c.def, c.ix, last.item) } : {}),
    ...(cc ? { ConsumedCapacity: cc } : {}),
  };
}

export function queryRoutes(p: DdbParts): Record<string, Handler> {
  return {
    Query: async (r) => {
      const b = legacyToExpressions(body(r));
      const def = await p.tables.forItems(r.region, tableName(b));
      const ix = indexOf(def, b);
      const spec = ix?.key ?? def.key;
      if (typeof b['KeyConditionExpression'] !== 'string') throw E.validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
      if (ix?.global && b['ConsistentRead'] === true) throw E.validation('Consistent reads are not supported on global secondary indexes');
      const kc = compileKeyCondition(b['KeyConditionExpression'], exprInput(b), { hash: spec.hash, ...(spec.range ? { range: spec.range } : {}) });
      const c = common(def, b, [kc], 'FilterExpression');
      if (typeOf(kc.hash) !== spec.hashType) throw E.invalid('Condition parameter type does not match schema type');
      let range: ReadPlan['range'];
      if (kc.range) {
        for (const v of kc.range.values) if (typeOf(v) !== spec.rangeType) throw E.invalid('Condition parameter type does not match schema type');
        if (kc.range.op === 'BETWEEN' && compareKeys(kc.range.values[0]!, kc.range.values[1]!) > 0) {
          const shown = (v: Item[string]): string => `AttributeValue: {${typeOf(v)}:${String(Object.values(v)[0])}}`;
          throw E.validation(`Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${shown(kc.range.values[0]!)}, upper bound operand: ${shown(kc.range.values[1]!)}`);
        }
        range = { op: kc.range.op, values: kc.range.values.map(encodeScalar), binary: spec.rangeType === 'B' };
      }
      const plan: ReadPlan = { ...(ix ? { index: ix } : {}), pk: encodeScalar(kc.hash), ...(range ? { range } : {}), forward: b['ScanIndexForward'] !== false };
      return { body: await run(p, c, plan, b) };
    },
    Scan: async (r) => {
      const b = legacyToExpressions(body(r));
      const def = await p.tables.forItems(r.region, tableName(b));
      const seg = b['Segment'];
      const total = b['TotalSegments'];
      if (seg !== undefined && total === undefined) throw E.validation('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
      if (total !== undefined && seg === undefined) throw E.validation('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
      let segment: ReadPlan['segment'];
      if (typeof total === 'number' && typeof seg === 'number') {
        if (total < 1) throw E.constraint(String(total), 'totalSegments', 'Member must have value greater than or equal to 1');
        if (total > 1000000) throw E.constraint(String(total), 'totalSegments', 'Member must have value less than or equal to 1000000');
        if (seg < 0) throw E.constraint(String(seg), 'segment', 'Member must have value greater than or equal to 0');
        if (seg >= total) throw E.validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${seg} is not less than TotalSegments: ${total}`);
        const span = 2 ** 31;
        segment = { lo: Math.floor((seg * span) / total), hi: Math.floor(((seg + 1) * span) / total) };
      }
      const c = common(def, b, [], 'FilterExpression');
      const plan: ReadPlan = { ...(c.ix ? { index: c.ix } : {}), forward: true, ...(segment ? { segment } : {}) };
      return { body: await run(p, c, plan, b) };
    },
  };
}
