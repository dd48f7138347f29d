// The types of IAM's policy language: the parsed tree, the request being decided, the policies that apply, the decision.
import type { Caller } from '../../../server/auth.js';

/** Which policy a document is: identity (user/group/role/managed), resource (function, queue, topic, bucket, secret, key), trust (a role's assume-role policy). */
export type PolicyKind = 'identity' | 'resource' | 'trust';

/** A parsed policy (opaque outside this module: read it through evaluate; keep the original text for Get* answers). */
export interface PolicyDocument {
  readonly version: '2012-10-17' | '2008-10-17';
  readonly id?: string;
  /** The kind it was parsed as: a trust policy gates sts:AssumeRole* even within the account. */
  readonly kind?: PolicyKind;
  readonly statements: readonly Statement[];
}

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly principal?: PrincipalMatch;
  readonly notPrincipal?: PrincipalMatch;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  /** operator (e.g. `StringLikeIfExists`, `ForAnyValue:StringEquals`) → key → values */
  readonly condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** `"*"` or a map of principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) to values. */
export type PrincipalMatch = '*' | Readonly<Record<string, readonly string[]>>;

/** Thrown by parsePolicy: IAM answers `MalformedPolicyDocument` with this message. */
export class PolicyError extends Error {}

/** The request being decided. */
export interface AuthzRequest {
  caller: Caller;
  /** `service:Operation`, e.g. `lambda:InvokeFunction`. */
  action: string;
  /** The resource ARN (`*` for actions without a resource). */
  resource: string;
  /** The resource's account (a resource policy of another account is a cross-account decision). */
  resourceAccount: string;
  /** Condition keys (`aws:SourceArn`, `aws:CurrentTime`, `s3:prefix`, …), keys case-insensitive; multi-valued as arrays. */
  context: Readonly<Record<string, string | readonly string[]>>;
}

/** The policies that apply to one request. */
export interface PolicySet {
  /** The caller's identity policies (user inline + attached + its groups', or the role's). */
  identity: readonly PolicyDocument[];
  /** The resource's policy, if the resource has one. */
  resource?: PolicyDocument;
  /** The caller's permissions boundary, if any. */
  boundary?: PolicyDocument;
  /** Session policies of an assumed-role session, if any. */
  session?: readonly PolicyDocument[];
  /**
   * The resource policy must allow, even within the account (KMS key policies; implied for a trust policy): "Role trust
   * policies and KMS key policies are exceptions to this logic, because they must explicitly allow access for principals."
   */
  resourceMustAllow?: boolean;
}

export interface Decision {
  effect: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** Which kind of policy decided (for the denial message: "because no identity-based policy allows …", "with an explicit deny in a resource-based policy"). */
  by: 'identity' | 'resource' | 'boundary' | 'session' | 'none';
  /** The deciding statement's Sid, if it has one. */
  sid?: string;
}
