// Enforce mode's authorization: a verified request's operation becomes an IAM action on resource ARNs (the action
// table), the caller's identity policies and the resource's policy are evaluated as AWS does, and a refusal is
// AWS's AccessDenied in the request's protocol with AWS's message. Decisions are cached per policy generation.
import type { Authorizer, Caller, OperationContext } from '../../server/auth.js';
import type { AuthFamily } from '../../server/auth-errors.js';
import { AwsError } from '../../lib/errors.js';
import { authzTarget, resourceAccount, s3Input, s3Operation, type AuthzScope } from './actions/index.js';
import { contextFor, denialMessage, evaluate, parsePolicy, type AuthzRequest, type Decision, type PolicyDocument, type PolicySet } from './policy/index.js';
import type { CallerPolicies } from './access.js';

/**
 * The resource policy of an ARN (a function's, a queue's, a bucket's, a secret's …) as JSON text, if the resource has
 * one; a KMS key's policy comes with `mustAllow`, since a key policy must allow even callers of the key's account.
 */
export type ResourcePolicyLookup = (arn: string) => ResourcePolicyAnswer | Promise<ResourcePolicyAnswer>;
export type ResourcePolicyAnswer = string | { policy: string; mustAllow: boolean } | undefined;

/** The log group every decision about a non-root caller is written to (`selfless audit` reads it). */
export const AUDIT_LOG_GROUP = '/selfless/audit';

/** One authorization decision as the audit log records it (no request content: secrets never reach it). */
export interface AuditEntry {
  decision: 'allow' | 'deny';
  principal: string;
  action: string;
  resources: string[];
  region: string;
  /** Why a denial was given (AWS's message); absent for an allow. */
  reason?: string;
}

export interface AuthorizerDeps {
  policiesFor(caller: Caller): Promise<CallerPolicies>;
  resourcePolicy: ResourcePolicyLookup;
  now(): number;
  /** Told every decision about a non-root caller (the audit trail; in dev mode the only effect of a denial). */
  onDecision?: (d: AuditEntry) => void;
}

/** AWS's refusal per protocol: JSON services' AccessDeniedException, the query services' and S3's AccessDenied. */
function accessDenied(family: AuthFamily, message: string, service: string): AwsError {
  if (family === 'json' || family === 'url') return new AwsError('AccessDeniedException', message, { status: 403 });
  if (service === 'sns') return new AwsError('AuthorizationError', message, { status: 403 });
  return new AwsError('AccessDenied', message, { status: 403 });
}

/** The action table's view of an S3 request (its operation follows from method, bucket, key and query). */
function s3View(op: OperationContext): { operation: string; input: Record<string, unknown> } | undefined {
  const r = op.s3;
  if (!r) return undefined;
  const operation = s3Operation(r.method, r.bucket, r.key, r.query, r.header);
  return operation ? { operation, input: s3Input(r.bucket, r.key, r.query, r.header) } : undefined;
}

export function policyAuthorizer(deps: AuthorizerDeps): Authorizer {
  const parsed = new Map<string, PolicyDocument | null>();
  /** A resource policy's text parsed once (an unparsable stored policy grants nothing). */
  const resourceDoc = (text: string): PolicyDocument | undefined => {
    let doc = parsed.get(text);
    if (doc === undefined) {
      try {
        doc = parsePolicy(text, 'resource');
      } catch {
        doc = null;
      }
      if (parsed.size > 1000) parsed.clear();
      parsed.set(text, doc);
    }
    return doc ?? undefined;
  };

  const decide = async (caller: Caller, policies: CallerPolicies, action: string, resource: string, context: Record<string, string | string[]>, scope: AuthzScope): Promise<{ req: AuthzRequest; decision: Decision }> => {
    const now = deps.now();
    const req: AuthzRequest = {
      caller,
      action,
      resource,
      resourceAccount: resourceAccount(resource, scope),
      context: contextFor(caller, { ...context, 'aws:CurrentTime': new Date(now).toISOString(), 'aws:EpochTime': String(Math.floor(now / 1000)), 'aws:SecureTransport': 'false' }),
    };
    const found = resource === '*' ? undefined : await deps.resourcePolicy(resource);
    const text = typeof found === 'string' ? found : found?.policy;
    const set: PolicySet = {
      identity: policies.identity, boundary: policies.boundary, session: policies.session, resource: text ? resourceDoc(text) : undefined,
      ...(typeof found === 'object' && found.mustAllow ? { resourceMustAllow: true } : {}),
    };
    return { req, decision: evaluate(req, set) };
  };

  return {
    async authorize(caller, op) {
      // The account's root may do everything in its own account (no policy can limit it but an SCP, which we lack),
      // except use a KMS key whose key policy does not allow it: key policies can lock out the root user too.
      if (caller.kind === 'root' && caller.accountId === op.accountId && op.service !== 'kms') return 'allow';
      // STS answers who the caller is and issues sessions without identity permissions of its own: GetCallerIdentity
      // and GetSessionToken need none, and AssumeRole is decided by STS against the role's trust policy.
      if (op.service === 'sts') return 'allow';
      const view = op.service === 's3' ? s3View(op) : undefined;
      const scope: AuthzScope = { region: op.region, account: op.accountId, principalArn: caller.arn };
      const target = authzTarget(op.service, view?.operation ?? op.operation, view?.input ?? op.input(), scope);
      const deny = (action: string, resources: string[], message: string): AwsError => {
        deps.onDecision?.({ decision: 'deny', principal: caller.arn, action, resources, region: op.region, reason: message });
        return accessDenied(op.family, message, op.service);
      };
      if (!target.mapped) {
        const action = `${op.service}:${op.operation}`;
        return deny(action, ['*'], `User: ${caller.arn} is not authorized to perform: ${action} because selfless has no authorization rule for this operation`);
      }
      const policies = await deps.policiesFor(caller);
      const checks = [{ action: target.action, resources: target.resources }, ...target.also];
      for (const check of checks) {
        for (const resource of check.resources) {
          const { req, decision } = await decide(caller, policies, check.action, resource, target.context, scope);
          if (decision.effect !== 'Allow') return deny(check.action, [resource], denialMessage(req, decision));
        }
      }
      deps.onDecision?.({ decision: 'allow', principal: caller.arn, action: target.action, resources: target.resources, region: op.region });
      return 'allow';
    },
  };
}
