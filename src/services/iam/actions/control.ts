// CloudFormation's, IAM's and STS's operations as IAM sees them: stack ARNs (the stack id resolved where the caller
// can), IAM user/role/group/policy ARNs (path included), the role an AssumeRole names, and iam:/sts: keys.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for AWS CloudFormation"
// (list_awscloudformation.html: stack `stack/<name>/<id>`; ValidateTemplate, ListStacks and DescribeStacks without a
// stack name have no resource), "… for AWS Identity and Access Management (IAM)" (list_awsidentityandaccessmanagement.html:
// user `user/<path><name>`, role `role/<path><name>`, group `group/<path><name>`, policy ARNs as given; iam:PolicyARN
// on the attach operations, iam:PassedToService on PassRole) and "… for AWS Security Token Service"
// (list_awssecuritytokenservice.html: AssumeRole on the role, with sts:RoleSessionName, sts:ExternalId,
// sts:TransitiveTagKeys; GetCallerIdentity and GetSessionToken have no resource).
import { isArn, membersAs } from './kit.js';
import type { ConditionContext, ResolveKind, Rule, RuleKit, ServiceRules } from './types.js';

const star: Rule = {};

/** `stack/<name>/<id>`: the id from the scope's resolver, else `*` (a stack ARN pattern still matches by name). */
function stackArn(k: RuleKit): string[] {
  const n = k.str('StackName');
  if (n === undefined) return ['*'];
  if (isArn(n)) return [n];
  return [k.scope.resolve?.('stack', n) ?? k.arn('cloudformation', `stack/${n}/*`)];
}
const cfnKeys = (k: RuleKit): ConditionContext => {
  const out: ConditionContext = {};
  const url = k.str('TemplateURL');
  if (url !== undefined) out['cloudformation:TemplateUrl'] = url;
  const role = k.str('RoleARN');
  if (role !== undefined) out['cloudformation:RoleArn'] = role;
  return out;
};

export const cloudformationRules: ServiceRules = {
  prefix: 'cloudformation',
  fallback: { resources: stackArn, context: cfnKeys },
  ops: {
    ValidateTemplate: star,
    ListStacks: star,
    ListExports: star,
    ListImports: star,
    DescribeAccountLimits: star,
    EstimateTemplateCost: star,
    GetTemplateSummary: { resources: (k) => (k.str('StackName') !== undefined ? stackArn(k) : ['*']) },
    DescribeStacks: { resources: (k) => (k.str('StackName') !== undefined ? stackArn(k) : ['*']) },
    DescribeChangeSet: {
      resources: (k) => {
        const cs = k.str('ChangeSetName');
        return cs !== undefined && isArn(cs) ? [cs] : stackArn(k);
      },
    },
  },
};

/** `arn:aws:iam::<acct>:<type>/<path><name>`, the path given, resolved by the scope, or `/`. */
function iamArn(k: RuleKit, type: 'user' | 'role' | 'group', nameMember: string, kind: ResolveKind): string[] {
  const name = k.str(nameMember);
  if (name === undefined) return ['*'];
  if (isArn(name)) return [name];
  const resolved = k.scope.resolve?.(kind, name);
  if (resolved !== undefined) return [resolved];
  const path = k.str('Path') ?? '/';
  return [`arn:aws:iam::${k.scope.account}:${type}${path}${name}`];
}

const user = (k: RuleKit): string[] => {
  // Without UserName the user operations act on the caller (an IAM user calling GetUser, CreateAccessKey, …).
  if (k.str('UserName') === undefined) return [k.scope.principalArn ?? '*'];
  return iamArn(k, 'user', 'UserName', 'iam-user');
};
const role = (k: RuleKit): string[] => iamArn(k, 'role', 'RoleName', 'iam-role');
const group = (k: RuleKit): string[] => iamArn(k, 'group', 'GroupName', 'iam-group');
const policyKey = (k: RuleKit): ConditionContext => membersAs(k, { PolicyArn: 'iam:PolicyARN' });
const boundaryKey = (k: RuleKit): ConditionContext => membersAs(k, { PermissionsBoundary: 'iam:PermissionsBoundary' });

