// The shapes of the authorization table: what a request's operation becomes (an IAM action, resource ARNs and
// condition keys), the per-service rules written as data, and the generated model entries they are checked against.

/** Where a request is served: the region of its SigV4 scope and the node's account. */
export interface AuthzScope {
  readonly region: string;
  readonly account: string;
  /** The caller's ARN: operations on "the caller's own" user (IAM GetUser without UserName) act on it. */
  readonly principalArn?: string;
  /**
   * Looks up what a request's name alone cannot say: a secret's full ARN (its random suffix), a stack's ARN (its
   * id), the key a KMS alias points to (or a ciphertext blob names, base64), an IAM user's or role's path, a DynamoDB table's partition key attribute.
   * Absent, or undefined for a name: the ARN is formed from the name as far as it goes.
   */
  readonly resolve?: (kind: ResolveKind, id: string) => string | undefined;
}

export type ResolveKind = 'secret' | 'stack' | 'kms-alias' | 'kms-ciphertext' | 'iam-user' | 'iam-role' | 'iam-group' | 'dynamodb-hash-key';

/** The request's members as one plain object: path params + query + parsed body, or the query form as an object. */
export type AuthzInput = Readonly<Record<string, unknown>>;

export type ConditionContext = Record<string, string | string[]>;

/** What an operation needs authorized. */
export interface AuthzTarget {
  readonly mapped: true;
  /** `service:Action`, e.g. `lambda:InvokeFunction`. */
  readonly action: string;
  /** Fully formed ARNs (or `*` for an action without a resource type), at least one. */
  readonly resources: string[];
  /** Service-specific condition keys (AWS global keys such as aws:SourceIp are the evaluator's). */
  readonly context: ConditionContext;
  /** Further checks the request needs, each of which must be allowed too (CopyObject's read of its source,
   *  KMS ReEncrypt's ReEncryptTo, a DynamoDB transaction's per-table actions). */
  readonly also: Check[];
}

export interface Check {
  readonly action: string;
  readonly resources: string[];
}

/** An operation the table does not know: the caller decides (deny in enforce mode); never a throw. */
export interface Unmapped {
  readonly mapped: false;
  readonly service: string;
  readonly operation: string;
  readonly reason: 'unknown-service' | 'unknown-operation';
}

export type AuthzAnswer = AuthzTarget | Unmapped;

/** The helpers a rule reads the input with (string members only; anything else is absent). */
export interface RuleKit {
  readonly scope: AuthzScope;
  readonly input: AuthzInput;
  /** A string member (numbers and booleans stringified); undefined when absent or empty. */
  str(name: string): string | undefined;
  /** A list member of strings. */
  list(name: string): string[];
  /** `arn:aws:<service>:<region>:<account>:<rest>` in the request's region and account. */
  arn(service: string, rest: string): string;
}

/** One operation's rule: the action (default: the service prefix + the operation name), resources and keys. */
export interface Rule {
  readonly action?: string | ((k: RuleKit) => string);
  /** The ARNs acted on; `*` when omitted. */
  readonly resources?: (k: RuleKit) => string[];
  readonly context?: (k: RuleKit) => ConditionContext;
  /** Further checks (actions in full, `service:Action`). */
  readonly also?: (k: RuleKit) => Check[];
}

/** A service's rules: per-operation entries over a default for operations not listed. */
export interface ServiceRules {
  /** The IAM service prefix (`lambda`, `states`, …). */
  readonly prefix: string;
  /** Rule for operations of the model that have no entry of their own. */
  readonly fallback: Rule;
  readonly ops: Readonly<Record<string, Rule>>;
  /** Operations selfless serves that no AWS model has (the node's own admin APIs). */
  readonly extra?: readonly string[];
}

/** One botocore model as the generator wrote it. */
export interface ModelService {
  readonly model: string;
  readonly prefix: string;
  readonly protocol: string;
  readonly version: string;
  readonly targetPrefix?: string;
  /** Operation name → `METHOD /uri` for rest protocols, '' otherwise. */
  readonly ops: Readonly<Record<string, string>>;
}
