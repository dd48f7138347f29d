// The GraphQLApi property schema and a validator that finds the first error where samtranslator's pydantic (v1) models do.
import { isObj, type Json, type JsonObject } from '../../types.js';

/**
 * A schema type. `any` is a pass-through property; `str` and `bool` coerce as pydantic v1 does (numbers to
 * strings, "yes"/"no"/0/1 to booleans); a model forbids unknown keys.
 */
export type SchemaType =
  | { k: 'any' }
  | { k: 'str' }
  | { k: 'bool' }
  | { k: 'literal'; values: string[] }
  | { k: 'dict'; of: SchemaType }
  | { k: 'list'; of: SchemaType }
  | { k: 'union'; of: SchemaType[] }
  | { k: 'model'; fields: Field[] };

interface Field {
  name: string;
  type: SchemaType;
  /** `X | None`: may be absent or null. */
  optional: boolean;
}

const ANY: SchemaType = { k: 'any' };
const STR: SchemaType = { k: 'str' };
const BOOL: SchemaType = { k: 'bool' };
const dict = (of: SchemaType): SchemaType => ({ k: 'dict', of });
const list = (of: SchemaType): SchemaType => ({ k: 'list', of });
const literal = (...values: string[]): SchemaType => ({ k: 'literal', values });
const union = (...of: SchemaType[]): SchemaType => ({ k: 'union', of });
/** Fields as `[name, type]` (required) or `[name, type, '?']` (optional), in the model's declaration order. */
const model = (...fs: [string, SchemaType, '?'?][]): SchemaType => ({ k: 'model', fields: fs.map(([name, type, o]) => ({ name, type, optional: o === '?' })) });
const opt = (...names: string[]): [string, SchemaType, '?'][] => names.map((n) => [n, ANY, '?']);

const LAMBDA_AUTHORIZER = model(['AuthorizerResultTtlInSeconds', ANY, '?'], ['AuthorizerUri', ANY], ['IdentityValidationExpression', ANY, '?']);
const OPENID = model(...opt('AuthTTL', 'ClientId', 'IatTTL', 'Issuer'));
const USER_POOL = model(...opt('AppIdClientRegex', 'AwsRegion', 'DefaultAction'), ['UserPoolId', ANY]);
const AUTH_TYPE = literal('AWS_IAM', 'API_KEY', 'AWS_LAMBDA', 'OPENID_CONNECT', 'AMAZON_COGNITO_USER_POOLS');
const AUTHORIZER_FIELDS: [string, SchemaType, '?'?][] = [['Type', AUTH_TYPE], ['LambdaAuthorizer', LAMBDA_AUTHORIZER, '?'], ['OpenIDConnect', OPENID, '?'], ['UserPool', USER_POOL, '?']];
const AUTHORIZER = model(...AUTHORIZER_FIELDS);
const AUTH = model(...AUTHORIZER_FIELDS, ['Additional', list(AUTHORIZER), '?']);
const DELTA_SYNC = model(['BaseTableTTL', ANY], ['DeltaSyncTableName', ANY], ['DeltaSyncTableTTL', ANY]);
const DYNAMODB = model(
  ['TableName', ANY], ['ServiceRoleArn', ANY, '?'], ['TableArn', ANY, '?'], ['Permissions', list(literal('Read', 'Write')), '?'],
  ['Name', ANY, '?'], ['Description', ANY, '?'], ['Region', ANY, '?'], ['DeltaSync', DELTA_SYNC, '?'], ['UseCallerCredentials', ANY, '?'], ['Versioned', ANY, '?'],
);
const LAMBDA = model(['FunctionArn', ANY], ...opt('ServiceRoleArn', 'Name', 'Description'));
const RUNTIME = model(['Name', ANY], ['Version', ANY]);
const SYNC = model(['ConflictDetection', ANY], ['ConflictHandler', ANY, '?'], ['LambdaConflictHandlerConfig', model(['LambdaConflictHandlerArn', ANY]), '?']);
const FUNCTION = model(
  ['DataSource', union(dict(ANY), STR), '?'], ['Runtime', RUNTIME, '?'], ...opt('InlineCode', 'CodeUri', 'Description', 'MaxBatchSize'),
  ['Name', STR, '?'], ['Id', ANY, '?'], ['Sync', SYNC, '?'],
);
const RESOLVER = model(
  ['FieldName', STR, '?'], ['Caching', model(['Ttl', ANY], ['CachingKeys', list(ANY), '?']), '?'], ...opt('InlineCode', 'CodeUri', 'MaxBatchSize'),
  ['Pipeline', list(STR), '?'], ['Runtime', RUNTIME, '?'], ['Sync', SYNC, '?'],
);

