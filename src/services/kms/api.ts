// The KMS API (JSON 1.1, `TrentService.*`): keys, aliases, encrypt/decrypt and data keys, policies, grants, tags, rotation.
import { randomBytes } from 'node:crypto';
import { AwsError } from '../../lib/errors.js';
import { need, parseJsonObject, str, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import * as E from './errors.js';
import { checkKeyPolicy } from './key-policy.js';
import type { KeyRow, Keys } from './keys.js';

type Body = JsonObject;
const parse = (req: ApiRequest): Body => parseJsonObject(req.body);
const blob = (b: Body, k: string): Buffer => Buffer.from(need(b, k), 'base64');
const context = (b: Body): Record<string, string> | undefined => (b['EncryptionContext'] && typeof b['EncryptionContext'] === 'object' ? (b['EncryptionContext'] as Record<string, string>) : undefined);

function tagsIn(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(v)) return out;
  for (const t of v as { TagKey?: unknown; TagValue?: unknown }[]) {
    if (typeof t.TagKey !== 'string' || typeof t.TagValue !== 'string') throw E.tagError('Tags must have a TagKey and a TagValue');
    if (t.TagKey.startsWith('aws:')) throw E.tagError('Tags beginning with aws: are reserved');
    out[t.TagKey] = t.TagValue;
  }
  return out;
}

