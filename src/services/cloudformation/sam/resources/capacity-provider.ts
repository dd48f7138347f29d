// AWS::Serverless::CapacityProvider → AWS::Lambda::CapacityProvider and, unless OperatorRole is given, its operator role.
import { managedArn, type TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { assumeRolePolicy } from '../iam.js';
import type { ResourceTranslator } from '../registry.js';
import type { SamResource } from '../resource.js';
import { cfn, getAtt, isObj, tagList, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { oneOf, validateProps, type Spec } from '../validate.js';
import { pyDict } from './graphql/model.js';
import { samTagList } from './graphql/api.js';

/** samtranslator's property_types (Property: no intrinsics), checked before the schema model. */
const SPEC: Spec = {
  CapacityProviderName: { check: oneOf('string', 'map'), intrinsics: false }, VpcConfig: { check: 'map', required: true, intrinsics: false },
  OperatorRole: { check: oneOf('string', 'map'), intrinsics: false }, Tags: { check: 'map', intrinsics: false },
  PropagateTags: { check: 'bool', intrinsics: false }, InstanceRequirements: { check: 'map', intrinsics: false },
  ScalingConfig: { check: 'map', intrinsics: false }, KmsKeyArn: { check: oneOf('string', 'map'), intrinsics: false },
};

// ---- The schema model, validated as pydantic v1 does with every error collected (collect_all_errors). ----

type T = 'any' | 'dictAny' | 'bool' | 'int' | 'float' | 'str' | { list: T } | { union: T[] } | { model: [string, T, boolean][] };
interface PyError {
  loc: (string | number)[];
  type: string;
  msg: string;
}

/** SamIntrinsicable[X]: an intrinsic (any map) or X. */
const intrinsicable = (t: T): T => ({ union: ['dictAny', t] });
const strList = intrinsicable({ list: intrinsicable('str') });
const PROPERTIES: T = {
  model: [
    ['CapacityProviderName', 'any', true],
    ['VpcConfig', { model: [['SecurityGroupIds', strList, true], ['SubnetIds', strList, false]] }, false],
    ['OperatorRole', 'any', true],
    ['Tags', 'dictAny', true],
    ['PropagateTags', 'bool', true],
    ['InstanceRequirements', { model: [['Architectures', strList, true], ['AllowedTypes', strList, true], ['ExcludedTypes', strList, true]] }, true],
    ['ScalingConfig', { model: [['MaxVCpuCount', intrinsicable('int'), true], ['AverageCPUUtilization', intrinsicable('float'), true]] }, true],
    ['KmsKeyArn', 'any', true],
  ],
};

const TYPE_ERRORS: Record<string, [string, string]> = {
  dictAny: ['type_error.dict', 'value is not a valid dict'],
  int: ['type_error.integer', 'value is not a valid integer'],
  float: ['type_error.float', 'value is not a valid float'],
  str: ['type_error.str', 'str type expected'],
  bool: ['type_error.bool', 'value could not be parsed to a boolean'],
  list: ['type_error.list', 'value is not a valid list'],
  model: ['type_error.dict', 'value is not a valid dict'],
};
const BOOL_WORDS: Record<string, boolean> = { '0': false, off: false, f: false, false: false, n: false, no: false, '1': true, on: true, t: true, true: true, y: true, yes: true };

/** Returns the coerced value, or undefined after recording errors. */
function check(t: T, v: Json, loc: (string | number)[], errs: PyError[]): Json | undefined {
  const fail = (kind: string): undefined => {
    const [type, msg] = TYPE_ERRORS[kind]!;
    errs.push({ loc, type, msg });
    return undefined;
  };
  if (t === 'any') return v;
  if (t === 'dictAny') return pyDict(v) ?? fail('dictAny');
  if (t === 'str') return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'True' : 'False') : fail('str');
  if (t === 'bool') {
    if (typeof v === 'boolean') return v;
    const w = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.toLowerCase() : undefined;
    return w !== undefined && w in BOOL_WORDS ? BOOL_WORDS[w]! : fail('bool');
  }
  if (t === 'int') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return parseInt(v, 10);
    return fail('int');
  }
  if (t === 'float') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return parseFloat(v);
    return fail('float');
  }
  if ('list' in t) {
    if (!Array.isArray(v)) return fail('list');
    const out: Json[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const r = x === null ? noneError([...loc, i], errs) : check(t.list, x, [...loc, i], errs);
      if (r === undefined) ok = false;
      else out.push(r);
    });
    return ok ? out : undefined;
  }
  if ('union' in t) {
    const mine: PyError[] = [];
    for (const m of t.union) {
      const r = check(m, v, loc, mine);
      if (r !== undefined) return r;
    }
    errs.push(...mine);
    return undefined;
  }
  const obj = pyDict(v);
  if (!obj) return fail('model');
  v = obj;
  const out: JsonObject = {};
  let ok = true;
  for (const [name, ft, optional] of t.model) {
    const x = v[name];
    if (x === undefined) {
      if (!optional) {
        errs.push({ loc: [...loc, name], type: 'value_error.missing', msg: 'field required' });
        ok = false;
      }
      continue;
    }
    const r = x === null ? (optional ? null : noneError([...loc, name], errs)) : check(ft, x, [...loc, name], errs);
    if (r === undefined) ok = false;
    else if (r !== null) out[name] = r;
  }
  const known = new Set(t.model.map((f) => f[0]));
  for (const k of Object.keys(v)) {
    if (!known.has(k)) {
      errs.push({ loc: [...loc, k], type: 'value_error.extra', msg: 'extra fields not permitted' });
      ok = false;
    }
  }
  return ok ? out : undefined;
}

