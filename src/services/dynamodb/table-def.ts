// Table definitions: CreateTable's input checked as DynamoDB checks it (key schema, attribute definitions, indexes,
// billing), into the TableDef that is stored as JSON in ddb_tables.
import type { JsonObject } from '../../lib/validate.js';
import * as E from './errors.js';
import type { KeySpec, ScalarType } from './keys.js';

export interface KeyElement { AttributeName: string; KeyType: 'HASH' | 'RANGE' }
export interface AttrDef { AttributeName: string; AttributeType: ScalarType }
export interface Projection { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] }
export interface Throughput { ReadCapacityUnits: number; WriteCapacityUnits: number }
export interface IndexDef {
  name: string;
  keySchema: KeyElement[];
  key: KeySpec;
  projection: Projection;
  throughput?: Throughput;
  global: boolean;
}
export interface TableDef {
  name: string;
  id: string;
  arn: string;
  created: number;
  attrs: AttrDef[];
  keySchema: KeyElement[];
  key: KeySpec;
  billing: 'PROVISIONED' | 'PAY_PER_REQUEST';
  throughput: Throughput;
  gsis: IndexDef[];
  lsis: IndexDef[];
  stream?: { enabled: boolean; viewType?: string; label?: string; arn?: string };
  sse?: { enabled: boolean; type?: string; kmsKey?: string };
  ttl?: { attr: string; enabled: boolean };
  tags: Record<string, string>;
  deletionProtection: boolean;
  tableClass: string;
  billingChanged?: number;
}

const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);
const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

export function checkTableName(v: unknown, member = 'tableName'): string {
  if (typeof v !== 'string') throw E.nullMember(member);
  if (v.length < 3) throw E.constraint(v, member, 'Member must have length greater than or equal to 3');
  if (v.length > 255) throw E.constraint(v, member, 'Member must have length less than or equal to 255');
  if (!/^[a-zA-Z0-9_.-]+$/.test(v)) throw E.constraint(v, member, 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+');
  return v;
}

export function parseKeySchema(v: unknown, member: string): KeyElement[] {
  const list = arr(v);
  if (!list) throw E.nullMember(member);
  if (list.length < 1) throw E.constraint('[]', member, 'Member must have length greater than or equal to 1');
  if (list.length > 2) throw E.constraint(JSON.stringify(list), member, 'Member must have length less than or equal to 2');
  const out = list.map((x, i) => {
    const o = obj(x) ?? {};
    const name = o['AttributeName'];
    const type = o['KeyType'];
    if (typeof name !== 'string') throw E.nullMember(`${member}.${i + 1}.member.attributeName`);
    if (type !== 'HASH' && type !== 'RANGE') {
      if (type === undefined) throw E.nullMember(`${member}.${i + 1}.member.keyType`);
      throw E.constraint(String(type), `${member}.${i + 1}.member.keyType`, 'Member must satisfy enum value set: [HASH, RANGE]');
    }
    return { AttributeName: name, KeyType: type } as KeyElement;
  });
  if (out[0]!.KeyType !== 'HASH') throw E.validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (out[1] && out[1].KeyType !== 'RANGE') throw E.validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  if (out[1] && out[1].AttributeName === out[0]!.AttributeName) throw E.validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  return out;
}

export function keySpec(schema: KeyElement[], attrs: AttrDef[]): KeySpec {
  const t = (n: string): ScalarType => attrs.find((a) => a.AttributeName === n)!.AttributeType;
  const h = schema[0]!.AttributeName;
  const r = schema[1]?.AttributeName;
  return { hash: h, hashType: t(h), ...(r ? { range: r, rangeType: t(r) } : {}) };
}

export function parseAttrDefs(v: unknown): AttrDef[] {
  const list = arr(v);
  if (!list) throw E.nullMember('attributeDefinitions');
  const out = list.map((x, i) => {
    const o = obj(x) ?? {};
    const name = o['AttributeName'];
    const type = o['AttributeType'];
    if (typeof name !== 'string') throw E.nullMember(`attributeDefinitions.${i + 1}.member.attributeName`);
    if (type !== 'S' && type !== 'N' && type !== 'B') {
      if (type === undefined) throw E.nullMember(`attributeDefinitions.${i + 1}.member.attributeType`);
      throw E.constraint(String(type), `attributeDefinitions.${i + 1}.member.attributeType`, 'Member must satisfy enum value set: [B, N, S]');
    }
    return { AttributeName: name, AttributeType: type } as AttrDef;
  });
  if (new Set(out.map((a) => a.AttributeName)).size !== out.length) throw E.invalid('Cannot have two attributes with the same name');
  return out;
}

export function parseThroughput(v: unknown, member: string): Throughput | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const r = o['ReadCapacityUnits'];
  const w = o['WriteCapacityUnits'];
  if (typeof r !== 'number') throw E.nullMember(`${member}.readCapacityUnits`);
  if (typeof w !== 'number') throw E.nullMember(`${member}.writeCapacityUnits`);
  if (r < 1) throw E.constraint(String(r), `${member}.readCapacityUnits`, 'Member must have value greater than or equal to 1');
  if (w < 1) throw E.constraint(String(w), `${member}.writeCapacityUnits`, 'Member must have value greater than or equal to 1');
  return { ReadCapacityUnits: r, WriteCapacityUnits: w };
}

