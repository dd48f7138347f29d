// Runs samtranslator's golden corpus (input/*.yaml → output/*.json) through our transform and tallies per area.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRegistry, InvalidDocumentError, InvalidResourceError, readTemplate, sortedDocumentMessage, transformSam, type Json, type JsonObject, type Registry, type TransformOptions } from '../../src/services/cloudformation/index.js';
import { SHARED } from '../helpers/server.js';

export const CORPUS = join(SHARED, 'corpus', 'sam-translator');
const REGION = 'ap-southeast-1';

/** The managed policy map the reference harness mocks (tests/translator/test_translator.py). */
export const MOCK_POLICIES: Record<string, string> = {
  AWSLambdaBasicExecutionRole: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  AmazonDynamoDBFullAccess: 'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess',
  AmazonDynamoDBReadOnlyAccess: 'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess',
  AWSLambdaRole: 'arn:aws:iam::aws:policy/service-role/AWSLambdaRole',
  AWSXrayWriteOnlyAccess: 'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
};

/** The Serverless Application Repository as the reference harness mocks it (mock_sar_service_call). */
export function mockSar(appId: string, _semver: string, logicalId: string): string | undefined {
  if (['no-access', 'non-existent', 'invalid-semver'].includes(appId)) throw new InvalidResourceError(logicalId, `Cannot access application: ${appId}.`);
  // The harness's repository never finishes preparing this one.
  if (appId === 'preparing-never-ready') return undefined;
  return 'https://awsserverlessrepo-changesets-xxx.s3.amazonaws.com/signed-url';
}
let harnessRegistry: Registry | undefined;
/** The default registry, with the mocked SAR lookup in place of the network. */
export const conformanceRegistry = (): Registry => (harnessRegistry ??= buildRegistry({ resolveApplication: mockSar }));

/**
 * Options the reference harness gives particular cases: translate_convert_metadata.json is the expected output of
 * test_validate_translated_metadata, which translates with passthrough_metadata=True.
 */
const CASE_OPTIONS: Record<string, Partial<TransformOptions>> = { translate_convert_metadata: { passthroughMetadata: true } };

export type Outcome = 'pass' | 'fail' | 'excluded';
export interface CaseResult {
  name: string;
  area: string;
  invalid: boolean;
  outcome: Outcome;
  /** For invalid inputs: rejected with exactly the reference's message. */
  exactMessage?: boolean;
  /** For invalid inputs: the transform refused the template (counted for excluded inputs too). */
  rejected?: boolean;
  reason?: string;
}

/** Feature area from the file name, as the table groups them. */
export function areaOf(name: string): string {
  const n = name.replace(/^error_/, '');
  const rules: [RegExp, string][] = [
    [/policy_template/, 'policy templates'],
    [/^state_?machine/, 'state_machine'],
    [/^(http_?api|implicit_http_api|explicit_http_api)/, 'http_api'],
    [/^websocket/, 'websocket'],
    [/^graphql/, 'graphqlapi'],
    [/^(api|implicit_api|explicit_api|swagger|openapi)/, 'api'],
    [/connector/, 'connector'],
    [/^function|^basic_function|^lambda/, 'function'],
    [/^layer|_layer/, 'layer'],
    [/^globals/, 'globals'],
    [/^simple_?table/, 'simple_table'],
    [/^capacity_provider/, 'capacity_provider'],
    [/^application|_application/, 'application'],
    [/^(s3|sns|sqs|kinesis|streams|dynamodb|cloudwatch|eventbridge|schedule|iot|alexa|cognito|msk|mq|self_managed|documentdb)/, 'event sources'],
  ];
  for (const [re, a] of rules) if (re.test(n)) return a;
  return 'other';
}

/** Types and events the registry cannot translate yet: such inputs are out of scope, with that reason. */
export function missingSupport(t: Json, reg: Registry): string | undefined {
  const res = t && typeof t === 'object' && !Array.isArray(t) ? (t as JsonObject)['Resources'] : undefined;
  if (!res || typeof res !== 'object' || Array.isArray(res)) return undefined;
  for (const r of Object.values(res as JsonObject)) {
    if (!r || typeof r !== 'object' || Array.isArray(r)) continue;
    const type = (r as JsonObject)['Type'];
    if (typeof type === 'string' && type.startsWith('AWS::Serverless::') && !reg.resources.has(type)) return `${type} is not in the registry yet`;
    const props = (r as JsonObject)['Properties'];
    const events = props && typeof props === 'object' && !Array.isArray(props) ? (props as JsonObject)['Events'] : undefined;
    if (!events || typeof events !== 'object' || Array.isArray(events)) continue;
    const table = type === 'AWS::Serverless::StateMachine' ? reg.stateMachineEvents : reg.functionEvents;
    for (const e of Object.values(events as JsonObject)) {
      const et = e && typeof e === 'object' && !Array.isArray(e) ? (e as JsonObject)['Type'] : undefined;
      if ((et === 'Api' || et === 'HttpApi') && !table.has(et)) return `${et} events are not in the registry yet`;
    }
  }
  return undefined;
}

