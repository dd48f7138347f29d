// The Secrets Manager API (JSON 1.1, `secretsmanager.*`): secrets, versions and stages, deletion windows, tags, passwords.
import { randomInt } from 'node:crypto';
import { AwsError } from '../../lib/errors.js';
import { need, parseJsonObject, str, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import * as E from './errors.js';
import { rotationOps } from './api-rotation.js';
import type { Rotation } from './rotation.js';
import type { SecretRow, Secrets } from './secrets.js';

type Body = JsonObject;
const parse = (req: ApiRequest): Body => parseJsonObject(req.body);
const tagsIn = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) for (const t of v as { Key?: string; Value?: string }[]) if (typeof t.Key === 'string') out[t.Key] = t.Value ?? '';
  return out;
};
const tagList = (t: string): { Key: string; Value: string }[] => Object.entries(JSON.parse(t) as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));

function valueIn(b: Body): { value: Buffer; binary: boolean } | undefined {
  const s = str(b, 'SecretString');
  const bin = str(b, 'SecretBinary');
  if (s !== undefined && bin !== undefined) throw E.invalidParam('You must provide either SecretString or SecretBinary, but not both.');
  if (s !== undefined) return { value: Buffer.from(s, 'utf8'), binary: false };
  if (bin !== undefined) return { value: Buffer.from(bin, 'base64'), binary: true };
  return undefined;
}

