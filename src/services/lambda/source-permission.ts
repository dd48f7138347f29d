// Whether a function's resource-based policy lets an AWS service (s3.amazonaws.com, sns.amazonaws.com,
// events.amazonaws.com) invoke it on behalf of a source (a bucket, a topic, a rule), decided by IAM's policy engine.
//
// Source: "Using resource-based policies in Lambda" (access-control-resource-based.html) and "Granting function
// access to AWS services": AddPermission with a service Principal and SourceArn/SourceAccount writes a statement
// `"Principal": {"Service": …}`, `"Condition": {"ArnLike": {"AWS:SourceArn": …}, "StringEquals": {"AWS:SourceAccount": …}}`
// that the service's invocation must satisfy; without such a statement the service is refused.
import { evaluate, parsePolicy, type AuthzRequest, type ParsedPolicy } from '../iam/index.js';
import type { PolicyDocument } from './policies.js';

export interface SourceFacts {
  /** The ARN of the bucket, topic or rule the invocation comes from (aws:SourceArn). */
  sourceArn?: string;
  /** The account that owns the source (aws:SourceAccount). */
  sourceAccount?: string;
}

/** Parses a function's policy once per text (the policy store hands out a fresh document on every read). */
export class SourcePermissions {
  private readonly parsed = new Map<string, ParsedPolicy | null>();

  constructor(
    private readonly accountId: string,
    private readonly now: () => number,
  ) {}

  /**
   * Does `doc` (the function's, version's or alias's policy, if any) allow `principal` lambda:InvokeFunction on
   * `resource` (the function ARN the policy's statements name)? No policy, or one that cannot be parsed, allows nothing.
   */
  allows(doc: PolicyDocument | undefined, resource: string, principal: string, facts: SourceFacts): boolean {
    if (!doc) return false;
    const policy = this.parse(JSON.stringify(doc));
    if (!policy) return false;
    const t = this.now();
    const context: Record<string, string> = {
      // Service principals are matched through this key by the engine (a Caller is always an IAM principal).
      'aws:PrincipalServiceName': principal,
      'aws:CurrentTime': new Date(t).toISOString(),
      'aws:EpochTime': String(Math.floor(t / 1000)),
    };
    if (facts.sourceArn !== undefined) context['aws:SourceArn'] = facts.sourceArn;
    if (facts.sourceAccount !== undefined) context['aws:SourceAccount'] = facts.sourceAccount;
    // The service acts in the function's account; it is no user and no root: kind 'user' with no identity policies,
    // so only the resource policy can allow (a statement naming the account alone delegates to identity policies,
    // which a service has none of, as on AWS).
    const req: AuthzRequest = {
      caller: { arn: principal, accountId: this.accountId, userId: principal, kind: 'user' },
      action: 'lambda:InvokeFunction',
      resource,
      resourceAccount: this.accountId,
      context,
    };
    return evaluate(req, { identity: [], resource: policy }).effect === 'Allow';
  }

  private parse(text: string): ParsedPolicy | undefined {
    let p = this.parsed.get(text);
    if (p === undefined) {
      try {
        p = parsePolicy(text, 'resource');
      } catch {
        p = null;
      }
      if (this.parsed.size > 1000) this.parsed.clear();
      this.parsed.set(text, p);
    }
    return p ?? undefined;
  }
}