/** Canonical JSON with sorted keys, used both to order list items and to compare. */
const canon = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
};

/** deep_sort_lists of the reference harness (lists are unordered, except Layers, whose order matters). */
export function deepSort(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => deepSort(x));
    return key === 'Layers' ? items : items.map((x) => [canon(x), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = deepSort(x, k);
    return o;
  }
  return v;
}

const pyJsonDumps = (v: unknown): string => canon(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The harness's _update_logical_id_hash: API Gateway deployment ids re-hashed from the body, on both sides. */
export function normaliseDeployments(t: JsonObject): void {
  const res = (t['Resources'] ?? {}) as Record<string, JsonObject>;
  const hashes = new Map<string, string>();
  for (const [id, r] of Object.entries(res)) {
    if (r['Type'] !== 'AWS::ApiGateway::RestApi') continue;
    const p = (r['Properties'] ?? {}) as JsonObject;
    const body = 'Body' in p ? p['Body'] : 'BodyS3Location' in p ? p['BodyS3Location'] : undefined;
    // Lists are compared sorted, so the re-hash must not depend on their order either.
    if (body !== undefined) hashes.set(id, createHash('sha1').update(pyJsonDumps(deepSort(body)), 'utf8').digest('hex'));
  }
  const renamed = new Map<string, string>();
  for (const [id, r] of Object.entries(res)) {
    if (r['Type'] !== 'AWS::ApiGateway::Deployment') continue;
    const p = (r['Properties'] ?? {}) as JsonObject;
    const rest = (p['RestApiId'] as JsonObject | undefined)?.['Ref'];
    const h = typeof rest === 'string' ? hashes.get(rest) : undefined;
    if (!h) continue;
    const d = p['Description'];
    if (typeof d === 'string') p['Description'] = d.slice(0, d.length - h.length) + h;
    renamed.set(id, id.slice(0, -10) + h.slice(0, 10));
  }
  for (const r of Object.values(res)) {
    if (r['Type'] !== 'AWS::ApiGateway::Stage') continue;
    const p = (r['Properties'] ?? {}) as JsonObject;
    const dep = p['DeploymentId'] as JsonObject | undefined;
    const to = dep && typeof dep['Ref'] === 'string' ? renamed.get(dep['Ref']) : undefined;
    if (dep && to) dep['Ref'] = to;
  }
  for (const [from, to] of renamed) {
    res[to] = res[from]!;
    delete res[from];
  }
  const outputs = (t['Outputs'] ?? {}) as Record<string, JsonObject>;
  for (const o of Object.values(outputs)) {
    const v = o['Value'] as JsonObject | undefined;
    if (v && typeof v['Ref'] === 'string' && renamed.has(v['Ref'])) v['Ref'] = renamed.get(v['Ref'])!;
  }
}

/** First differing path between two JSON values (for the failure report). */
export function firstDiff(a: unknown, b: unknown, path = ''): string | undefined {
  if (canon(a) === canon(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  const show = (x: unknown): string => (x === undefined ? 'absent' : JSON.stringify(x).slice(0, 160));
  return `${path || '/'}: got ${show(a)}, expected ${show(b)}`;
}

export function runCase(name: string, reg: Registry = conformanceRegistry()): CaseResult {
  const invalid = name.startsWith('error_');
  const area = areaOf(name);
  const input = readFileSync(join(CORPUS, 'input', `${name}.yaml`), 'utf8');
  const expected = JSON.parse(readFileSync(join(CORPUS, 'output', `${name}.json`), 'utf8')) as JsonObject;
  let template: Json;
  let integralFloats: ReadonlySet<string> | undefined;
  try {
    ({ template, integralFloats } = readTemplate(input, `${name}.yaml`));
  } catch (e) {
    return { name, area, invalid, outcome: invalid ? 'pass' : 'fail', exactMessage: false, rejected: invalid, reason: `parse: ${(e as Error).message}` };
  }
  const missing = missingSupport(template, reg);
  if (missing && !invalid) return { name, area, invalid, outcome: 'excluded', reason: missing };
  if (missing) {
    // Out of scope for the message comparison, but an invalid template must still be refused.
    try {
      transformSam(template, { region: REGION, managedPolicyMap: MOCK_POLICIES, integralFloats }, reg);
      return { name, area, invalid, outcome: 'excluded', rejected: false, reason: `${missing}; accepted` };
    } catch {
      return { name, area, invalid, outcome: 'excluded', rejected: true, reason: missing };
    }
  }
  let out: JsonObject;
  try {
    out = transformSam(template, { region: REGION, managedPolicyMap: MOCK_POLICIES, integralFloats, ...(CASE_OPTIONS[name] ?? {}) }, reg);
  } catch (e) {
    const isDoc = e instanceof InvalidDocumentError;
    // The reference harness joins the causes sorted by logical id / event id / message (get_exception_error_message).
    const msg = isDoc ? sortedDocumentMessage(e) : e instanceof Error ? e.message : String(e);
    if (invalid) {
      const exact = msg === expected['errorMessage'];
      return { name, area, invalid, outcome: isDoc ? 'pass' : 'fail', exactMessage: exact, rejected: true, reason: exact ? undefined : `message: ${msg.slice(0, 2000)} | expected: ${String(expected["errorMessage"]).slice(0, 2000)}` };
    }
    return { name, area, invalid, outcome: 'fail', reason: `${isDoc ? '' : 'runner error: '}${isDoc ? msg : ((e as Error).stack ?? msg)}`.slice(0, 600) };
  }
  if (invalid) return { name, area, invalid, outcome: 'fail', exactMessage: false, rejected: false, reason: 'accepted an invalid template' };
  normaliseDeployments(out);
  normaliseDeployments(expected);
  const a = deepSort(out);
  const b = deepSort(expected);
  const diff = firstDiff(a, b);
  return diff ? { name, area, invalid, outcome: 'fail', reason: diff } : { name, area, invalid, outcome: 'pass' };
}

export function caseNames(): string[] {
  if (!existsSync(join(CORPUS, 'input'))) return [];
  return readdirSync(join(CORPUS, 'input'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .filter((n) => existsSync(join(CORPUS, 'output', `${n}.json`)))
    .sort();
}

export interface Summary {
  table: string;
  validPassed: number;
  validTotal: number;
  invalidRejected: number;
  invalidExact: number;
  invalidTotal: number;
}

export function summarise(rs: CaseResult[]): Summary {
  const areas = [...new Set(rs.map((r) => r.area))].sort();
  const pad = (s: string | number, n: number): string => String(s).padEnd(n);
  const lines = [
    `${pad('area', 18)}| valid: ${pad('pass', 5)}${pad('fail', 5)}${pad('excl', 5)}| invalid: ${pad('rejected', 9)}${pad('exact msg', 10)}${pad('accepted', 9)}${pad('excl', 5)}`,
    `${pad('', 18)}|  (excl = out of scope: uses a type/event not in the registry; excluded invalid inputs still count as rejected/accepted)`,
  ];
  const tot = { vp: 0, vf: 0, ve: 0, ir: 0, ix: 0, ia: 0, ie: 0 };
  for (const a of areas) {
    const v = rs.filter((r) => r.area === a && !r.invalid);
    const i = rs.filter((r) => r.area === a && r.invalid);
    const row = {
      vp: v.filter((r) => r.outcome === 'pass').length,
      vf: v.filter((r) => r.outcome === 'fail').length,
      ve: v.filter((r) => r.outcome === 'excluded').length,
      ir: i.filter((r) => r.rejected).length,
      ix: i.filter((r) => r.exactMessage).length,
      ia: i.filter((r) => !r.rejected).length,
      ie: i.filter((r) => r.outcome === 'excluded').length,
    };
    for (const k of Object.keys(tot) as (keyof typeof tot)[]) tot[k] += row[k];
    lines.push(`${pad(a, 18)}|        ${pad(row.vp, 5)}${pad(row.vf, 5)}${pad(row.ve, 5)}|          ${pad(row.ir, 9)}${pad(row.ix, 10)}${pad(row.ia, 9)}${pad(row.ie, 5)}`);
  }
  lines.push(`${pad('TOTAL', 18)}|        ${pad(tot.vp, 5)}${pad(tot.vf, 5)}${pad(tot.ve, 5)}|          ${pad(tot.ir, 9)}${pad(tot.ix, 10)}${pad(tot.ia, 9)}${pad(tot.ie, 5)}`);
  const validTotal = rs.filter((r) => !r.invalid).length;
  const invalidTotal = rs.filter((r) => r.invalid).length;
  lines.push(`valid inputs equal to the reference: ${tot.vp}/${validTotal} (${((100 * tot.vp) / Math.max(1, validTotal)).toFixed(1)}%); invalid rejected: ${tot.ir}/${invalidTotal}, with the reference's message: ${tot.ix}/${invalidTotal} (${((100 * tot.ix) / Math.max(1, invalidTotal)).toFixed(1)}%)`);
  return { table: lines.join('\n'), validPassed: tot.vp, validTotal, invalidRejected: tot.ir, invalidExact: tot.ix, invalidTotal };
}