export function secretsRoutes(s: Secrets, rotation: Rotation): ServiceRoutes {
  const describe = async (x: SecretRow): Promise<Body> => {
    const vs = await s.versions(x.arn);
    return {
      ARN: x.arn, Name: x.name, ...(x.description ? { Description: x.description } : {}), ...(x.kms_key ? { KmsKeyId: x.kms_key } : {}),
      RotationEnabled: x.rotation_enabled === 1, ...(x.rotation_lambda ? { RotationLambdaARN: x.rotation_lambda } : {}),
      ...(x.rotation_rules ? { RotationRules: JSON.parse(x.rotation_rules) as Body } : {}), ...(x.last_rotated !== null ? { LastRotatedDate: x.last_rotated } : {}),
      ...(x.rotation_enabled === 1 && x.next_rotation !== null ? { NextRotationDate: x.next_rotation } : {}), LastChangedDate: x.changed, CreatedDate: x.created, ...(x.deleted !== null ? { DeletedDate: x.deleted } : {}),
      Tags: tagList(x.tags), VersionIdsToStages: Object.fromEntries(vs.filter((v) => (JSON.parse(v.stages) as string[]).length).map((v) => [v.version_id, JSON.parse(v.stages) as string[]])),
    };
  };
  const get = async (r: ApiRequest, b: Body): Promise<Body> => {
    const x = await s.find(r.region, need(b, 'SecretId'));
    const { v, value } = await s.value(x, str(b, 'VersionId'), str(b, 'VersionStage'));
    return {
      ARN: x.arn, Name: x.name, VersionId: v.version_id, ...(v.is_binary ? { SecretBinary: value.toString('base64') } : { SecretString: value.toString('utf8') }),
      VersionStages: JSON.parse(v.stages) as string[], CreatedDate: v.created,
    };
  };
  const ops: Record<string, Handler> = {
    ...rotationOps(s, rotation),
    CreateSecret: async (r) => {
      const b = parse(r);
      const name = need(b, 'Name');
      const val = valueIn(b);
      const token = str(b, 'ClientRequestToken');
      let x: SecretRow;
      try {
        x = await s.create(r.region, { name, description: str(b, 'Description'), kmsKeyId: str(b, 'KmsKeyId'), tags: tagsIn(b['Tags']) });
      } catch (e) {
        // The same request again (its token names a version the secret has) answers as the first did.
        if (e instanceof AwsError && e.code === 'ResourceExistsException' && token) {
          const old = await s.find(r.region, name, { deleted: true });
          if ((await s.versions(old.arn)).some((v) => v.version_id === token)) return { body: { ARN: old.arn, Name: old.name, VersionId: token } };
        }
        throw e;
      }
      if (!val) return { body: { ARN: x.arn, Name: x.name } };
      const v = await s.putValue(x, val.value, val.binary, token);
      return { body: { ARN: x.arn, Name: x.name, VersionId: v.versionId } };
    },
    GetSecretValue: async (r) => ({ body: await get(r, parse(r)) }),
    BatchGetSecretValue: async (r) => {
      const b = parse(r);
      const ids = Array.isArray(b['SecretIdList']) ? (b['SecretIdList'] as string[]) : (await s.list(r.region)).filter((x) => x.deleted === null).map((x) => x.arn);
      const values: Body[] = [];
      const errors: Body[] = [];
      for (const id of ids) {
        try {
          values.push(await get(r, { SecretId: id }));
        } catch (e) {
          if (!(e instanceof AwsError)) throw e;
          errors.push({ SecretId: id, ErrorCode: e.code, Message: e.message });
        }
      }
      return { body: { SecretValues: values, Errors: errors } };
    },
    PutSecretValue: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const val = valueIn(b);
      if (!val) throw E.invalidRequest('You must provide either SecretString or SecretBinary.');
      const stages = Array.isArray(b['VersionStages']) ? (b['VersionStages'] as string[]) : undefined;
      const v = await s.putValue(x, val.value, val.binary, str(b, 'ClientRequestToken'), stages);
      return { body: { ARN: x.arn, Name: x.name, VersionId: v.versionId, VersionStages: v.stages } };
    },
    UpdateSecret: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const kms = str(b, 'KmsKeyId');
      await s.update(x, { ...(str(b, 'Description') !== undefined ? { description: str(b, 'Description')! } : {}), ...(kms ? { kms_key: kms } : {}) });
      const val = valueIn(b);
      if (!val) return { body: { ARN: x.arn, Name: x.name } };
      const v = await s.putValue({ ...x, kms_key: kms ?? x.kms_key }, val.value, val.binary, str(b, 'ClientRequestToken'));
      return { body: { ARN: x.arn, Name: x.name, VersionId: v.versionId } };
    },
    DescribeSecret: async (r) => ({ body: await describe(await s.find(r.region, need(parse(r), 'SecretId'), { deleted: true })) }),
    ListSecrets: async (r) => {
      const b = parse(r);
      let list = await s.list(r.region);
      if (b['IncludePlannedDeletion'] !== true) list = list.filter((x) => x.deleted === null);
      for (const f of Array.isArray(b['Filters']) ? (b['Filters'] as { Key?: string; Values?: string[] }[]) : []) {
        const vals = f.Values ?? [];
        const match = (text: string | null | undefined): boolean => vals.some((v) => (v.startsWith('!') ? !(text ?? '').startsWith(v.slice(1)) : (text ?? '').startsWith(v)));
        if (f.Key === 'name') list = list.filter((x) => match(x.name));
        else if (f.Key === 'description') list = list.filter((x) => match(x.description));
        else if (f.Key === 'tag-key') list = list.filter((x) => Object.keys(JSON.parse(x.tags) as object).some((k) => match(k)));
        else if (f.Key === 'tag-value') list = list.filter((x) => Object.values(JSON.parse(x.tags) as Record<string, string>).some((k) => match(k)));
        else if (f.Key === 'all') list = list.filter((x) => match(x.name) || match(x.description));
      }
      const tok = str(b, 'NextToken');
      const start = tok ? Number(Buffer.from(tok, 'base64').toString()) || 0 : 0;
      const n = typeof b['MaxResults'] === 'number' ? (b['MaxResults'] as number) : 100;
      const page = await Promise.all(list.slice(start, start + n).map(describe));
      return { body: { SecretList: page, ...(start + n < list.length ? { NextToken: Buffer.from(String(start + n)).toString('base64') } : {}) } };
    },
    DeleteSecret: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const force = b['ForceDeleteWithoutRecovery'] === true;
      const days = typeof b['RecoveryWindowInDays'] === 'number' ? (b['RecoveryWindowInDays'] as number) : undefined;
      if (force && days !== undefined) throw E.invalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
      if (days !== undefined && (days < 7 || days > 30)) throw E.invalidParam('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      if (force) {
        await s.remove(x);
        return { body: { ARN: x.arn, Name: x.name, DeletionDate: s.now() } };
      }
      const when = s.now() + (days ?? 30) * 86400;
      await s.update(x, { deleted: when });
      return { body: { ARN: x.arn, Name: x.name, DeletionDate: when } };
    },
    RestoreSecret: async (r) => {
      const x = await s.find(r.region, need(parse(r), 'SecretId'), { deleted: true });
      await s.update(x, { deleted: null });
      return { body: { ARN: x.arn, Name: x.name } };
    },
    ListSecretVersionIds: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'), { deleted: true });
      const vs = (await s.versions(x.arn)).filter((v) => b['IncludeDeprecated'] === true || (JSON.parse(v.stages) as string[]).length > 0);
      return { body: { ARN: x.arn, Name: x.name, Versions: vs.map((v) => ({ VersionId: v.version_id, VersionStages: JSON.parse(v.stages) as string[], CreatedDate: v.created })) } };
    },
    TagResource: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      await s.update(x, { tags: JSON.stringify({ ...(JSON.parse(x.tags) as object), ...tagsIn(b['Tags']) }) });
      return { body: {} };
    },
    UntagResource: async (r) => {
      const b = parse(r);
      const x = await s.find(r.region, need(b, 'SecretId'));
      const t = JSON.parse(x.tags) as Record<string, string>;
      for (const k of Array.isArray(b['TagKeys']) ? (b['TagKeys'] as string[]) : []) delete t[k];
      await s.update(x, { tags: JSON.stringify(t) });
      return { body: {} };
    },
    GetRandomPassword: async (r) => {
      const b = parse(r);
      const len = typeof b['PasswordLength'] === 'number' ? (b['PasswordLength'] as number) : 32;
      const exclude = str(b, 'ExcludeCharacters') ?? '';
      let chars = '';
      if (b['ExcludeLowercase'] !== true) chars += 'abcdefghijklmnopqrstuvwxyz';
      if (b['ExcludeUppercase'] !== true) chars += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
      if (b['ExcludeNumbers'] !== true) chars += '0123456789';
      if (b['ExcludePunctuation'] !== true) chars += '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
      if (b['IncludeSpace'] === true) chars += ' ';
      chars = [...chars].filter((c) => !exclude.includes(c)).join('');
      if (!chars.length) throw E.invalidParam('The password has no characters to choose from.');
      return { body: { RandomPassword: Array.from({ length: len }, () => chars[randomInt(chars.length)]).join('') } };
    },
  };
  return { json: [{ targetPrefix: 'secretsmanager', ops }] };
}