function noneError(loc: (string | number)[], errs: PyError[]): undefined {
  errs.push({ loc, type: 'type_error.none.not_allowed', msg: 'none is not an allowed value' });
  return undefined;
}

const TYPE_WORDS: [string, string][] = [['not a valid dict', 'dictionary'], ['not a valid int', 'integer'], ['not a valid float', 'number'], ['not a valid list', 'list'], ['not a valid str', 'string']];

/** _format_all_errors: one sentence per path; a path that failed as several types says "value must be A or B". */
export function formatErrors(errs: PyError[]): string[] {
  const byPath = new Map<string, { types: string[]; first: PyError }>();
  for (const e of errs) {
    const path = e.loc.join('.');
    const entry = byPath.get(path) ?? { types: [], first: e };
    byPath.set(path, entry);
    const t = TYPE_WORDS.find(([pattern]) => e.msg.includes(pattern))?.[1];
    if (t && !entry.types.includes(t)) entry.types.push(t);
  }
  return [...byPath].map(([path, { types, first }]) => {
    if (types.length > 1) return `Property '${path}' value must be ${types.join(' or ')}.`;
    if (first.type === 'value_error.missing') return `Property '${path}' is required.`;
    if (first.msg.includes('extra fields not permitted')) return `Property '${path}' is an invalid property.`;
    return `Property '${path}' ${first.msg.toLowerCase()}.`;
  });
}

// ---- The translation. ----

const SAM_TAG = { 'lambda:createdBy': 'SAM' };

function instanceRequirements(ir: JsonObject): JsonObject {
  const out: JsonObject = {};
  if (ir['Architectures'] !== undefined) out['Architectures'] = ir['Architectures'];
  if (ir['AllowedTypes'] !== undefined) out['AllowedInstanceTypes'] = ir['AllowedTypes'];
  if (ir['ExcludedTypes'] !== undefined) out['ExcludedInstanceTypes'] = ir['ExcludedTypes'];
  return out;
}

