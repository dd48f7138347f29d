// Secrets Manager's rotation, staging-label and resource-policy operations (RotateSecret, CancelRotateSecret,
// UpdateSecretVersionStage, Put/Get/Delete/ValidateResourcePolicy).
import { AwsError } from '../../lib/errors.js';
import { need, parseJsonObject, str, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest, Handler } from '../../server/types.js';
import { parsePolicy, type ParsedPolicy } from '../iam/index.js';
import * as E from './errors.js';
import type { Rotation } from './rotation.js';
import type { RotationRules } from './schedule.js';
import type { Secrets } from './secrets.js';

const parse = (req: ApiRequest): JsonObject => parseJsonObject(req.body);

function rulesIn(v: unknown): RotationRules | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw E.invalidParam('RotationRules must be an object.');
  const o = v as Record<string, unknown>;
  const r: RotationRules = {};
  if (o['AutomaticallyAfterDays'] !== undefined) {
    if (typeof o['AutomaticallyAfterDays'] !== 'number') throw E.invalidParam('AutomaticallyAfterDays must be a number.');
    r.AutomaticallyAfterDays = o['AutomaticallyAfterDays'];
  }
  for (const k of ['Duration', 'ScheduleExpression'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'string') throw E.invalidParam(`${k} must be a string.`);
    r[k] = o[k];
  }
  return r;
}

/** A resource policy parsed as IAM parses one; Secrets Manager's own exception for what does not parse. */
function policyOf(text: string): ParsedPolicy {
  try {
    return parsePolicy(text, 'resource');
  } catch (e) {
    throw E.malformedPolicy(e instanceof AwsError || e instanceof Error ? e.message : 'This resource policy contains a syntax error.');
  }
}

/** Does a statement allow anyone (Principal `*` or AWS `*`) without a condition to narrow it? */
export function grantsPublicAccess(doc: ParsedPolicy): boolean {
  return doc.statements.some((st) => st.effect === 'Allow' && !st.condition && (st.principal === '*' || (typeof st.principal === 'object' && (st.principal.AWS ?? []).includes('*'))));
}

export function rotationOps(s: Secrets, rotation: Rotation): Record<string, Handler> {
  return {
    RotateSecret: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const lambdaArn = str(b, 'RotationLambdaARN');
      const out = await rotation.rotate(x, { token: str(b, 'ClientRequestToken'), lambdaArn, rules: rulesIn(b['RotationRules']), immediately: b['RotateImmediately'] !== false });
      return { body: { ARN: x.arn, Name: x.name, ...(out.versionId ? { VersionId: out.versionId } : {}) } };
    },
    CancelRotateSecret: async (r) => {
      const x = await s.find(r.region, need(parse(r), 'SecretId'));
      const out = await rotation.cancel(x);
      return { body: { ARN: x.arn, Name: x.name, ...(out.versionId ? { VersionId: out.versionId } : {}) } };
    },
    UpdateSecretVersionStage: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const stage = need(b, 'VersionStage');
      const from = str(b, 'RemoveFromVersionId');
      const to = str(b, 'MoveToVersionId');
      if (from === undefined && to === undefined) throw E.invalidParam('You must specify either RemoveFromVersionId or MoveToVersionId.');
      if (stage === 'AWSCURRENT' && to === undefined) throw E.invalidParam("You can't remove the staging label AWSCURRENT from a version; move it to another version with MoveToVersionId.");
      await s.moveStage(x, stage, from, to);
      return { body: { ARN: x.arn, Name: x.name } };
    },
    PutResourcePolicy: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const text = need(b, 'ResourcePolicy');
      const doc = policyOf(text);
      if (b['BlockPublicPolicy'] === true && grantsPublicAccess(doc)) throw E.publicPolicy();
      await s.update(x, { policy: text });
      return { body: { ARN: x.arn, Name: x.name } };
    },
    GetResourcePolicy: async (r) => {
      const x = await s.find(r.region, need(parse(r), 'SecretId'));
      return { body: { ARN: x.arn, Name: x.name, ...(x.policy ? { ResourcePolicy: x.policy } : {}) } };
    },
    DeleteResourcePolicy: async (r) => {
      const x = await s.find(r.region, need(parse(r), 'SecretId'));
      await s.update(x, { policy: null });
      return { body: { ARN: x.arn, Name: x.name } };
    },
    ValidateResourcePolicy: async (r) => {
      const b = parse(r);
      const id = str(b, 'SecretId');
      if (id !== undefined) await s.find(r.region, id);
      const text = need(b, 'ResourcePolicy');
      const errors: { CheckName: string; ErrorMessage: string }[] = [];
      try {
        const doc = parsePolicy(text, 'resource');
        if (grantsPublicAccess(doc)) errors.push({ CheckName: 'PUBLIC_ACCESS', ErrorMessage: 'This resource policy grants public access to the secret.' });
      } catch (e) {
        errors.push({ CheckName: 'SYNTAX_CHECK', ErrorMessage: e instanceof Error ? e.message : 'This resource policy contains a syntax error.' });
      }
      return { body: { PolicyValidationPassed: errors.length === 0, ValidationErrors: errors } };
    },
  };
}