export function parseProjection(v: unknown, member: string): Projection {
  const o = obj(v);
  if (!o) throw E.nullMember(member);
  const t = o['ProjectionType'] ?? 'INCLUDE';
  if (t !== 'ALL' && t !== 'KEYS_ONLY' && t !== 'INCLUDE') throw E.constraint(String(t), `${member}.projectionType`, 'Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]');
  const nk = arr(o['NonKeyAttributes']) as string[] | undefined;
  if (t !== 'INCLUDE' && nk) throw E.invalid(`ProjectionType is ${t}, but NonKeyAttributes is specified`);
  if (t === 'INCLUDE' && !nk?.length) throw E.invalid('NonKeyAttributes must not be empty');
  return { ProjectionType: t, ...(nk ? { NonKeyAttributes: nk } : {}) };
}

/** One GSI or LSI of CreateTable / UpdateTable's Create, against the table's attribute definitions. */
export function parseIndex(v: unknown, member: string, global: boolean, attrs: AttrDef[], billing: TableDef['billing']): IndexDef {
  const o = obj(v) ?? {};
  const name = o['IndexName'];
  if (typeof name !== 'string') throw E.nullMember(`${member}.indexName`);
  if (name.length < 3) throw E.constraint(name, `${member}.indexName`, 'Member must have length greater than or equal to 3');
  const keySchema = parseKeySchema(o['KeySchema'], `${member}.keySchema`);
  const projection = parseProjection(o['Projection'], `${member}.projection`);
  const throughput = global ? parseThroughput(o['ProvisionedThroughput'], `${member}.provisionedThroughput`) : undefined;
  if (global && billing === 'PROVISIONED' && !throughput) throw E.invalid(`ProvisionedThroughput must be specified for index: ${name}`);
  if (global && billing === 'PAY_PER_REQUEST' && throughput) throw E.invalid(`ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`);
  return { name, keySchema, key: keySpec(keySchema, attrs), projection, ...(throughput ? { throughput } : {}), global };
}