function scalingConfig(sc: JsonObject): JsonObject {
  const out: JsonObject = {};
  if (sc['MaxVCpuCount'] !== undefined) out['MaxVCpuCount'] = sc['MaxVCpuCount'];
  if (sc['AverageCPUUtilization'] !== undefined) {
    out['ScalingMode'] = 'Manual';
    out['ScalingPolicies'] = [{ PredefinedMetricType: 'LambdaCapacityProviderAverageCPUUtilization', TargetValue: sc['AverageCPUUtilization'] }];
  } else out['ScalingMode'] = 'Auto';
  return out;
}

/** propagate_tags_combine: existing tags first, the owner's tags added or overriding by key. */
function combineTags(existing: Json | undefined, tags: JsonObject): JsonObject[] {
  const merged = new Map<string, Json>();
  for (const t of [...(Array.isArray(existing) ? existing : []), ...samTagList(tags)]) {
    if (isObj(t)) merged.set(String(t['Key']), t['Value'] ?? null);
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

export const capacityProviderTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::CapacityProvider',
  phase: 'other',
  translate(r: SamResource, ctx: TransformContext): Generated[] {
    validateProps(r.id, r.type, r.props, SPEC);
    const present: JsonObject = {};
    for (const [k, v] of Object.entries(r.props)) if (v !== null) present[k] = v;
    const errs: PyError[] = [];
    const m = check(PROPERTIES, present, [], errs) as JsonObject | undefined;
    if (!m) throw new InvalidResourceError(r.id, formatErrors(errs).join(' '));
    const ir = isObj(m['InstanceRequirements']) ? m['InstanceRequirements'] : undefined;
    if (ir && ir['AllowedTypes'] !== undefined && ir['ExcludedTypes'] !== undefined) {
      throw new InvalidResourceError(r.id, "Cannot specify 'InstanceRequirements.AllowedTypes' and 'InstanceRequirements.ExcludedTypes' together.");
    }

    const passthrough = r.passthrough();
    const out: Generated[] = [];
    let operatorRole = m['OperatorRole'];
    if (!truthy(operatorRole)) {
      const roleId = `${r.id}OperatorRole`;
      out.push({
        id: roleId,
        resource: cfn('AWS::IAM::Role', {
          AssumeRolePolicyDocument: assumeRolePolicy('lambda.amazonaws.com'),
          ManagedPolicyArns: [managedArn(ctx, 'AWSLambdaManagedEC2ResourceOperator')],
          Tags: tagList(SAM_TAG),
        }, passthrough),
      });
      operatorRole = getAtt(roleId, 'Arn');
    }
    const vpc = isObj(m['VpcConfig']) ? m['VpcConfig'] : {};
    const p: Record<string, Json | undefined> = {};
    if (truthy(m['CapacityProviderName'])) p['CapacityProviderName'] = m['CapacityProviderName'];
    if (truthy(vpc)) p['VpcConfig'] = { SubnetIds: vpc['SubnetIds'] ?? null, ...(vpc['SecurityGroupIds'] !== undefined ? { SecurityGroupIds: vpc['SecurityGroupIds'] } : {}) };
    if (truthy(operatorRole)) p['PermissionsConfig'] = { CapacityProviderOperatorRoleArn: operatorRole! };
    const userTags = isObj(m['Tags']) ? m['Tags'] : {};
    p['Tags'] = samTagList({ ...userTags, ...SAM_TAG });
    if (ir && truthy(ir)) p['InstanceRequirements'] = instanceRequirements(ir);
    if (isObj(m['ScalingConfig']) && truthy(m['ScalingConfig'])) p['CapacityProviderScalingConfig'] = scalingConfig(m['ScalingConfig']);
    if (truthy(m['KmsKeyArn'])) p['KmsKeyArn'] = m['KmsKeyArn'];
    out.push({ id: r.id, resource: cfn('AWS::Lambda::CapacityProvider', p, { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs }) });

    if (truthy(m['PropagateTags']) && truthy(userTags)) {
      for (const g of out) g.resource.Properties!['Tags'] = combineTags(g.resource.Properties!['Tags'], userTags);
    }
    return out;
  },
};