/** aws_serverless_graphqlapi.Properties. */
export const PROPERTIES = model(
  ['Auth', AUTH], ['Tags', dict(ANY), '?'], ['Name', ANY, '?'], ['XrayEnabled', BOOL, '?'], ...opt('SchemaInline', 'SchemaUri'),
  ['Logging', union(model(...opt('CloudWatchLogsRoleArn', 'ExcludeVerboseContent', 'FieldLogLevel')), BOOL), '?'],
  ['DataSources', model(['DynamoDb', dict(DYNAMODB), '?'], ['Lambda', dict(LAMBDA), '?']), '?'],
  ['Functions', dict(FUNCTION), '?'], ['Resolvers', dict(dict(RESOLVER)), '?'], ['ApiKeys', dict(model(...opt('ApiKeyId', 'Description', 'ExpiresOn'))), '?'],
  ['DomainName', model(['CertificateArn', ANY], ['DomainName', ANY], ['Description', ANY, '?']), '?'],
  ['Cache', model(['ApiCachingBehavior', ANY], ['Ttl', ANY], ['Type', ANY], ['AtRestEncryptionEnabled', ANY, '?'], ['TransitEncryptionEnabled', ANY, '?']), '?'],
  ...opt('Visibility', 'OwnerContact', 'IntrospectionConfig', 'QueryDepthLimit', 'ResolverCountLimit'),
);

export type Loc = (string | number)[];
type Result = { ok: true; value: Json } | { ok: false; loc: Loc };

/**
 * pydantic v1's dict coercion, `dict(v)`: a map as is, or a list of pairs (two-character strings, two-item lists,
 * two-key maps), so `[]` and `""` pass as `{}`. Undefined when Python's dict() would raise.
 */
export function pyDict(v: Json): JsonObject | undefined {
  if (isObj(v)) return v;
  // A string iterates over its characters, none of which is a pair: only the empty string passes.
  if (v === '') return {};
  if (!Array.isArray(v)) return undefined;
  const out: JsonObject = {};
  for (const item of v) {
    let pair: [Json, Json] | undefined;
    if (typeof item === 'string' && [...item].length === 2) pair = [[...item][0]!, [...item][1]!];
    else if (Array.isArray(item) && item.length === 2) pair = [item[0]!, item[1]!];
    else if (isObj(item) && Object.keys(item).length === 2) pair = Object.keys(item) as [string, string];
    // The key must be hashable: no list or map.
    if (!pair || Array.isArray(pair[0]) || isObj(pair[0])) return undefined;
    out[typeof pair[0] === 'string' ? pair[0] : JSON.stringify(pair[0])] = pair[1];
  }
  return out;
}

const TRUE_WORDS = ['1', 'on', 't', 'true', 'y', 'yes'];
const FALSE_WORDS = ['0', 'off', 'f', 'false', 'n', 'no'];

/** Python's str() of a number, as pydantic's str coercion writes it. */
function pyNumber(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Number.isInteger(v) && !Object.is(v, -0)) return String(v);
  const s = String(v);
  return s.includes('.') || s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : `${s}.0`;
}

/**
 * Validates and coerces `v`; the first error in pydantic's order (fields in declaration order, nested depth-first,
 * then unknown keys; a union reports its first member's error). Models come back with absent and null fields dropped.
 */
export function validate(t: SchemaType, v: Json, loc: Loc = []): Result {
  switch (t.k) {
    case 'any':
      return { ok: true, value: v };
    case 'str':
      if (typeof v === 'string') return { ok: true, value: v };
      if (typeof v === 'number' || typeof v === 'boolean') return { ok: true, value: pyNumber(v) };
      return { ok: false, loc };
    case 'bool':
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (v === 0 || v === 1) return { ok: true, value: v === 1 };
      if (typeof v === 'string') {
        const w = v.toLowerCase();
        if (TRUE_WORDS.includes(w)) return { ok: true, value: true };
        if (FALSE_WORDS.includes(w)) return { ok: true, value: false };
      }
      return { ok: false, loc };
    case 'literal':
      return typeof v === 'string' && t.values.includes(v) ? { ok: true, value: v } : { ok: false, loc };
    case 'list': {
      if (!Array.isArray(v)) return { ok: false, loc };
      const out: Json[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = field(t.of, v[i]!, [...loc, i], false);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case 'dict': {
      const d = pyDict(v);
      if (!d) return { ok: false, loc };
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(d)) {
        // dict[str, Any] (Tags, an intrinsic DataSource) takes nulls; dicts of models do not.
        const r = field(t.of, x, [...loc, k], t.of.k === 'any');
        if (!r.ok) return r;
        out[k] = r.value;
      }
      return { ok: true, value: out };
    }
    case 'union': {
      let first: Result | undefined;
      for (const m of t.of) {
        const r = validate(m, v, loc);
        if (r.ok) return r;
        first ??= r;
      }
      return first!;
    }
    case 'model': {
      const d = pyDict(v);
      if (!d) return { ok: false, loc };
      v = d;
      const out: JsonObject = {};
      for (const f of t.fields) {
        const x = v[f.name];
        if (x === undefined) {
          if (!f.optional) return { ok: false, loc: [...loc, f.name] };
          continue;
        }
        const r = field(f.type, x, [...loc, f.name], f.optional);
        if (!r.ok) return r;
        if (r.value !== null) out[f.name] = r.value;
      }
      const known = new Set(t.fields.map((f) => f.name));
      for (const k of Object.keys(v)) if (!known.has(k)) return { ok: false, loc: [...loc, k] };
      return { ok: true, value: out };
    }
  }
}

/** A value in a field: null passes only where the field is optional (`X | None`) or plain Any. */
function field(t: SchemaType, v: Json, loc: Loc, nullable: boolean): Result {
  if (v === null) return nullable ? { ok: true, value: null } : { ok: false, loc };
  return validate(t, v, loc);
}
