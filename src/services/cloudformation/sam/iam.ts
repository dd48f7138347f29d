// Execution roles: the Policies property (managed names/ARNs, statements, Fn::If) into an AWS::IAM::Role, as SAM does.
import { managedPolicyArn, type TransformContext } from './context.js';
import { InvalidResourceError, InvalidTemplateError } from './errors.js';
import { cfn, isIf, isIntrinsic, isNoValue, isObj, type CfnResource, type Json, type JsonObject } from './types.js';
import { isPolicyTemplate } from './policy-templates.js';

export const assumeRolePolicy = (service: string): JsonObject => ({
  Version: '2012-10-17',
  Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: [service] } }],
});

export type PolicyKind = 'managed' | 'statement' | 'template' | 'unknown';

/** Fn::If needs exactly [condition, then, else]; samtranslator's words when it is not. */
export function ifItems(v: Json): [Json, Json, Json] {
  if (!Array.isArray(v)) throw new Error('Fn::If requires a list argument');
  if (v.length !== 3) throw new Error('Fn::If requires 3 arguments');
  return [v[0]!, v[1]!, v[2]!];
}

/** What a Policies entry is; an Fn::If must hold one kind in both branches (or NoValue in one). */
export function policyKind(p: Json, templates: boolean): PolicyKind {
  if (typeof p === 'string') return 'managed';
  if (isIf(p)) {
    let items: [Json, Json, Json];
    try {
      items = ifItems(p['Fn::If']);
    } catch (e) {
      throw new InvalidTemplateError((e as Error).message);
    }
    const a = policyKind(items[1], templates);
    const b = policyKind(items[2], templates);
    if (a === b) return a;
    if (isNoValue(items[1])) return b;
    if (isNoValue(items[2])) return a;
    throw new InvalidTemplateError('Different policy types within the same Fn::If statement is unsupported. Separate different policy types into different Fn::If statements');
  }
  if (isIntrinsic(p)) return 'managed';
  if (isObj(p) && 'Statement' in p) return 'statement';
  if (templates && isPolicyTemplate(p)) return 'template';
  return 'unknown';
}

/** The Policies property as a list (a single entry may be written without the list). */
export function policiesList(v: Json | undefined): Json[] {
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0)) return [];
  return Array.isArray(v) ? v : [v];
}

export interface RoleSpec {
  ownerId: string;
  attributes: JsonObject;
  assumeRolePolicy: Json;
  policies: Json | undefined;
  managedArns: Json[];
  policyDocuments: Json[];
  path?: Json | undefined;
  permissionsBoundary?: Json | undefined;
  tags?: Json | undefined;
  /** Name used in the "not valid" error (Policies). */
  propertyName?: string;
}

const sameJson = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

/** construct_role_for_resource: `<Owner>Role` with managed ARNs (deduplicated) and inline policies `<Owner>RolePolicyN`. */
export function buildRole(ctx: TransformContext, s: RoleSpec): { id: string; resource: CfnResource } {
  const id = `${s.ownerId}Role`;
  const managed = [...s.managedArns];
  const docs = [...s.policyDocuments];
  policiesList(s.policies).forEach((p, index) => {
    const kind = policyKind(p, false);
    if (kind === 'statement') {
      const named = (doc: Json): JsonObject => ({ PolicyName: `${id}Policy${index}`, PolicyDocument: doc });
      if (isIf(p)) {
        const a = p['Fn::If'] as Json[];
        if (!isNoValue(a[1])) a[1] = named(a[1]!);
        if (!isNoValue(a[2])) a[2] = named(a[2]!);
        docs.push(p);
      } else docs.push(named(p));
    } else if (kind === 'managed') {
      let arn: Json = p;
      if (typeof p === 'string') arn = managedPolicyArn(ctx, p);
      else if (isIf(p)) {
        const a = p['Fn::If'] as Json[];
        for (const i of [1, 2]) if (typeof a[i] === 'string') a[i] = managedPolicyArn(ctx, a[i] as string);
      }
      if (!managed.some((m) => sameJson(m, arn))) managed.push(arn);
    } else {
      throw new InvalidResourceError(s.ownerId, `Policy at index ${index} in the '${s.propertyName ?? 'Policies'}' property is not valid`);
    }
  });
  const resource = cfn(
    'AWS::IAM::Role',
    {
      AssumeRolePolicyDocument: s.assumeRolePolicy,
      ManagedPolicyArns: managed,
      Policies: docs.length > 0 ? docs : undefined,
      Path: s.path,
      PermissionsBoundary: s.permissionsBoundary,
      Tags: s.tags,
    },
    s.attributes,
  );
  return { id, resource };
}

/** Adds a managed policy ARN to a generated role (event sources do this for their poller permissions). */
export function addManagedPolicy(role: CfnResource, arn: Json): void {
  const p = role.Properties!;
  const list = (p['ManagedPolicyArns'] as Json[] | undefined) ?? [];
  if (!list.some((m) => sameJson(m, arn))) list.push(arn);
  p['ManagedPolicyArns'] = list;
}

/** Adds an inline policy document to a generated role. */
export function addInlinePolicy(role: CfnResource, doc: JsonObject): void {
  const p = role.Properties!;
  const list = (p['Policies'] as Json[] | undefined) ?? [];
  list.push(doc);
  p['Policies'] = list;
}

export const rolePolicies = {
  deadLetterQueue: (action: string, resource: Json): JsonObject => ({
    PolicyName: 'DeadLetterQueuePolicy',
    PolicyDocument: { Version: '2012-10-17', Statement: [{ Action: action, Resource: resource, Effect: 'Allow' }] },
  }),
  sqsSend: (arn: Json, id: string): JsonObject => ({ PolicyName: `${id}SQSPolicy`, PolicyDocument: { Statement: [{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arn }] } }),
  snsPublish: (arn: Json, id: string): JsonObject => ({ PolicyName: `${id}SNSPolicy`, PolicyDocument: { Statement: [{ Action: 'sns:publish', Effect: 'Allow', Resource: arn }] } }),
  s3Put: (arn: Json, id: string): JsonObject => ({
    PolicyName: `${id}S3Policy`,
    PolicyDocument: {
      Statement: [
        { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['/', [arn, '*']] } },
        { Action: 's3:ListBucket', Effect: 'Allow', Resource: arn },
      ],
    },
  }),
  eventBus: (arn: Json, id: string): JsonObject => ({ PolicyName: `${id}EventBridgePolicy`, PolicyDocument: { Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: arn }] } }),
  lambdaInvoke: (arn: Json, id: string): JsonObject => ({ PolicyName: `${id}LambdaPolicy`, PolicyDocument: { Statement: [{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arn }] } }),
  startExecution: (arn: Json, id: string): JsonObject => ({ PolicyName: `${id}StartExecutionPolicy`, PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: arn }] } }),
};
