// KMS's, Systems Manager Parameter Store's and Secrets Manager's operations as IAM sees them: key ARNs (aliases
// resolved to their key where the caller can), parameter ARNs, secret ARNs, and the kms:EncryptionContext… keys.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service"
// (list_awskeymanagementservice.html: ReEncrypt needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on
// the destination; CreateAlias needs kms:CreateAlias on the alias and on the key), "… for AWS Systems Manager"
// (list_awssystemsmanager.html: parameter `parameter/<name without leading slash>`), "… for AWS Secrets Manager"
// (list_awssecretsmanager.html: secret `secret:<name>-<6 random characters>`).
import { isArn, keysOf, orStar } from './kit.js';
import type { ConditionContext, Rule, RuleKit, ServiceRules } from './types.js';

const star: Rule = {};

/**
 * A key from a KeyId: a key id, a key ARN, `alias/<name>` or an alias ARN. An alias stands for its key: the scope's
 * resolver gives the key's ARN; without one the alias ARN is the resource (a policy on the key does not match it).
 */
export function kmsKeyArn(k: RuleKit, member = 'KeyId'): string[] {
  const id = k.str(member);
  if (id === undefined) return ['*'];
  const aliasName = id.startsWith('alias/') ? id : isArn(id) && id.includes(':alias/') ? id.slice(id.indexOf(':alias/') + 1) : undefined;
  if (aliasName !== undefined) return [k.scope.resolve?.('kms-alias', aliasName) ?? (isArn(id) ? id : k.arn('kms', aliasName))];
  return [isArn(id) ? id : k.arn('kms', `key/${id}`)];
}

/** The key a ciphertext blob names, as the scope's resolver reads it (the blob format is KMS's own). */
function blobKey(k: RuleKit): string[] {
  const blob = k.str('CiphertextBlob');
  const arn = blob === undefined ? undefined : k.scope.resolve?.('kms-ciphertext', blob);
  return [arn ?? '*'];
}

/** kms:EncryptionContext:<key> for each pair, kms:EncryptionContextKeys, kms:EncryptionAlgorithm, kms:GrantOperations. */
function cryptoKeys(k: RuleKit): ConditionContext {
  const out: ConditionContext = {};
  const ec = k.input['EncryptionContext'];
  const keys = keysOf(ec);
  for (const key of keys) {
    const v = (ec as Record<string, unknown>)[key];
    if (typeof v === 'string') out[`kms:EncryptionContext:${key}`] = v;
  }
  if (keys.length > 0) out['kms:EncryptionContextKeys'] = keys;
  const alg = k.str('EncryptionAlgorithm');
  if (alg !== undefined) out['kms:EncryptionAlgorithm'] = alg;
  const ops = k.list('Operations');
  if (ops.length > 0) out['kms:GrantOperations'] = ops;
  return out;
}

const onKey: Rule = { resources: (k) => kmsKeyArn(k), context: cryptoKeys };

export const kmsRules: ServiceRules = {
  prefix: 'kms',
  fallback: onKey,
  ops: {
    CreateKey: { context: (k) => ({ ...(k.str('KeySpec') ? { 'kms:KeySpec': k.str('KeySpec')! } : {}), ...(k.str('KeyUsage') ? { 'kms:KeyUsage': k.str('KeyUsage')! } : {}) }) },
    ListKeys: star,
    ListAliases: star,
    GenerateRandom: star,
    ListRetirableGrants: star,
    ConnectCustomKeyStore: star,
    CreateCustomKeyStore: star,
    DescribeCustomKeyStores: star,
    // A decrypt may name no key (symmetric ciphertexts carry it): AWS then authorizes on the key the blob names.
    Decrypt: { resources: (k) => (k.str('KeyId') !== undefined ? kmsKeyArn(k) : blobKey(k)), context: cryptoKeys },
    ReEncrypt: {
      action: 'kms:ReEncryptFrom',
      resources: (k) => (k.str('SourceKeyId') !== undefined ? kmsKeyArn(k, 'SourceKeyId') : blobKey(k)),
      context: cryptoKeys,
      also: (k) => [{ action: 'kms:ReEncryptTo', resources: kmsKeyArn(k, 'DestinationKeyId') }],
    },
    CreateAlias: {
      resources: (k) => [k.arn('kms', k.str('AliasName') ?? 'alias/')],
      also: (k) => [{ action: 'kms:CreateAlias', resources: kmsKeyArn(k, 'TargetKeyId') }],
    },
    UpdateAlias: {
      resources: (k) => [k.arn('kms', k.str('AliasName') ?? 'alias/')],
      also: (k) => [{ action: 'kms:UpdateAlias', resources: kmsKeyArn(k, 'TargetKeyId') }],
    },
    DeleteAlias: { resources: (k) => [k.arn('kms', k.str('AliasName') ?? 'alias/')] },
  },
};

