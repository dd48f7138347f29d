// Who is calling: the caller a verified request speaks for, the credentials the server checks signatures against,
// and where they come from (the root key of the node's configuration, IAM access keys, STS sessions). The server
// verifies; it knows no IAM logic: the sources are handed to it by the composition root.

import type { AwsError } from '../lib/errors.js';

/** The principal a request was verified as (or the account root, for an unsigned request in dev mode). */
export interface Caller {
  /** `arn:aws:iam::<acct>:root`, `arn:aws:iam::<acct>:user/<path><name>`, `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  arn: string;
  accountId: string;
  /** GetCallerIdentity's UserId: the account id for root, the user's `AIDA…` id, `AROA…:<session>` for a role session. */
  userId: string;
  kind: 'root' | 'user' | 'assumed-role' | 'federated-user';
  /** The access key the request was signed with (absent for an unsigned dev-mode request). */
  accessKeyId?: string;
  /** For an assumed-role session: the role's ARN (`arn:aws:iam::<acct>:role/<path><name>`). */
  roleArn?: string;
  /** Session policies passed to AssumeRole/GetFederationToken (JSON texts), which further limit the session. */
  sessionPolicies?: string[];
  /** Session tags (`aws:PrincipalTag/…` for a session). */
  sessionTags?: Record<string, string>;
  /** True for temporary (STS) credentials. */
  temporary?: boolean;
}

/** What an access key id resolves to. */
export interface Credential {
  secretAccessKey: string;
  caller: Caller;
  /** Temporary credentials only: the token that must come with the request (`X-Amz-Security-Token`). */
  sessionToken?: string;
  /** Epoch ms after which the credential is expired (temporary credentials). */
  expiresAt?: number;
  /** An IAM access key made Inactive still resolves, so that the answer can say so. */
  active: boolean;
}

/** A source of credentials by access key id: the first source that knows a key answers. */
export interface CredentialSource {
  lookup(accessKeyId: string): Promise<Credential | undefined>;
}

/** `dev`: signatures checked, unsigned requests taken as root, everything allowed; `enforce`: policies evaluated. */
export type AuthMode = 'dev' | 'enforce';

/** What an authorization decision is about: the service (SigV4 signing name) and operation of a verified request. */
export interface OperationContext {
  service: string;
  /** The operation (API action) name; for raw doors (S3) the HTTP method when the operation is not known yet. */
  operation: string;
  region: string;
  accountId: string;
}

/** The enforce-mode authorization hook: the policy engine plugs in here; the default allows everything. */
export interface Authorizer {
  authorize(caller: Caller, op: OperationContext): Promise<'allow' | AwsError> | 'allow' | AwsError;
}

export const allowAll: Authorizer = { authorize: () => 'allow' };

/** The node's root access key. */
export interface RootKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The well-known key of local development (`test`/`test`); refused off loopback. */
export const DEFAULT_ROOT_KEY: RootKey = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A source answering one key: the account root's. */
export function rootSource(key: RootKey, accountId: string): CredentialSource {
  const cred: Credential = {
    secretAccessKey: key.secretAccessKey,
    active: true,
    caller: { arn: `arn:aws:iam::${accountId}:root`, accountId, userId: accountId, kind: 'root', accessKeyId: key.accessKeyId },
  };
  return { lookup: (id) => Promise.resolve(id === key.accessKeyId ? cred : undefined) };
}

/** Sources asked in order: the first that knows a key answers. */
export function chainSources(sources: CredentialSource[]): CredentialSource {
  return {
    async lookup(id) {
      for (const s of sources) {
        const c = await s.lookup(id);
        if (c) return c;
      }
      return undefined;
    },
  };
}
