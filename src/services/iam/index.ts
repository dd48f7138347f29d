// The IAM service module and its module API: credentials for the server's signature check (IAM access keys and
// STS sessions), the policies that apply to a caller for the policy engine, and role trust and sessions for STS
// and for execution roles.
import type { Caller, CredentialSource } from '../../server/auth.js';
import type { ServiceModule } from '../../server/service.js';
import { Access, type CallerPolicies } from './access.js';
import { iamRoutes } from './api.js';
import { Credentials, type TemporaryCredentials } from './credentials.js';
import { Directory } from './directory.js';
import { parseDocument } from './documents.js';
import { IAM_MIGRATIONS } from './model.js';
import { Policies } from './policies.js';

export type { CallerPolicies } from './access.js';
export { AUDIT_LOG_GROUP, policyAuthorizer, type AuditEntry, type AuthorizerDeps, type ResourcePolicyAnswer, type ResourcePolicyLookup } from './authorizer.js';
export type { TemporaryCredentials } from './credentials.js';
// The policy language for services that decide with their own resource policies (Lambda: may a service invoke).
export { contextFor, evaluate, parsePolicy, type AuthzRequest, type PolicyDocument as ParsedPolicy } from './policy/index.js';

/** A role as STS needs it. */
export interface RoleInfo {
  arn: string;
  id: string;
  name: string;
  maxSessionDuration: number;
}

export interface IamApi {
  /** Access key id → secret and caller: IAM users' keys (`active` false when Inactive) and STS session keys. */
  readonly credentials: CredentialSource;
  /** The identity policies, permissions boundary and session policies that apply to a caller (parsed). */
  policiesFor(caller: Caller): Promise<CallerPolicies>;
  /** Whether the role's trust policy allows the service principal (e.g. `lambda.amazonaws.com`) sts:AssumeRole. */
  roleTrusts(roleArn: string, servicePrincipal: string): Promise<boolean>;
  /** Temporary credentials of a role session (execution roles); NoSuchEntity when the role does not exist. */
  issueRoleCredentials(roleArn: string, sessionName: string, durationSeconds: number, region?: string): Promise<TemporaryCredentials>;
  /** STS: the role named by an ARN, if it exists. */
  role(roleArn: string): Promise<RoleInfo | undefined>;
  /** STS: whether the role's trust policy lets this caller sts:AssumeRole. */
  trustsCaller(roleArn: string, caller: Caller): Promise<boolean>;
  /** STS: an AssumeRole session (the caller it will be, and its credentials). */
  assumeRole(o: { roleArn: string; sessionName: string; durationSeconds: number; region: string; sessionPolicies?: string[]; sessionTags?: Record<string, string> }): Promise<{ credentials: TemporaryCredentials; caller: Caller }>;
  /** STS: GetSessionToken's credentials, speaking for the same caller. */
  sessionToken(caller: Caller, durationSeconds: number): Promise<TemporaryCredentials>;
  /** STS: the default version's document of a managed policy (PolicyArns of a session), if it exists. */
  managedPolicyDocument(arn: string): Promise<string | undefined>;
  /** Checks a policy text as IAM does (MalformedPolicyDocument in IAM's words). */
  checkPolicy(text: string, kind: 'identity' | 'resource' | 'trust'): void;
}

export type IamDeps = Record<string, never>;

export const iamService: ServiceModule<IamDeps, IamApi> = {
  name: 'iam',
  async create(ctx) {
    const accountId = ctx.config.accountId;
    await ctx.store.migrate('iam', IAM_MIGRATIONS);
    const dir = new Directory({ store: ctx.store, clock: ctx.clock, notifier: ctx.notifier, accountId });
    const policies = new Policies({ store: ctx.store, dir, accountId });
    const creds = new Credentials({ store: ctx.store, clock: ctx.clock, notifier: ctx.notifier, accountId });
    const access = new Access({ dir, policies, creds, clock: ctx.clock, notifier: ctx.notifier, accountId });
    // Listening is no background work (nothing runs until a hint comes), and the caches must hear every change.
    creds.listen();
    access.listen();
    const api: IamApi = {
      credentials: creds,
      policiesFor: (caller) => access.policiesFor(caller),
      roleTrusts: (roleArn, service) => access.roleTrusts(roleArn, service),
      issueRoleCredentials: (roleArn, sessionName, duration, region) => access.issueRoleCredentials(roleArn, sessionName, duration, region ?? ctx.config.defaultRegion),
      role: async (roleArn) => {
        const r = await access.role(roleArn);
        return r ? { arn: r.arn, id: r.id, name: r.name, maxSessionDuration: r.maxSessionDuration ?? 3600 } : undefined;
      },
      trustsCaller: (roleArn, caller) => access.trustsCaller(roleArn, caller),
      assumeRole: async (o) => {
        const role = await access.role(o.roleArn);
        if (!role) throw new Error(`assumeRole: no role ${o.roleArn}`);
        return access.assume({ ...o, role });
      },
      sessionToken: (caller, duration) => {
        const { accessKeyId: _k, temporary: _t, ...rest } = caller;
        return creds.issue(rest, duration);
      },
      managedPolicyDocument: (arn) => policies.defaultDocument(arn),
      checkPolicy: (text, kind) => void parseDocument(text, kind),
    };
    return {
      routes: iamRoutes({ dir, policies, creds, access, accountId }),
      api,
      start: async () => {},
      stop: async () => {
        creds.close();
        access.close();
      },
    };
  },
};