export const iamRules: ServiceRules = {
  prefix: 'iam',
  // The principal an operation names, else the other resource types by their member (instance profiles, OIDC and
  // SAML providers, server certificates, virtual MFA devices).
  fallback: {
    resources: (k) => {
      if (k.str('UserName') !== undefined) return user(k);
      if (k.str('RoleName') !== undefined) return role(k);
      if (k.str('GroupName') !== undefined) return group(k);
      const arn = k.str('PolicyArn') ?? k.str('OpenIDConnectProviderArn') ?? k.str('SAMLProviderArn') ?? k.str('SerialNumber');
      if (arn !== undefined) return [arn];
      const named: [string, string][] = [['InstanceProfileName', 'instance-profile'], ['ServerCertificateName', 'server-certificate'], ['VirtualMFADeviceName', 'mfa']];
      for (const [m, type] of named) {
        const n = k.str(m);
        if (n !== undefined) return [`arn:aws:iam::${k.scope.account}:${type}${k.str('Path') ?? '/'}${n}`];
      }
      return ['*'];
    },
    context: policyKey,
  },
  ops: {
    ListUsers: star,
    ListRoles: star,
    ListGroups: star,
    ListPolicies: star,
    GetAccountSummary: star,
    GetAccountAuthorizationDetails: star,
    ListAccountAliases: star,
    CreateAccountAlias: star,
    DeleteAccountAlias: star,
    GetAccountPasswordPolicy: star,
    // The user operations that may name no user act on the caller's own user.
    GetUser: { resources: user },
    CreateAccessKey: { resources: user },
    ListAccessKeys: { resources: user },
    UpdateAccessKey: { resources: user },
    DeleteAccessKey: { resources: user },
    GetAccessKeyLastUsed: star,
    CreatePolicy: { resources: (k) => [`arn:aws:iam::${k.scope.account}:policy${k.str('Path') ?? '/'}${k.str('PolicyName') ?? ''}`] },
    AttachUserPolicy: { resources: user, context: policyKey },
    DetachUserPolicy: { resources: user, context: policyKey },
    AttachRolePolicy: { resources: role, context: policyKey },
    DetachRolePolicy: { resources: role, context: policyKey },
    AttachGroupPolicy: { resources: group, context: policyKey },
    DetachGroupPolicy: { resources: group, context: policyKey },
    // These name a role too, but act on the instance profile.
    AddRoleToInstanceProfile: { resources: (k) => [`arn:aws:iam::${k.scope.account}:instance-profile${k.str('Path') ?? '/'}${k.str('InstanceProfileName') ?? ''}`] },
    RemoveRoleFromInstanceProfile: { resources: (k) => [`arn:aws:iam::${k.scope.account}:instance-profile${k.str('Path') ?? '/'}${k.str('InstanceProfileName') ?? ''}`] },
    AddUserToGroup: { resources: group },
    RemoveUserFromGroup: { resources: group },
    ListGroupsForUser: { resources: user },
    PutRolePermissionsBoundary: { resources: role, context: boundaryKey },
    PutUserPermissionsBoundary: { resources: user, context: boundaryKey },
    CreateRole: { resources: role, context: boundaryKey },
    CreateUser: { resources: user, context: boundaryKey },
    // Not an API operation: passing a role to a service (Lambda's Role, a state machine's roleArn) authorizes it.
    PassRole: { resources: (k) => [k.str('RoleArn') ?? '*'], context: (k) => membersAs(k, { PassedToService: 'iam:PassedToService' }) },
  },
  extra: ['PassRole'],
};

export const stsRules: ServiceRules = {
  prefix: 'sts',
  fallback: star,
  ops: {
    AssumeRole: {
      resources: (k) => [k.str('RoleArn') ?? '*'],
      context: (k) => {
        const out: ConditionContext = {};
        if (k.str('RoleSessionName')) out['sts:RoleSessionName'] = k.str('RoleSessionName')!;
        if (k.str('ExternalId')) out['sts:ExternalId'] = k.str('ExternalId')!;
        if (k.str('SourceIdentity')) out['sts:SourceIdentity'] = k.str('SourceIdentity')!;
        const transitive = k.list('TransitiveTagKeys');
        if (transitive.length) out['sts:TransitiveTagKeys'] = transitive;
        return out;
      },
    },
    AssumeRoleWithWebIdentity: { resources: (k) => [k.str('RoleArn') ?? '*'] },
    AssumeRoleWithSAML: { resources: (k) => [k.str('RoleArn') ?? '*'] },
    GetFederationToken: { resources: (k) => [`arn:aws:sts::${k.scope.account}:federated-user/${k.str('Name') ?? ''}`] },
    TagSession: { resources: (k) => [k.str('RoleArn') ?? '*'] },
  },
};
