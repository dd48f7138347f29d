// Resource-based policy handlers: AddPermission, GetPolicy, RemovePermission on functions, versions and aliases,
// with AWS's checks, messages and wire shapes (the statement and the policy as JSON strings).
import { z } from 'zod';
import { AwsError } from '../../lib/errors.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { functionArn, parseFunctionRef } from './arn.js';
import type { FunctionRecord } from './model.js';
import { LATEST } from './model.js';
import type { FunctionRegistry } from './functions.js';
import { documentOf, POLICY_LIMIT, principalOf, statementOf, type PolicyStatement, type PolicyStore } from './policies.js';
import { Constraints } from './validate.js';

const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
const ARN_PATTERN = 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

const AddShape = z.object({
  StatementId: z.string().optional(),
  Action: z.string().optional(),
  Principal: z.string().optional(),
  SourceArn: z.string().optional(),
  SourceAccount: z.string().optional(),
  EventSourceToken: z.string().optional(),
  RevisionId: z.string().optional(),
  PrincipalOrgID: z.string().optional(),
  FunctionUrlAuthType: z.string().optional(),
  InvokedViaFunctionUrl: z.boolean().optional(),
});

// The errors of these operations, in AWS's words.
const notFound = (m: string): AwsError => new AwsError('ResourceNotFoundException', m, { status: 404 });
const noResource = (): AwsError => notFound('The resource you requested does not exist.');
const revisionMismatch = (): AwsError =>
  new AwsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id', { status: 412 });
