// STS's wire handlers (query protocol, 2011-06-15): GetCallerIdentity from the verified caller, AssumeRole through
// IAM's role trust and sessions, GetSessionToken.
import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../lib/errors.js';
import type { Caller } from '../../server/auth.js';
import { credentialScope } from '../../server/sigv4.js';
import type { ApiRequest, ApiResponse, ServiceRoutes } from '../../server/types.js';
import type { IamApi, TemporaryCredentials } from '../iam/index.js';
import * as E from './errors.js';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const VERSION = '2011-06-15';

type Form = URLSearchParams;
interface Ctx { iam: IamApi; caller: Caller; region: string }
type Op = (c: Ctx, f: Form) => Promise<string>;

const esc = (s: string): string => s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
const el = (tag: string, v: string | number | undefined): string => (v === undefined ? '' : `<${tag}>${esc(String(v))}</${tag}>`);
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function int(f: Form, field: string, min: number, max: number): number | undefined {
  const v = f.get(field);
  if (v === null) return undefined;
  const n = Number(v);
  const member = field[0]!.toLowerCase() + field.slice(1);
  if (!Number.isInteger(n)) throw E.validation(`Invalid value for parameter ${field}: ${v}`);
  if (n < min) throw E.constraint(n, member, `Member must have value greater than or equal to ${min}`);
  if (n > max) throw E.constraint(n, member, `Member must have value less than or equal to ${max}`);
  return n;
}

function need(f: Form, field: string, min: number, max: number, pattern?: RegExp, spelled?: string): string {
  const v = f.get(field);
  const member = field[0]!.toLowerCase() + field.slice(1);
  if (v === null) throw E.constraint(null, member, 'Member must not be null');
  if (v.length < min) throw E.constraint(v, member, `Member must have length greater than or equal to ${min}`);
  if (v.length > max) throw E.constraint(v, member, `Member must have length less than or equal to ${max}`);
  if (pattern && !pattern.test(v)) throw E.constraint(v, member, `Member must satisfy regular expression pattern: ${spelled}`);
  return v;
}

const credentialsXml = (t: TemporaryCredentials): string =>
  `<Credentials>${el('AccessKeyId', t.accessKeyId)}${el('SecretAccessKey', t.secretAccessKey)}${el('SessionToken', t.sessionToken)}${el('Expiration', iso(t.expiration))}</Credentials>`;

function sessionTags(f: Form): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (let i = 1; f.has(`Tags.member.${i}.Key`); i++, n++) out[f.get(`Tags.member.${i}.Key`)!] = f.get(`Tags.member.${i}.Value`) ?? '';
  if (n > 50) throw E.constraint(n, 'tags', 'Member must have length less than or equal to 50');
  return out;
}

/** The session policies: the inline Policy and the documents of PolicyArns (at most 10), all checked as IAM does. */
async function sessionPolicies(c: Ctx, f: Form): Promise<string[]> {
  const out: string[] = [];
  const inline = f.get('Policy');
  if (inline !== null) {
    if (inline.length > 2048) throw E.packedTooLarge('Packed policy consumes 100% of allotted space, please use smaller policy.');
    try {
      c.iam.checkPolicy(inline, 'identity');
    } catch (e) {
      throw e instanceof AwsError ? E.malformed(e.message) : e;
    }
    out.push(inline);
  }
  const arns: string[] = [];
  for (let i = 1; f.has(`PolicyArns.member.${i}.arn`); i++) arns.push(f.get(`PolicyArns.member.${i}.arn`)!);
  if (arns.length > 10) throw E.constraint(arns.length, 'policyArns', 'Member must have length less than or equal to 10');
  for (const arn of arns) {
    const doc = await c.iam.managedPolicyDocument(arn);
    if (doc === undefined) throw E.validation(`Policy ${arn} does not exist or is not attachable.`);
    out.push(doc);
  }
  return out;
}

const OPS: Record<string, Op> = {
  async GetCallerIdentity(c) {
    return el('UserId', c.caller.userId) + el('Account', c.caller.accountId) + el('Arn', c.caller.arn);
  },
  async AssumeRole(c, f) {
    const roleArn = need(f, 'RoleArn', 20, 2048);
    const sessionName = need(f, 'RoleSessionName', 2, 64, /^[\w+=,.@-]*$/, '[\\w+=,.@-]*');
    const duration = int(f, 'DurationSeconds', 900, 43200) ?? 3600;
    const policies = await sessionPolicies(c, f);
    const tags = sessionTags(f);
    const role = await c.iam.role(roleArn);
    // A role that does not exist and one that does not trust the caller look alike from outside, as on AWS.
    if (!role || !(await c.iam.trustsCaller(roleArn, c.caller))) throw E.notAuthorized(c.caller.arn, roleArn);
    if (c.caller.kind === 'assumed-role' && c.caller.roleArn === role.arn && duration > 3600)
      throw E.validation('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    if (duration > role.maxSessionDuration) throw E.validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const { credentials, caller } = await c.iam.assumeRole({ roleArn: role.arn, sessionName, durationSeconds: duration, region: c.region, sessionPolicies: policies, sessionTags: tags });
    const packed = policies.length || Object.keys(tags).length ? el('PackedPolicySize', Math.min(100, Math.ceil((policies.join('').length + JSON.stringify(tags).length) / 20))) : '';
    return credentialsXml(credentials) + `<AssumedRoleUser>${el('AssumedRoleId', caller.userId)}${el('Arn', caller.arn)}</AssumedRoleUser>` + packed + el('SourceIdentity', f.get('SourceIdentity') ?? undefined);
  },
  async GetSessionToken(c, f) {
    if (c.caller.temporary || c.caller.kind === 'assumed-role') throw E.accessDenied('Cannot call GetSessionToken with session credentials');
    const max = c.caller.kind === 'root' ? 3600 : 129600;
    const duration = int(f, 'DurationSeconds', 900, 129600) ?? (c.caller.kind === 'root' ? 3600 : 43200);
    const t = await c.iam.sessionToken(c.caller, Math.min(duration, max));
    return credentialsXml(t);
  },
};

export function stsRoutes(iam: IamApi, accountId: string): ServiceRoutes {
  return {
    query: [
      {
        matches(form: URLSearchParams, req: IncomingMessage): boolean {
          const scope = credentialScope(req.headers, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
          if (scope && scope.service !== 'sts') return false;
          return form.get('Version') === VERSION || (scope?.service === 'sts' && form.get('Version') === null);
        },
        async handle(req: ApiRequest, form: URLSearchParams): Promise<ApiResponse> {
          const action = form.get('Action') ?? '';
          const op = Object.prototype.hasOwnProperty.call(OPS, action) ? OPS[action] : undefined;
          if (!op) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${VERSION}`, { status: 400 });
          const caller = req.caller ?? { arn: `arn:aws:iam::${accountId}:root`, accountId, userId: accountId, kind: 'root' as const };
          const result = await op({ iam, caller, region: req.region }, form);
          const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></${action}Response>`;
          return { status: 200, headers: { 'content-type': 'text/xml' }, body };
        },
      },
    ],
  };
}
