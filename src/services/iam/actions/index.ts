// The module API of the authorization table: for a request's service, operation and members, the IAM action, the
// resource ARNs it acts on and the service's condition keys; an operation the table does not know is "unmapped",
// never a throw. Pure: no I/O (what only the store knows, e.g. a secret's ARN suffix, comes through scope.resolve).
import { cloudformationRules, iamRules, stsRules } from './control.js';
import { dynamodbRules, kinesisRules, logsRules } from './data.js';
import { kit } from './kit.js';
import { lambdaRules } from './lambda.js';
import { snsRules, sqsRules } from './messaging.js';
import { MODELS } from './models.js';
import { s3Rules } from './s3.js';
import { signerRules } from './signer.js';
import { kmsRules, secretsmanagerRules, ssmRules } from './secrets.js';
import type { AuthzAnswer, AuthzInput, AuthzScope, Rule, ServiceRules } from './types.js';
import { eventsRules, pipesRules, schedulerRules, statesRules } from './workflows.js';

export type { AuthzAnswer, AuthzInput, AuthzScope, AuthzTarget, Check, ConditionContext, ModelService, ResolveKind, Unmapped } from './types.js';
export { s3Input, s3Operation } from './s3.js';
export { queueArnOfUrl } from './messaging.js';
export { MODELS } from './models.js';

/** selfless's own admin API (the gateway's route table): no AWS model; authorized as `selfless:<Operation>`. */
const selflessRules: ServiceRules = {
  prefix: 'selfless',
  fallback: { resources: (k) => (k.str('ApiId') !== undefined ? [k.arn('selfless', `gateway-api/${k.str('ApiId')!}`)] : ['*']) },
  ops: {},
  extra: ['PutGatewayApi', 'GetGatewayApi', 'ListGatewayApis', 'DeleteGatewayApi'],
};

const ALL: readonly ServiceRules[] = [
  lambdaRules, sqsRules, snsRules, s3Rules, statesRules, eventsRules, schedulerRules, pipesRules, logsRules, kinesisRules,
  dynamodbRules, kmsRules, ssmRules, secretsmanagerRules, cloudformationRules, iamRules, stsRules, signerRules, selflessRules,
];
const BY_PREFIX = new Map(ALL.map((r) => [r.prefix, r]));

/** Service names a caller may use: the IAM prefix (= the SigV4 signing name), the botocore model name, the JSON target prefix. */
const ALIASES = new Map<string, string>();
for (const m of MODELS) {
  ALIASES.set(m.prefix, m.prefix);
  ALIASES.set(m.model, m.prefix);
  if (m.targetPrefix) ALIASES.set(m.targetPrefix, m.prefix);
}
ALIASES.set('selfless', 'selfless');

/** Every operation the table maps, per IAM service prefix: the models' operations and the extra ones. */
export const KNOWN_OPERATIONS: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const out = new Map<string, Set<string>>();
  for (const r of ALL) out.set(r.prefix, new Set([...Object.keys(r.ops), ...(r.extra ?? [])]));
  for (const m of MODELS) for (const op of Object.keys(m.ops)) out.get(m.prefix)?.add(op);
  return out;
})();

/**
 * The account a resource ARN belongs to (AuthzRequest.resourceAccount): its account field; S3's ARNs have none
 * (buckets are the node's account's), nor does `*`.
 */
export function resourceAccount(arn: string, scope: AuthzScope): string {
  const account = arn.startsWith('arn:') ? arn.split(':')[4] : undefined;
  return account !== undefined && /^\d{12}$/.test(account) ? account : scope.account;
}

/** The IAM service prefix of a service name (prefix, botocore model name or JSON target prefix). */
export const servicePrefix = (service: string): string | undefined => ALIASES.get(service);

/**
 * What a request needs authorized. `input` is the request's members as one object (path params + query + parsed
 * body, or the query form); `scope` the region and account it is served in.
 */
export function authzTarget(service: string, operation: string, input: AuthzInput, scope: AuthzScope): AuthzAnswer {
  const prefix = ALIASES.get(service);
  const rules = prefix === undefined ? undefined : BY_PREFIX.get(prefix);
  if (prefix === undefined || rules === undefined) return { mapped: false, service, operation, reason: 'unknown-service' };
  if (!Object.prototype.hasOwnProperty.call(rules.ops, operation) && !KNOWN_OPERATIONS.get(prefix)?.has(operation)) {
    return { mapped: false, service, operation, reason: 'unknown-operation' };
  }
  const rule: Rule = Object.prototype.hasOwnProperty.call(rules.ops, operation) ? rules.ops[operation]! : rules.fallback;
  const k = kit(input, scope);
  const action = typeof rule.action === 'function' ? rule.action(k) : (rule.action ?? `${prefix}:${operation}`);
  const resources = rule.resources?.(k) ?? ['*'];
  return {
    mapped: true,
    action,
    resources: resources.length > 0 ? resources : ['*'],
    context: rule.context?.(k) ?? {},
    also: rule.also?.(k) ?? [],
  };
}
