// The edge validator: checks a JSON request body against the operation's input shape in the AWS model (generated
// into ./shapes) before any handler runs, and answers as the protocol does. It knows no service's logic.
//
// Order, as AWS's frameworks work: the body must parse as a JSON object (null is read as no input) nested at most
// MAX_DEPTH deep; every member the model knows must have its JSON type (else the protocol's deserialisation error);
// then the constraints: required members, lengths, ranges, patterns, enums, all reported in one
// "N validation errors detected: …" message. Members the model does not know are left alone (AWS ignores them);
// members that are null are removed (AWS reads them as absent), so handlers see only values of the model's types.
import { AwsError } from '../lib/errors.js';
import type { MemberRef, ServiceShapes, Shape } from './shapes/types.js';

/** How a service wants its operations checked (declared with its routes). */
export interface ValidationPolicy {
  /** The code of constraint violations: ValidationException (default); CloudWatch Logs: InvalidParameterException. */
  code?: string;
  /** Check required members (default true); SQS answers its own MissingParameter. */
  required?: boolean;
  /** Check lengths, ranges, patterns and enums (default true). */
  constraints?: boolean;
}

export type WireProtocol = 'json' | 'rest';

/** Jackson's default (StreamReadConstraints.getMaxNestingDepth()); AWS refuses deeper documents. */
export const MAX_DEPTH = 1000;

const INT32 = 2 ** 31;
const lowerFirst = (s: string): string => (s ? s[0]!.toLowerCase() + s.slice(1) : s);
const regexCache = new Map<string, RegExp>();

function regex(s: Shape): RegExp {
  const key = `${s.pf ?? 'u'}/${s.pt}`;
  let re = regexCache.get(key);
  if (!re) regexCache.set(key, (re = new RegExp(`^(?:${s.pt})$`, s.pf ?? 'u')));
  return re;
}

/** Every constraint of a string shape in the order AWS lists them inside "Member must satisfy constraint: [...]". */
function memberConstraints(s: Shape): string[] {
  const out: string[] = [];
  if (s.max !== undefined) out.push(`Member must have length less than or equal to ${s.max}`);
  if (s.min !== undefined) out.push(`Member must have length greater than or equal to ${s.min}`);
  if (s.pt !== undefined) out.push(`Member must satisfy regular expression pattern: ${s.pt}`);
  // Enum members are also declared non-null (seen in AWS's answers for Lambda's architectures lists).
  if (s.e) out.push(`Member must satisfy enum value set: [${s.e.join(', ')}]`, 'Member must not be null');
  return out;
}

/** A value as AWS's messages show it (Java's toString: lists `[a, b]`, maps `{k=v}`). */
export function shown(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return 'null';
  if (depth > 3) return '…';
  if (Array.isArray(v)) return `[${v.map((x) => shown(x, depth + 1)).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${shown(x, depth + 1)}`).join(', ')}}`;
  return String(v);
}

const tokenOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
};

/** The deserialisation error of the protocol for a value of the wrong JSON type. */
function typeError(protocol: WireProtocol, expected: Shape['t'], v: unknown, path: string): AwsError {
  const tok = tokenOf(v);
  if (protocol === 'json') {
    // Coral's JSON deserialiser.
    const msg =
      tok === 'object' ? 'Start of structure or map found where not expected.'
      : tok === 'array' ? 'Start of list found where not expected'
      : expected === 'structure' || expected === 'map' ? 'Unexpected field type'
      : expected === 'list' ? 'Unexpected list element termination'
      : `${tok === 'string' ? 'STRING_VALUE' : tok === 'number' ? 'NUMBER_VALUE' : v ? 'TRUE_VALUE' : 'FALSE_VALUE'} can not be converted to ${javaType(expected)}`;
    return new AwsError('SerializationException', msg);
  }
  // Lambda (Jackson).
  const from =
    tok === 'object' ? 'Object value (token `JsonToken.START_OBJECT`)'
    : tok === 'array' ? 'Array value (token `JsonToken.START_ARRAY`)'
    : tok === 'string' ? `String "${String(v).slice(0, 100)}"`
    : tok === 'number' ? `Number value (${String(v)})`
    : `Boolean value (token \`JsonToken.VALUE_${v ? 'TRUE' : 'FALSE'}\`)`;
  return new AwsError(
    'InvalidRequestContentException',
    `Could not parse request body into json: Could not parse payload into json: Cannot deserialize value of type \`${javaType(expected)}\` from ${from} at '${path}'`,
  );
}

