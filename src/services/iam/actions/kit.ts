// The small readers the per-service rule tables are written with: members of the request as strings and lists,
// ARNs in the request's region and account, and the resource-name forms AWS accepts (names, partial and full ARNs).
import type { AuthzInput, AuthzScope, RuleKit } from './types.js';

/** A member by its model name, or by the wire name that differs from it only in the first letter's case (rest
 *  query parameters: Scheduler's `groupName` for GroupName, Pipes' `resourceArn`). */
function member(input: AuthzInput, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(input, name)) return input[name];
  const other = name.charAt(0) === name.charAt(0).toUpperCase() ? name.charAt(0).toLowerCase() + name.slice(1) : name.charAt(0).toUpperCase() + name.slice(1);
  return Object.prototype.hasOwnProperty.call(input, other) ? input[other] : undefined;
}

export function kit(input: AuthzInput, scope: AuthzScope): RuleKit {
  const str = (name: string): string | undefined => {
    const v = member(input, name);
    if (typeof v === 'string') return v === '' ? undefined : v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  };
  const list = (name: string): string[] => {
    const v = member(input, name);
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
    return typeof v === 'string' && v !== '' ? [v] : [];
  };
  return { scope, input, str, list, arn: (service, rest) => `arn:aws:${service}:${scope.region}:${scope.account}:${rest}` };
}

export const isArn = (s: string): boolean => s.startsWith('arn:');

/** The given ARN, or one formed from a name: `arn:aws:<service>:<region>:<account>:<prefix><name>`. */
export function arnOr(k: RuleKit, service: string, prefix: string, id: string | undefined): string[] {
  if (id === undefined) return ['*'];
  return [isArn(id) ? id : k.arn(service, `${prefix}${id}`)];
}

/** A member that is a list of structures: each element's `field` as a string. */
export function fieldsOf(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const e of v) {
    const x = e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[field] : undefined;
    if (typeof x === 'string' && x !== '') out.push(x);
  }
  return out;
}

/** An object member's own keys (DynamoDB RequestItems, encryption contexts). */
export function keysOf(v: unknown): string[] {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
}

/** Distinct values in order. */
export const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

/** `*` when a rule found no resource: an answer always names at least one. */
export const orStar = (xs: readonly string[]): string[] => (xs.length > 0 ? uniq(xs) : ['*']);

/** Condition keys from string members: `{ member: 'service:Key' }`, each present member becomes its key. */
export function membersAs(k: RuleKit, map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [member, key] of Object.entries(map)) {
    const v = k.str(member);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
