// SNS subscription filter policies (FilterPolicy with FilterPolicyScope MessageAttributes or MessageBody):
// validation with SNS's InvalidParameter texts and limits, and matching of a published message.
//
// SNS runs the same matching language as EventBridge (pattern-core.ts) in an older form: no wildcard, anything-but
// only with values or `prefix`, no equals-ignore-case inside prefix/suffix. What differs is what the policy is
// matched against: the JSON body (nested keys) or the message attributes seen as a flat JSON object — String as a
// string, Number as a number, String.Array as its JSON array (any element matches), Binary never present.
import { compileBranches, flatten, matchesFlat, type Branch } from './pattern-core.js';
import { JsonPatternError, parseJson } from './pattern-json.js';
import { ValueProblem } from './pattern-values.js';

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

export interface FilterMessage {
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>;
  body: string;
}

/** SNS's limits (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). */
export const FILTER_POLICY_LIMITS = { maxKeys: 5, maxCombinations: 150, maxBytes: 256 * 1024 } as const;

const REDACTED = 'REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)';

type Compiled = { branches: Branch[] } | 'all';

function compile(value: unknown): Compiled {
  if (isEmptyObject(value)) return 'all';
  return { branches: compileBranches(JSON.stringify(value), 'sns') };
}

const isEmptyObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * The reason SNS gives for an invalid policy, as it follows "Invalid parameter: " (SetSubscriptionAttributes) or
 * "Invalid parameter: Attributes Reason: " (Subscribe with Attributes); undefined when valid.
 */
export function filterPolicyReason(text: string, scope: FilterPolicyScope): string | undefined {
  if (Buffer.byteLength(text, 'utf8') > FILTER_POLICY_LIMITS.maxBytes) return 'FilterPolicy: Filter policy is too long';
  let value: unknown;
  try {
    value = parseJson(text, REDACTED);
  } catch (e) {
    if (e instanceof JsonPatternError) return `FilterPolicy: failed to parse JSON. ${e.message}`;
    throw e;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > FILTER_POLICY_LIMITS.maxKeys) {
    return `FilterPolicy: Filter policy can not have more than ${FILTER_POLICY_LIMITS.maxKeys} keys`;
  }
  let compiled: Compiled;
  try {
    compiled = compile(value);
  } catch (e) {
    if (e instanceof JsonPatternError || e instanceof ValueProblem) return `FilterPolicy: ${e.message}`;
    throw e;
  }
  if (compiled === 'all') return undefined;
  if (scope === 'MessageAttributes' && compiled.branches.some((b) => [...b.values()].some((f) => f.depth > 1))) {
    return 'Filter policy scope MessageAttributes does not support nested filter policy';
  }
  if (combinations(compiled.branches) > FILTER_POLICY_LIMITS.maxCombinations) return 'FilterPolicy: Filter policy is too complex';
  return undefined;
}

/**
 * SNS's complexity: for each `$or` alternative, the product over its keys of (number of values × the key's nesting
 * depth), summed over the alternatives (the documentation's examples: 3 × 4 × 2 × 3 = 72; 24 + 64 + 64 = 152).
 */
export function combinations(branches: Branch[]): number {
  let total = 0;
  for (const b of branches) {
    let p = 1;
    for (const f of b.values()) p *= f.count * f.depth;
    total += p;
  }
  return total;
}

/** Undefined when valid, else the message of SNS's InvalidParameter error (as SetSubscriptionAttributes words it). */
export function validateFilterPolicy(text: string, scope: FilterPolicyScope): string | undefined {
  const reason = filterPolicyReason(text, scope);
  return reason === undefined ? undefined : `Invalid parameter: ${reason}`;
}

const compiledByPolicy = new WeakMap<object, Compiled>();

function compiledFor(policy: unknown): Compiled | undefined {
  try {
    if (policy === null || typeof policy !== 'object') return compile(policy);
    let c = compiledByPolicy.get(policy);
    if (!c) compiledByPolicy.set(policy, (c = compile(policy)));
    return c;
  } catch (e) {
    if (e instanceof JsonPatternError || e instanceof ValueProblem) return undefined;
    throw e;
  }
}

/** The attributes as the policy sees them: String as a string, Number as a number, String.Array as its array. */
export function attributesView(attributes: FilterMessage['attributes']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    const type = a.DataType;
    const s = a.StringValue;
    if (s === undefined) continue;
    let v: unknown;
    if (type === 'String.Array') {
      try {
        v = JSON.parse(s);
      } catch {
        continue;
      }
      if (!Array.isArray(v)) continue;
    } else if (type === 'Number' || type.startsWith('Number.')) {
      v = Number(s);
      if (s.trim() === '' || !Number.isFinite(v)) continue;
    } else if (type === 'String' || type.startsWith('String.')) v = s;
    else continue; // Binary attributes are never matched
    Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** True when the message passes the (parsed, valid) policy. A non-JSON body never matches a body policy. */
export function matchesFilterPolicy(policy: unknown, scope: FilterPolicyScope, message: FilterMessage): boolean {
  const c = compiledFor(policy);
  if (c === undefined) return false;
  if (c === 'all') return true;
  let subject: unknown;
  if (scope === 'MessageAttributes') subject = attributesView(message.attributes);
  else {
    try {
      subject = JSON.parse(message.body);
    } catch {
      return false;
    }
    if (subject === null || typeof subject !== 'object' || Array.isArray(subject)) return false;
  }
  return matchesFlat(c.branches, flatten(subject));
}