/** `/a/b` → `parameter/a/b`, `x` → `parameter/x`; an ARN stays. */
export const parameterArn = (k: RuleKit, name: string): string => (isArn(name) ? name : k.arn('ssm', `parameter/${name.replace(/^\//, '')}`));
const param = (k: RuleKit): string[] => {
  const n = k.str('Name') ?? k.str('Path');
  return n === undefined ? ['*'] : [parameterArn(k, n)];
};

export const ssmRules: ServiceRules = {
  prefix: 'ssm',
  // Parameter Store is what selfless serves of SSM; the rest of the model acts on `*` unless it names a parameter.
  fallback: { resources: (k) => (k.str('Name') !== undefined ? param(k) : ['*']) },
  ops: {
    GetParameter: { resources: param },
    PutParameter: { resources: param },
    DeleteParameter: { resources: param },
    GetParameterHistory: { resources: param },
    LabelParameterVersion: { resources: param },
    UnlabelParameterVersion: { resources: param },
    GetParametersByPath: { resources: param },
    GetParameters: { resources: (k) => orStar(k.list('Names').map((n) => parameterArn(k, n))) },
    DeleteParameters: { resources: (k) => orStar(k.list('Names').map((n) => parameterArn(k, n))) },
    DescribeParameters: star,
    // Tagging names the resource by type and id; Parameter is the type selfless has.
    AddTagsToResource: { resources: (k) => tagged(k) },
    RemoveTagsFromResource: { resources: (k) => tagged(k) },
    ListTagsForResource: { resources: (k) => tagged(k) },
  },
};

function tagged(k: RuleKit): string[] {
  const type = k.str('ResourceType');
  const id = k.str('ResourceId');
  if (id === undefined) return ['*'];
  if (type === 'Parameter') return [parameterArn(k, id)];
  return [k.arn('ssm', `${(type ?? '').toLowerCase()}/${id}`)];
}

/** A secret's ARN: given, resolved by the scope (the name's random suffix), or formed from the name alone. */
export function secretArn(k: RuleKit, member = 'SecretId'): string[] {
  const id = k.str(member);
  if (id === undefined) return ['*'];
  if (isArn(id)) return [id];
  return [k.scope.resolve?.('secret', id) ?? k.arn('secretsmanager', `secret:${id}`)];
}

const secretKeys = (k: RuleKit): ConditionContext => {
  const out: ConditionContext = {};
  const id = k.str('SecretId');
  if (id !== undefined) out['secretsmanager:SecretId'] = secretArn(k)[0]!;
  for (const [m, key] of [['VersionId', 'secretsmanager:VersionId'], ['VersionStage', 'secretsmanager:VersionStage'], ['Name', 'secretsmanager:Name'], ['KmsKeyId', 'secretsmanager:KmsKeyId']] as const) {
    const v = k.str(m);
    if (v !== undefined) out[key] = v;
  }
  return out;
};

export const secretsmanagerRules: ServiceRules = {
  prefix: 'secretsmanager',
  fallback: { resources: (k) => secretArn(k), context: secretKeys },
  ops: {
    // The secret does not exist yet: AWS authorizes against the ARN it is about to get, of which the name is known.
    CreateSecret: { resources: (k) => secretArn(k, 'Name'), context: secretKeys },
    ListSecrets: star,
    GetRandomPassword: star,
    BatchGetSecretValue: { resources: (k) => orStar(k.list('SecretIdList').flatMap((id) => secretArn({ ...k, str: (n) => (n === 'SecretId' ? id : k.str(n)) }))) },
  },
};