/** Every key attribute (table and indexes) defined, and no definition unused, with DynamoDB's messages. */
export function checkDefinitions(attrs: AttrDef[], schemas: KeyElement[][]): void {
  const used = new Set(schemas.flat().map((k) => k.AttributeName));
  const defined = new Set(attrs.map((a) => a.AttributeName));
  const missing = [...used].filter((n) => !defined.has(n));
  if (missing.length) {
    throw E.invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(', ')}], AttributeDefinitions: [${attrs.map((a) => a.AttributeName).join(', ')}]`);
  }
  if (used.size !== defined.size) throw E.invalid('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
}

export function parseBilling(b: JsonObject): { billing: TableDef['billing']; throughput: Throughput } {
  const mode = b['BillingMode'] ?? 'PROVISIONED';
  if (mode !== 'PROVISIONED' && mode !== 'PAY_PER_REQUEST') throw E.constraint(String(mode), 'billingMode', 'Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]');
  const tp = parseThroughput(b['ProvisionedThroughput'], 'provisionedThroughput');
  if (mode === 'PAY_PER_REQUEST') {
    if (tp) throw E.invalid('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    return { billing: mode, throughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 } };
  }
  if (!tp) throw E.validation('One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
  return { billing: mode, throughput: tp };
}

export function parseStreamSpec(v: unknown): TableDef['stream'] | undefined {
  const o = obj(v);
  if (!o) return undefined;
  if (typeof o['StreamEnabled'] !== 'boolean') throw E.nullMember('streamSpecification.streamEnabled');
  const vt = o['StreamViewType'];
  if (o['StreamEnabled'] && vt === undefined) throw E.validation('One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true');
  if (vt !== undefined && !['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'].includes(vt as string)) {
    throw E.constraint(String(vt), 'streamSpecification.streamViewType', 'Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]');
  }
  return { enabled: o['StreamEnabled'], ...(o['StreamEnabled'] ? { viewType: vt as string } : {}) };
}

export function parseSse(v: unknown): TableDef['sse'] | undefined {
  const o = obj(v);
  if (!o) return undefined;
  return { enabled: o['Enabled'] === true, ...(typeof o['SSEType'] === 'string' ? { type: o['SSEType'] } : {}), ...(typeof o['KMSMasterKeyId'] === 'string' ? { kmsKey: o['KMSMasterKeyId'] } : {}) };
}

/** CreateTable's body → the parts of a TableDef the request decides. */
export function parseCreateTable(b: JsonObject): Omit<TableDef, 'id' | 'arn' | 'created' | 'stream'> & { stream?: TableDef['stream'] } {
  const name = checkTableName(b['TableName']);
  const attrs = parseAttrDefs(b['AttributeDefinitions']);
  const keySchema = parseKeySchema(b['KeySchema'], 'keySchema');
  const { billing, throughput } = parseBilling(b);
  const gsiIn = arr(b['GlobalSecondaryIndexes']) ?? [];
  const lsiIn = arr(b['LocalSecondaryIndexes']) ?? [];
  if (b['GlobalSecondaryIndexes'] !== undefined && !gsiIn.length) throw E.validation('One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty');
  if (b['LocalSecondaryIndexes'] !== undefined && !lsiIn.length) throw E.validation('One or more parameter values were invalid: List of LocalSecondaryIndexes is empty');
  const schemas = [keySchema, ...gsiIn.map((g, i) => parseKeySchema(obj(g)?.['KeySchema'], `globalSecondaryIndexes.${i + 1}.member.keySchema`)),
    ...lsiIn.map((l, i) => parseKeySchema(obj(l)?.['KeySchema'], `localSecondaryIndexes.${i + 1}.member.keySchema`))];
  checkDefinitions(attrs, schemas);
  const gsis = gsiIn.map((g, i) => parseIndex(g, `globalSecondaryIndexes.${i + 1}.member`, true, attrs, billing));
  const lsis = lsiIn.map((l, i) => parseIndex(l, `localSecondaryIndexes.${i + 1}.member`, false, attrs, billing));
  if (gsis.length > 20) throw E.limitExceeded('Subscriber limit exceeded: The number of global secondary indexes exceeds the limit of 20');
  if (lsis.length > 5) throw E.invalid('Number of LocalSecondaryIndexes exceeds per-table limit of 5');
  const seen = new Set<string>();
  for (const ix of [...gsis, ...lsis]) {
    if (seen.has(ix.name)) throw E.invalid(`Duplicate index name: ${ix.name}`);
    seen.add(ix.name);
  }
  for (const l of lsis) {
    if (!keySchema[1]) throw E.invalid('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
    if (!l.keySchema[1]) throw E.invalid(`Index KeySchema does not have a range key for index: ${l.name}`);
    if (l.keySchema[0]!.AttributeName !== keySchema[0]!.AttributeName) throw E.invalid(`Index KeySchema does not have the same leading hash key as table KeySchema for index: ${l.name}. index hash key: ${l.keySchema[0]!.AttributeName}, table hash key: ${keySchema[0]!.AttributeName}`);
  }
  const tags: Record<string, string> = {};
  for (const t of arr(b['Tags']) ?? []) {
    const o = obj(t) ?? {};
    if (typeof o['Key'] === 'string') tags[o['Key']] = typeof o['Value'] === 'string' ? o['Value'] : '';
  }
  const stream = parseStreamSpec(b['StreamSpecification']);
  const sse = parseSse(b['SSESpecification']);
  return {
    name, attrs, keySchema, key: keySpec(keySchema, attrs), billing, throughput, gsis, lsis, tags,
    deletionProtection: b['DeletionProtectionEnabled'] === true, tableClass: typeof b['TableClass'] === 'string' ? b['TableClass'] : 'STANDARD',
    ...(stream?.enabled ? { stream } : {}), ...(sse ? { sse } : {}),
  };
}