function pageOf<T>(items: T[], b: Body, dflt = 100): { items: T[]; next?: string } {
  const marker = str(b, 'Marker');
  let start = 0;
  if (marker !== undefined) {
    start = Number(Buffer.from(marker, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw E.invalidMarker();
  }
  const limit = typeof b['Limit'] === 'number' ? (b['Limit'] as number) : dflt;
  const slice = items.slice(start, start + limit);
  return { items: slice, ...(start + limit < items.length ? { next: Buffer.from(String(start + limit)).toString('base64') } : {}) };
}

function dataKeyBytes(b: Body): number {
  const spec = str(b, 'KeySpec');
  const n = typeof b['NumberOfBytes'] === 'number' ? (b['NumberOfBytes'] as number) : undefined;
  if (spec !== undefined && n !== undefined) throw E.validation('Please specify either number of bytes or key spec.');
  if (spec === undefined && n === undefined) throw E.validation('Please specify either number of bytes or key spec.');
  return n ?? (spec === 'AES_128' ? 16 : 32);
}

export function kmsRoutes(keys: Keys, accountId: string): ServiceRoutes {
  const meta = (k: KeyRow): Body => ({
    AWSAccountId: accountId, KeyId: k.id, Arn: k.arn, CreationDate: k.created, Enabled: k.state === 'Enabled', Description: k.description,
    KeyUsage: k.usage, KeyState: k.state, ...(k.deletion_date !== null ? { DeletionDate: k.deletion_date } : {}), Origin: k.origin, KeyManager: k.manager,
    CustomerMasterKeySpec: k.spec, KeySpec: k.spec, EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false,
  });
  const customer = (k: KeyRow): KeyRow => {
    if (k.manager === 'AWS') throw E.awsManagedKey(k.arn);
    return k;
  };
  const notDeleting = (k: KeyRow): KeyRow => {
    if (k.state === 'PendingDeletion') throw E.pendingDeletion(k.arn);
    return k;
  };
  const find = async (r: ApiRequest, b: Body, field = 'KeyId'): Promise<KeyRow> => {
    await keys.sweep();
    return keys.find(r.region, need(b, field));
  };
  const aliasName = (b: Body, field = 'AliasName'): string => {
    const n = need(b, field);
    if (!n.startsWith('alias/')) throw E.validation(`1 validation error detected: Value '${n}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
    return n;
  };

  const ops: Record<string, Handler> = {
    CreateKey: async (r) => {
      const b = parse(r);
      const spec = str(b, 'KeySpec') ?? str(b, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
      if (spec !== 'SYMMETRIC_DEFAULT') throw new AwsError('UnsupportedOperationException', `KeySpec ${spec} is not supported by this server; only SYMMETRIC_DEFAULT keys are.`);
      const usage = str(b, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
      if (usage !== 'ENCRYPT_DECRYPT') throw E.validation(`KeyUsage ${usage} is not compatible with KeySpec SYMMETRIC_DEFAULT`);
      const policy = str(b, 'Policy');
      if (policy !== undefined) checkKeyPolicy(policy, r.caller, `arn:aws:kms:${r.region}:${r.accountId}:key/*`, b['BypassPolicyLockoutSafetyCheck'] === true);
      const k = await keys.create(r.region, { description: str(b, 'Description'), policy, tags: tagsIn(b['Tags']) });
      return { body: { KeyMetadata: meta(k) } };
    },
    DescribeKey: async (r) => ({ body: { KeyMetadata: meta(await find(r, parse(r))) } }),
    ListKeys: async (r) => {
      await keys.sweep();
      const p = pageOf(await keys.list(r.region), parse(r), 1000);
      return { body: { Keys: p.items.map((k) => ({ KeyId: k.id, KeyArn: k.arn })), Truncated: p.next !== undefined, ...(p.next ? { NextMarker: p.next } : {}) } };
    },
    EnableKey: async (r) => {
      const k = notDeleting(customer(await find(r, parse(r))));
      await keys.update(k, { state: 'Enabled' });
      return { body: {} };
    },
    DisableKey: async (r) => {
      const k = notDeleting(customer(await find(r, parse(r))));
      await keys.update(k, { state: 'Disabled' });
      return { body: {} };
    },
    ScheduleKeyDeletion: async (r) => {
      const b = parse(r);
      const k = notDeleting(customer(await find(r, b)));
      const days = typeof b['PendingWindowInDays'] === 'number' ? (b['PendingWindowInDays'] as number) : 30;
      if (!Number.isInteger(days) || days < 7 || days > 30) throw E.validation(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
      const deletion = Math.floor(keys.nowSeconds() + days * 86400);
      await keys.update(k, { state: 'PendingDeletion', deletion_date: deletion });
      return { body: { KeyId: k.arn, DeletionDate: deletion, KeyState: 'PendingDeletion', PendingWindowInDays: days } };
    },
    CancelKeyDeletion: async (r) => {
      const k = await find(r, parse(r));
      if (k.state !== 'PendingDeletion') throw E.notPendingDeletion(k.arn);
      await keys.update(k, { state: 'Disabled', deletion_date: null });
      return { body: { KeyId: k.arn } };
    },
    CreateAlias: async (r) => {
      const b = parse(r);
      const name = aliasName(b);
      if (name.startsWith('alias/aws/')) throw E.reservedAlias();
      const k = notDeleting(customer(await keys.find(r.region, need(b, 'TargetKeyId'), { aliases: false })));
      if (!(await keys.putAlias(r.region, name, k.id))) throw E.aliasExists(keys.aliasArn(r.region, name));
      return { body: {} };
    },
    UpdateAlias: async (r) => {
      const b = parse(r);
      const name = aliasName(b);
      if (name.startsWith('alias/aws/')) throw E.reservedAlias();
      const a = await keys.alias(r.region, name);
      if (!a) throw E.aliasNotFound(keys.aliasArn(r.region, name));
      const k = notDeleting(customer(await keys.find(r.region, need(b, 'TargetKeyId'), { aliases: false })));
      await keys.retarget(r.region, name, k.id);
      return { body: {} };
    },
    DeleteAlias: async (r) => {
      const name = aliasName(parse(r));
      if (name.startsWith('alias/aws/')) throw E.reservedAlias();
      if (!(await keys.deleteAlias(r.region, name))) throw E.aliasNotFound(keys.aliasArn(r.region, name));
      return { body: {} };
    },
    ListAliases: async (r) => {
      const b = parse(r);
      await keys.sweep();
      let list = await keys.aliases(r.region);
      const keyId = str(b, 'KeyId');
      if (keyId !== undefined) {
        const k = await keys.find(r.region, keyId, { aliases: false });
        list = list.filter((a) => a.key_id === k.id);
      }
      const p = pageOf(list, b);
      return {
        body: {
          Aliases: p.items.map((a) => ({ AliasName: a.name, AliasArn: keys.aliasArn(r.region, a.name), TargetKeyId: a.key_id, CreationDate: a.created, LastUpdatedDate: a.updated })),
          Truncated: p.next !== undefined, ...(p.next ? { NextMarker: p.next } : {}),
        },
      };
    },
    Encrypt: async (r) => {
      const b = parse(r);
      const pt = blob(b, 'Plaintext');
      if (pt.length < 1 || pt.length > 4096) throw E.validation(`1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length ${pt.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 4096'}`);
      algorithm(b);
      const k = await keys.usable(r.region, need(b, 'KeyId'));
      return { body: { CiphertextBlob: keys.encrypt(k, pt, context(b)).toString('base64'), KeyId: k.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    },
    Decrypt: async (r) => {
      const b = parse(r);
      algorithm(b);
      const { key, plaintext } = await keys.decrypt(r.region, blob(b, 'CiphertextBlob'), context(b), str(b, 'KeyId'));
      return { body: { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    },
    ReEncrypt: async (r) => {
      const b = parse(r);
      const src = await keys.decrypt(r.region, blob(b, 'CiphertextBlob'), b['SourceEncryptionContext'] as Record<string, string> | undefined, str(b, 'SourceKeyId'));
      const dest = await keys.usable(r.region, need(b, 'DestinationKeyId'));
      const out = keys.encrypt(dest, src.plaintext, b['DestinationEncryptionContext'] as Record<string, string> | undefined);
      return { body: { CiphertextBlob: out.toString('base64'), SourceKeyId: src.key.arn, KeyId: dest.arn, SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    },
    GenerateDataKey: async (r) => {
      const b = parse(r);
      const n = dataKeyBytes(b);
      const k = await keys.usable(r.region, need(b, 'KeyId'));
      const pt = randomBytes(n);
      return { body: { CiphertextBlob: keys.encrypt(k, pt, context(b)).toString('base64'), Plaintext: pt.toString('base64'), KeyId: k.arn } };
    },
    GenerateDataKeyWithoutPlaintext: async (r) => {
      const b = parse(r);
      const n = dataKeyBytes(b);
      const k = await keys.usable(r.region, need(b, 'KeyId'));
      return { body: { CiphertextBlob: keys.encrypt(k, randomBytes(n), context(b)).toString('base64'), KeyId: k.arn } };
    },
    GenerateRandom: async (r) => {
      const b = parse(r);
      const n = typeof b['NumberOfBytes'] === 'number' ? (b['NumberOfBytes'] as number) : undefined;
      if (n === undefined) throw E.validation('NumberOfBytes is required.');
      return { body: { Plaintext: randomBytes(n).toString('base64') } };
    },
    GetKeyPolicy: async (r) => {
      const b = parse(r);
      const k = await find(r, b);
      const name = str(b, 'PolicyName') ?? 'default';
      if (name !== 'default') throw new AwsError('NotFoundException', 'No such policy exists');
      return { body: { Policy: k.policy, PolicyName: 'default' } };
    },
    PutKeyPolicy: async (r) => {
      const b = parse(r);
      const k = notDeleting(customer(await find(r, b)));
      const name = str(b, 'PolicyName') ?? 'default';
      if (name !== 'default') throw new AwsError('NotFoundException', 'No such policy exists');
      const policy = need(b, 'Policy');
      checkKeyPolicy(policy, r.caller, k.arn, b['BypassPolicyLockoutSafetyCheck'] === true);
      await keys.update(k, { policy });
      return { body: {} };
    },
    ListKeyPolicies: async (r) => {
      await find(r, parse(r));
      return { body: { PolicyNames: ['default'], Truncated: false } };
    },
    CreateGrant: async (r) => {
      const b = parse(r);
      const k = notDeleting(await find(r, b));
      const ops2 = b['Operations'];
      if (!Array.isArray(ops2) || ops2.length === 0) throw E.validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null");
      const body: Body = { GranteePrincipal: need(b, 'GranteePrincipal'), Operations: ops2 };
      for (const f of ['RetiringPrincipal', 'Name']) if (str(b, f) !== undefined) body[f] = str(b, f);
      if (b['Constraints']) body['Constraints'] = b['Constraints'];
      const g = await keys.createGrant(k, body);
      return { body: { GrantToken: g.token, GrantId: g.grantId } };
    },
    ListGrants: async (r) => {
      const b = parse(r);
      const k = await find(r, b);
      let gs = await keys.grants(k.arn);
      const gid = str(b, 'GrantId');
      if (gid !== undefined) gs = gs.filter((g) => g['GrantId'] === gid);
      const gp = str(b, 'GranteePrincipal');
      if (gp !== undefined) gs = gs.filter((g) => g['GranteePrincipal'] === gp);
      const p = pageOf(gs, b, 50);
      return { body: { Grants: p.items, Truncated: p.next !== undefined, ...(p.next ? { NextMarker: p.next } : {}) } };
    },
    RevokeGrant: async (r) => {
      const b = parse(r);
      const k = await find(r, b);
      if (!(await keys.revokeGrant(k.arn, need(b, 'GrantId')))) throw E.invalidGrantId();
      return { body: {} };
    },
    RetireGrant: async (r) => {
      const b = parse(r);
      const token = str(b, 'GrantToken');
      if (token !== undefined) {
        if (!(await keys.retireByToken(token))) throw E.invalidGrantToken();
        return { body: {} };
      }
      const k = await find(r, b);
      if (!(await keys.revokeGrant(k.arn, need(b, 'GrantId')))) throw E.invalidGrantId();
      return { body: {} };
    },
    TagResource: async (r) => {
      const b = parse(r);
      const k = notDeleting(customer(await find(r, b)));
      const tags = { ...(JSON.parse(k.tags) as Record<string, string>), ...tagsIn(b['Tags']) };
      await keys.update(k, { tags: JSON.stringify(tags) });
      return { body: {} };
    },
    UntagResource: async (r) => {
      const b = parse(r);
      const k = notDeleting(customer(await find(r, b)));
      const tags = JSON.parse(k.tags) as Record<string, string>;
      for (const t of Array.isArray(b['TagKeys']) ? (b['TagKeys'] as string[]) : []) delete tags[t];
      await keys.update(k, { tags: JSON.stringify(tags) });
      return { body: {} };
    },
    ListResourceTags: async (r) => {
      const b = parse(r);
      const k = await find(r, b);
      const p = pageOf(Object.entries(JSON.parse(k.tags) as Record<string, string>).map(([TagKey, TagValue]) => ({ TagKey, TagValue })), b, 50);
      return { body: { Tags: p.items, Truncated: p.next !== undefined, ...(p.next ? { NextMarker: p.next } : {}) } };
    },
    EnableKeyRotation: async (r) => {
      const k = notDeleting(customer(await find(r, parse(r))));
      if (k.state === 'Disabled') throw E.disabled(k.arn);
      await keys.update(k, { rotation: 1 });
      return { body: {} };
    },
    DisableKeyRotation: async (r) => {
      const k = notDeleting(customer(await find(r, parse(r))));
      if (k.state === 'Disabled') throw E.disabled(k.arn);
      await keys.update(k, { rotation: 0 });
      return { body: {} };
    },
    GetKeyRotationStatus: async (r) => {
      const k = notDeleting(await find(r, parse(r)));
      return { body: { KeyRotationEnabled: k.rotation === 1, KeyId: k.arn, ...(k.rotation === 1 ? { RotationPeriodInDays: 365 } : {}) } };
    },
    UpdateKeyDescription: async (r) => {
      const b = parse(r);
      const k = notDeleting(customer(await find(r, b)));
      await keys.update(k, { description: need(b, 'Description') });
      return { body: {} };
    },
  };
  return { json: [{ targetPrefix: 'TrentService', ops }] };
}

function algorithm(b: Body): void {
  const a = str(b, 'EncryptionAlgorithm');
  if (a !== undefined && a !== 'SYMMETRIC_DEFAULT') throw new AwsError('InvalidKeyUsageException', `Algorithm ${a} is incompatible with key spec SYMMETRIC_DEFAULT.`);
}