const sidExists = (sid: string): AwsError =>
  new AwsError('ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`, { status: 409 });
const badPrincipal = (): AwsError => new AwsError('InvalidParameterValueException', 'The provided principal was invalid. Please check the principal and try again.');
const tooLong = (size: number): AwsError => new AwsError('PolicyLengthExceededException', `The final policy size (${size}) is bigger than the limit (${POLICY_LIMIT}).`, { status: 400 });

/** The function and qualifier a request names (path `name:q` and `?Qualifier=`), checked as AWS's edge checks them. */
function requestTarget(req: ApiRequest, c: Constraints): { name: string; qualifier: string | undefined } {
  const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 256);
  const q = req.query.get('Qualifier') ?? undefined;
  c.len('qualifier', q, 1, 128).pattern('qualifier', q, QUALIFIER_PATTERN);
  c.throwIfAny();
  if (q !== undefined && ref.qualifier !== undefined && q !== ref.qualifier) {
    throw new AwsError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return { name: ref.name, qualifier: q ?? ref.qualifier };
}

export function policyRoutes(registry: FunctionRegistry, policies: PolicyStore): RestRoute[] {
  const arn = (req: ApiRequest, name: string, q?: string): string => functionArn(req.region, registry.accountId, name, q);
  const find = (req: ApiRequest, name: string): FunctionRecord | undefined => {
    try {
      return registry.requireFunction(req.region, { name });
    } catch {
      return undefined;
    }
  };
  /** The key of the policy (`$LATEST` for the unqualified function) and its Resource ARN; AWS's errors for a missing one. */
  const resolve = (req: ApiRequest, fn: FunctionRecord, qualifier: string | undefined): { key: string; resource: string } => {
    if (qualifier === undefined || qualifier === LATEST) return { key: LATEST, resource: arn(req, fn.name) };
    const resource = arn(req, fn.name, qualifier);
    if (/^\d+$/.test(qualifier)) {
      if (!fn.versions.has(qualifier)) throw notFound(`Function not found: ${resource}`);
    } else if (!fn.aliases.has(qualifier)) {
      throw notFound(/^[a-zA-Z0-9-_]+$/.test(qualifier) ? `Cannot find alias arn: ${resource}` : `Function not found: ${resource}`);
    }
    return { key: qualifier, resource };
  };
  /** The revision a RevisionId precondition compares with: the policy's own, else (no policy yet) its target's. */
  const revisionOf = (fn: FunctionRecord, key: string): string | undefined =>
    policies.revision(fn.region, fn.name, key) ?? fn.aliases.get(key)?.RevisionId ?? fn.versions.get(key)?.RevisionId;
  /** Reads the policy inside the transaction (another node may just have changed it). */
  const readIn = async (q: { get: <T>(sql: string, p: readonly string[]) => Promise<T | undefined> }, req: ApiRequest, fn: FunctionRecord, key: string): Promise<PolicyStatement[]> => {
    const row = await q.get<{ statements: string }>('SELECT statements FROM lambda_policies WHERE region = ? AND name = ? AND qualifier = ?', [req.region, fn.name, key]);
    return row ? (JSON.parse(row.statements) as PolicyStatement[]) : [];
  };

  return [
    {
      op: 'AddPermission',
      method: 'POST',
      path: '/2015-03-31/functions/{FunctionName}/policy',
      handler: async (req) => {
        const input = shape(AddShape, parseJsonBody(req.body));
        const c = new Constraints();
        const required = (field: string, v: string | undefined): void => {
          if (v === undefined) c.custom(field, null, 'Member must not be null');
        };
        required('statementId', input.StatementId);
        c.len('statementId', input.StatementId, 1, 100).pattern('statementId', input.StatementId, '([a-zA-Z0-9-_]+)');
        required('action', input.Action);
        c.pattern('action', input.Action, '(lambda:[*]|lambda:[a-zA-Z]+|[*])');
        required('principal', input.Principal);
        c.pattern('principal', input.Principal, '[^\\s]+');
        c.pattern('sourceArn', input.SourceArn, ARN_PATTERN);
        c.len('sourceAccount', input.SourceAccount, 0, 12).pattern('sourceAccount', input.SourceAccount, '\\d{12}');
        c.len('eventSourceToken', input.EventSourceToken, 0, 256).pattern('eventSourceToken', input.EventSourceToken, '[a-zA-Z0-9._\\-]+');
        c.len('principalOrgID', input.PrincipalOrgID, 12, 34).pattern('principalOrgID', input.PrincipalOrgID, 'o-[a-z0-9]{10,32}');
        c.oneOf('functionUrlAuthType', input.FunctionUrlAuthType, ['NONE', 'AWS_IAM']);
        const { name, qualifier } = requestTarget(req, c);
        if (qualifier === LATEST) throw new AwsError('InvalidParameterValueException', 'We currently do not support adding policies for $LATEST.');
        const fn = registry.requireFunction(req.region, { name });
        const { key, resource } = resolve(req, fn, qualifier);
        if (input.RevisionId !== undefined && input.RevisionId !== revisionOf(fn, key)) throw revisionMismatch();
        const sid = input.StatementId!;
        if (policies.get(req.region, fn.name, key)?.some((s) => s.Sid === sid)) throw sidExists(sid);
        const principal = principalOf(input.Principal!);
        if (!principal) throw badPrincipal();
        const statement = statementOf({ ...input, StatementId: sid, Action: input.Action!, Principal: input.Principal! }, resource, principal);
        const { result: next, revisionId } = await registry.newRevision(fn, key, async (q, revision) => {
          const cur = await readIn(q, req, fn, key);
          if (cur.some((s) => s.Sid === sid)) throw sidExists(sid);
          const next = [...cur, statement];
          const size = JSON.stringify(documentOf(next)).length;
          if (size > POLICY_LIMIT) throw tooLong(size);
          await policies.write(q, req.region, fn.name, key, next, revision);
          return next;
        });
        policies.committed(req.region, fn.name, key, next, revisionId);
        return { status: 201, body: { Statement: JSON.stringify(statement) } };
      },
    },
    {
      op: 'GetPolicy',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/policy',
      handler: async (req) => {
        const { name, qualifier } = requestTarget(req, new Constraints());
        const fn = find(req, name);
        if (!fn) throw noResource();
        let key: string;
        try {
          key = resolve(req, fn, qualifier).key;
        } catch {
          throw noResource();
        }
        const statements = policies.get(req.region, fn.name, key);
        if (!statements) throw noResource();
        return { body: { Policy: JSON.stringify(documentOf(statements)), RevisionId: revisionOf(fn, key) } };
      },
    },
    {
      op: 'RemovePermission',
      method: 'DELETE',
      path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
      handler: async (req) => {
        const c = new Constraints();
        const sid = req.params['StatementId'] ?? '';
        c.len('statementId', sid, 1, 100).pattern('statementId', sid, '([a-zA-Z0-9-_.]+)');
        const { name, qualifier } = requestTarget(req, c);
        const fn = find(req, name);
        if (!fn) throw notFound(`No policy found for: ${arn(req, name)}`);
        const { key } = resolve(req, fn, qualifier);
        const statements = policies.get(req.region, fn.name, key);
        if (!statements) throw notFound('No policy is associated with the given resource.');
        if (!statements.some((s) => s.Sid === sid)) throw notFound(`Statement ${sid} is not found in resource policy.`);
        const revisionId = req.query.get('RevisionId') ?? undefined;
        if (revisionId !== undefined && revisionId !== revisionOf(fn, key)) throw revisionMismatch();
        const { result: next, revisionId: revised } = await registry.newRevision(fn, key, async (q, revision) => {
          const cur = await readIn(q, req, fn, key);
          if (!cur.some((s) => s.Sid === sid)) throw notFound(`Statement ${sid} is not found in resource policy.`);
          const next = cur.filter((s) => s.Sid !== sid);
          await policies.write(q, req.region, fn.name, key, next, revision);
          return next;
        });
        policies.committed(req.region, fn.name, key, next, revised);
        return { status: 204 };
      },
    },
  ];
}