function javaType(t: Shape['t']): string {
  switch (t) {
    case 'string': return 'java.lang.String';
    case 'integer': return 'java.lang.Integer';
    case 'long': return 'java.lang.Long';
    case 'float': return 'java.lang.Float';
    case 'double': return 'java.lang.Double';
    case 'boolean': return 'java.lang.Boolean';
    case 'blob': return 'java.nio.ByteBuffer';
    case 'timestamp': return 'java.util.Date';
    case 'list': return 'java.util.List';
    case 'map': return 'java.util.Map';
    default: return 'java.lang.Object';
  }
}

/** Depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function depthOf(v: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

class Walk {
  readonly errors: string[] = [];
  /** Whether null members were removed (the body is then re-serialised). */
  changed = false;
  constructor(
    private readonly model: ServiceShapes,
    private readonly protocol: WireProtocol,
    private readonly policy: Required<Pick<ValidationPolicy, 'required' | 'constraints'>>,
  ) {}

  private fail(path: string, v: unknown, constraint: string, sensitive = false): void {
    // A sensitive value (execution input, secrets) is not echoed back.
    const val = sensitive ? '' : v === null || v === undefined ? 'null ' : `'${shown(v)}' `;
    this.errors.push(`Value ${val}at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  private length(path: string, v: unknown, n: number, s: Shape): void {
    if (s.min !== undefined && n < s.min) this.fail(path, v, `Member must have length greater than or equal to ${s.min}`, s.x === 1);
    if (s.max !== undefined && n > s.max) this.fail(path, v, `Member must have length less than or equal to ${s.max}`, s.x === 1);
  }

  /** Checks `v` against shape `name`; returns the value with null members removed (the same object if none). */
  value(name: string, v: unknown, path: string, depth: number): unknown {
    const s = this.model.shapes[name];
    if (!s || depth > MAX_DEPTH) return v;
    const c = this.policy.constraints;
    switch (s.t) {
      case 'structure':
      case 'union': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(this.protocol, s.t, v, path);
        return this.structure(s, v as Record<string, unknown>, path, depth);
      }
      case 'list': {
        if (!Array.isArray(v)) throw typeError(this.protocol, 'list', v, path);
        if (c) this.length(path, v, v.length, s);
        const member = this.model.shapes[s.m as string];
        if (c && member && member.t === 'string' && v.every((x) => typeof x === 'string') && v.some((x) => !this.scalarOk(member, x as string))) {
          // Coral reports a list of scalars whose member breaks a constraint once, at the list, naming every
          // constraint of the member: "Member must satisfy constraint: [...]".
          this.fail(path, v, `Member must satisfy constraint: [${memberConstraints(member).join(', ')}]`, member.x === 1);
          return v;
        }
        v.forEach((x, i) => {
          const p = `${path}.${i + 1}.member`;
          if (x === null) this.fail(p, x, 'Member must not be null');
          else v[i] = this.value(s.m as string, x, p, depth + 1);
        });
        return v;
      }
      case 'map': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(this.protocol, 'map', v, path);
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        if (c) this.length(path, v, keys.length, s);
        if (c && this.mapOfScalars(s, o, path)) return v;
        for (const k of keys) {
          this.value(s.k!, k, path, depth + 1);
          if (o[k] === null) this.fail(`${path}.${k}`, null, 'Member must not be null');
          else o[k] = this.value(s.v!, o[k], `${path}.${k}`, depth + 1);
        }
        return v;
      }
      case 'string': {
        if (typeof v !== 'string') throw typeError(this.protocol, 'string', v, path);
        if (!c) return v;
        if (s.e && !s.e.includes(v)) this.fail(path, v, `Member must satisfy enum value set: [${s.e.join(', ')}]`, s.x === 1);
        if (s.pt !== undefined && !regex(s).test(v)) this.fail(path, v, `Member must satisfy regular expression pattern: ${s.pt}`, s.x === 1);
        // U+0000 is no character of any name, ARN or token, and neither store can hold it in text.
        else if (v.includes('\u0000')) this.fail(path, v.replace(/\u0000/g, '\\u0000'), 'Member must not contain the null character (U+0000)', s.x === 1);
        this.length(path, v, v.length, s);
        return v;
      }
      case 'integer':
      case 'long': {
        const ok = typeof v === 'number' && Number.isInteger(v) && (s.t === 'long' ? Number.isSafeInteger(v) : v >= -INT32 && v < INT32);
        if (!ok) throw typeError(this.protocol, s.t, v, path);
        if (c) this.range(path, v as number, s);
        return v;
      }
      case 'float':
      case 'double': {
        if (typeof v !== 'number') throw typeError(this.protocol, s.t, v, path);
        if (c) this.range(path, v, s);
        return v;
      }
      case 'boolean':
        if (typeof v !== 'boolean') throw typeError(this.protocol, 'boolean', v, path);
        return v;
      case 'blob':
        if (typeof v !== 'string') throw typeError(this.protocol, 'blob', v, path);
        return v;
      case 'timestamp':
        if (typeof v !== 'number' && typeof v !== 'string') throw typeError(this.protocol, 'timestamp', v, path);
        return v;
      default:
        return v;
    }
  }

  /**
   * Coral reports a map of scalars once, at the map, shown as Java prints it: "Map keys must satisfy constraint: [...]"
   * and "Map value must satisfy constraint: [...]". Returns whether it did (the members are then not checked one by one).
   */
  private mapOfScalars(s: Shape, o: Record<string, unknown>, path: string): boolean {
    const ks = this.model.shapes[s.k!];
    const vs = this.model.shapes[s.v!];
    const numeric = vs && (vs.t === 'double' || vs.t === 'float' || vs.t === 'integer' || vs.t === 'long');
    if (!ks || ks.t !== 'string' || !vs || !(numeric || vs.t === 'string')) return false;
    const entries = Object.entries(o);
    if (!entries.every(([, x]) => typeof x === (numeric ? 'number' : 'string'))) return false;
    const real = vs.t === 'double' || vs.t === 'float';
    const num = (n: number): string => (real && Number.isInteger(n) ? n.toFixed(1) : String(n));
    const keysBad = entries.some(([k]) => !this.scalarOk(ks, k));
    const valuesBad = entries.some(([, x]) =>
      numeric ? (vs.min !== undefined && (x as number) < vs.min) || (vs.max !== undefined && (x as number) > vs.max) : !this.scalarOk(vs, x as string),
    );
    if (!keysBad && !valuesBad) return false;
    const shownMap = `{${entries.map(([k, x]) => `${k}=${numeric ? num(x as number) : String(x)}`).join(', ')}}`;
    if (keysBad) this.fail(path, shownMap, `Map keys must satisfy constraint: [${memberConstraints(ks).join(', ')}]`);
    if (valuesBad) {
      const rules = numeric
        ? [
            ...(vs.max !== undefined ? [`Member must have value less than or equal to ${num(vs.max)}`] : []),
            ...(vs.min !== undefined ? [`Member must have value greater than or equal to ${num(vs.min)}`] : []),
            'Member must not be null',
          ]
        : memberConstraints(vs);
      this.fail(path, shownMap, `Map value must satisfy constraint: [${rules.join(', ')}]`);
    }
    return true;
  }

  private scalarOk(s: Shape, v: string): boolean {
    return (!s.e || s.e.includes(v)) && (s.pt === undefined || regex(s).test(v)) && (s.min === undefined || v.length >= s.min) && (s.max === undefined || v.length <= s.max);
  }

  private range(path: string, n: number, s: Shape): void {
    if (s.min !== undefined && n < s.min) this.fail(path, n, `Member must have value greater than or equal to ${s.min}`);
    if (s.max !== undefined && n > s.max) this.fail(path, n, `Member must have value less than or equal to ${s.max}`);
  }

  structure(s: Shape, o: Record<string, unknown>, path: string, depth: number, bodyOnly = false): Record<string, unknown> {
    const members = (s.m ?? {}) as Record<string, MemberRef>;
    const required = new Set(s.r ?? []);
    for (const [name, ref] of Object.entries(members)) {
      if (bodyOnly && ref.l) continue;
      const wire = bodyOnly ? (ref.n ?? name) : name;
      const p = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
      if (!Object.prototype.hasOwnProperty.call(o, wire)) {
        if (required.has(name) && this.policy.required) this.fail(p, null, 'Member must not be null');
        continue;
      }
      const v = o[wire];
      if (v === null) {
        delete o[wire];
        this.changed = true;
        if (required.has(name) && this.policy.required) this.fail(p, null, 'Member must not be null');
        continue;
      }
      o[wire] = this.value(ref.s, v, p, depth + 1);
    }
    return o;
  }
}

/**
 * Checks a request body for `op` of `model`; returns the body to hand the handler (re-serialised only when null
 * members were dropped), or undefined when the model has no JSON body for the operation. Throws the AWS error.
 */
export function validateBody(model: ServiceShapes, op: string, body: Buffer, protocol: WireProtocol, policy: ValidationPolicy = {}): Buffer | undefined {
  const entry = model.ops[op];
  const input = entry?.i !== undefined ? model.shapes[entry.i] : undefined;
  if (!input || input.t !== 'structure') return undefined;
  // A payload member (Lambda Invoke) is the body itself: raw bytes, not JSON the model describes.
  if (input.p !== undefined) return undefined;
  const hasBodyMembers = Object.values((input.m ?? {}) as Record<string, MemberRef>).some((m) => !m.l);
  if (!hasBodyMembers && protocol === 'rest') return undefined;
  const parseError = (detail: string): AwsError =>
    protocol === 'json'
      ? new AwsError('SerializationException', detail)
      : new AwsError('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${detail}`);
  let v: unknown;
  if (body.length === 0) v = {};
  else {
    try {
      v = JSON.parse(body.toString('utf8'));
    } catch (e) {
      // Services keep their own wording for bodies that do not parse; the handler sees the same bytes.
      void e;
      return body;
    }
  }
  let changed = false;
  if (v === null) (v = {}), (changed = true);
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw protocol === 'json'
      ? new AwsError('SerializationException', Array.isArray(v) ? 'Start of list found where not expected' : 'Unexpected field type')
      : parseError(`Cannot deserialize value of type \`${op}Request\` from ${Array.isArray(v) ? 'Array value (token `JsonToken.START_ARRAY`)' : `${tokenOf(v)} value`}`);
  }
  const depth = depthOf(v, MAX_DEPTH);
  if (depth > MAX_DEPTH) {
    throw parseError(`Document nesting depth (${MAX_DEPTH + 1}) exceeds the maximum allowed (${MAX_DEPTH}, from \`StreamReadConstraints.getMaxNestingDepth()\`)`);
  }
  const walk = new Walk(model, protocol, { required: policy.required ?? true, constraints: policy.constraints ?? true });
  walk.structure(input, v as Record<string, unknown>, '', 0, protocol === 'rest');
  if (walk.errors.length) {
    const n = walk.errors.length;
    throw new AwsError(policy.code ?? 'ValidationException', `${n} validation error${n > 1 ? 's' : ''} detected: ${walk.errors.join('; ')}`);
  }
  return changed || walk.changed ? Buffer.from(JSON.stringify(v)) : body;
}
