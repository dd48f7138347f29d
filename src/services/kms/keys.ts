// KMS keys, aliases and grants in the store, and the cryptography: per-key AES-256-GCM material wrapped by the
// node master key, ciphertext blobs that name their key, encryption context bound as additional authenticated data.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Migration, Store } from '../../store/store.js';
import * as E from './errors.js';
import type { MasterKey } from './master.js';

export const KMS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE kms_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kms_keys (arn TEXT PRIMARY KEY, region TEXT NOT NULL, id TEXT NOT NULL, material BLOB NOT NULL, state TEXT NOT NULL,
  description TEXT NOT NULL, created REAL NOT NULL, deletion_date REAL, policy TEXT NOT NULL, rotation INTEGER NOT NULL, manager TEXT NOT NULL,
  tags TEXT NOT NULL, usage TEXT NOT NULL, spec TEXT NOT NULL, origin TEXT NOT NULL);
CREATE INDEX kms_keys_region ON kms_keys (region, created);
CREATE TABLE kms_aliases (region TEXT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, PRIMARY KEY (region, name));
CREATE TABLE kms_grants (grant_id TEXT PRIMARY KEY, key_arn TEXT NOT NULL, token TEXT NOT NULL, body TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX kms_grants_key ON kms_grants (key_arn, created);
`,
  },
];

export interface KeyRow {
  arn: string;
  region: string;
  id: string;
  material: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  description: string;
  created: number;
  deletion_date: number | null;
  policy: string;
  rotation: number;
  manager: 'CUSTOMER' | 'AWS';
  tags: string;
  usage: string;
  spec: string;
  origin: string;
}

export interface AliasRow { region: string; name: string; key_id: string; created: number; updated: number }

const VERSION = 1;
const ID_LEN = 36;
const HEADER = 1 + ID_LEN + 12 + 16;

/** The encryption context as AAD: sorted keys, so that the same map in any order authenticates alike. */
export function contextAad(ctx: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(ctx ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

export const defaultPolicy = (accountId: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  }, null, 2);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class Keys {
  constructor(private readonly o: { store: Store; clock: Clock; master: MasterKey; accountId: string }) {}

  async init(): Promise<void> {
    const st = this.o.store;
    await st.migrate('kms', KMS_MIGRATIONS);
    const fp = this.o.master.fingerprint();
    await st.run('INSERT INTO kms_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', ['master', fp]);
    const row = await st.get<{ value: string }>('SELECT value FROM kms_meta WHERE name = ?', ['master']);
    if (row && row.value !== fp) {
      const { StartupError } = await import('../../server/service.js');
      throw new StartupError(`the store holds KMS keys wrapped by a different master key than ${this.o.master.file}; give every node the same master key file (--kms-master-key-file)`);
    }
  }

  nowSeconds(): number {
    return this.now();
  }

  private now(): number {
    return this.o.clock.now() / 1000;
  }

  keyArn(region: string, id: string): string {
    return `arn:aws:kms:${region}:${this.o.accountId}:key/${id}`;
  }

  aliasArn(region: string, name: string): string {
    return `arn:aws:kms:${region}:${this.o.accountId}:${name}`;
  }

  async create(region: string, o: { description?: string; policy?: string; tags?: Record<string, string>; manager?: 'CUSTOMER' | 'AWS' }): Promise<KeyRow> {
    const id = randomUUID();
    const row: KeyRow = {
      arn: this.keyArn(region, id), region, id, material: this.o.master.wrap(randomBytes(32)), state: 'Enabled', description: o.description ?? '',
      created: this.now(), deletion_date: null, policy: o.policy ?? defaultPolicy(this.o.accountId), rotation: o.manager === 'AWS' ? 1 : 0,
      manager: o.manager ?? 'CUSTOMER', tags: JSON.stringify(o.tags ?? {}), usage: 'ENCRYPT_DECRYPT', spec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS',
    };
    await this.o.store.run(
      `INSERT INTO kms_keys (arn, region, id, material, state, description, created, deletion_date, policy, rotation, manager, tags, usage, spec, origin)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.arn, region, id, row.material, row.state, row.description, row.created, null, row.policy, row.rotation, row.manager, row.tags, row.usage, row.spec, row.origin],
    );
    return row;
  }

  private async byId(region: string, id: string): Promise<KeyRow | undefined> {
    return this.o.store.get<KeyRow>('SELECT * FROM kms_keys WHERE arn = ?', [this.keyArn(region, id)]);
  }

  /** A key by id, key ARN, alias name or alias ARN (NotFoundException as AWS words it for each). */
  async find(region: string, keyId: string, opts: { aliases?: boolean } = {}): Promise<KeyRow> {
    let r = region;
    let ref = keyId;
    const arn = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(.+)$/.exec(keyId);
    if (arn) {
      r = arn[1]!;
      ref = arn[3]!;
      if (ref.startsWith('key/')) ref = ref.slice(4);
      else if (!ref.startsWith('alias/')) throw E.invalidArn(`ARN ${keyId} is not a valid KMS ARN`);
    }
    if (ref.startsWith('alias/')) {
      if (opts.aliases === false) throw E.invalidKeyId(keyId);
      const a = await this.alias(r, ref);
      if (!a) throw E.aliasNotFound(this.aliasArn(r, ref));
      const k = await this.byId(r, a.key_id);
      if (!k) throw E.keyNotFound(this.keyArn(r, a.key_id));
      return k;
    }
    if (!UUID_RE.test(ref)) throw E.invalidKeyId(keyId);
    const k = await this.byId(r, ref);
    if (!k) throw E.keyNotFound(this.keyArn(r, ref));
    return k;
  }

  /** A key as its cryptographic operations need it: enabled. */
  async usable(region: string, keyId: string): Promise<KeyRow> {
    const k = await this.find(region, keyId);
    if (k.state === 'Disabled') throw E.disabled(k.arn);
    if (k.state === 'PendingDeletion') throw E.pendingDeletion(k.arn);
    return k;
  }

  async list(region: string): Promise<KeyRow[]> {
    return this.o.store.all<KeyRow>('SELECT * FROM kms_keys WHERE region = ? ORDER BY created, id', [region]);
  }

  async update(k: KeyRow, set: Partial<Pick<KeyRow, 'state' | 'description' | 'deletion_date' | 'policy' | 'rotation' | 'tags'>>): Promise<KeyRow> {
    const next = { ...k, ...set };
    await this.o.store.run('UPDATE kms_keys SET state = ?, description = ?, deletion_date = ?, policy = ?, rotation = ?, tags = ? WHERE arn = ?', [
      next.state, next.description, next.deletion_date, next.policy, next.rotation, next.tags, k.arn,
    ]);
    return next;
  }

  /** Keys past their deletion date are gone (swept lazily whenever keys are read). */
  async sweep(): Promise<void> {
    const now = this.now();
    const gone = await this.o.store.all<{ arn: string; region: string; id: string }>("SELECT arn, region, id FROM kms_keys WHERE state = 'PendingDeletion' AND deletion_date <= ?", [now]);
    for (const g of gone) {
      await this.o.store.tx(async (q) => {
        await q.run('DELETE FROM kms_keys WHERE arn = ?', [g.arn]);
        await q.run('DELETE FROM kms_aliases WHERE region = ? AND key_id = ?', [g.region, g.id]);
        await q.run('DELETE FROM kms_grants WHERE key_arn = ?', [g.arn]);
      });
    }
  }

  // Aliases

  alias(region: string, name: string): Promise<AliasRow | undefined> {
    return this.o.store.get<AliasRow>('SELECT * FROM kms_aliases WHERE region = ? AND name = ?', [region, name]);
  }

  aliases(region: string): Promise<AliasRow[]> {
    return this.o.store.all<AliasRow>('SELECT * FROM kms_aliases WHERE region = ? ORDER BY name', [region]);
  }

  async putAlias(region: string, name: string, keyId: string): Promise<boolean> {
    const now = this.now();
    const r = await this.o.store.run('INSERT INTO kms_aliases (region, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (region, name) DO NOTHING', [region, name, keyId, now, now]);
    return r.changes > 0;
  }

  async retarget(region: string, name: string, keyId: string): Promise<void> {
    await this.o.store.run('UPDATE kms_aliases SET key_id = ?, updated = ? WHERE region = ? AND name = ?', [keyId, this.now(), region, name]);
  }

  async deleteAlias(region: string, name: string): Promise<boolean> {
    return (await this.o.store.run('DELETE FROM kms_aliases WHERE region = ? AND name = ?', [region, name])).changes > 0;
  }

  /** The AWS managed key behind `alias/aws/<service>`, created on first use (once, whichever node asks first). */
  async awsManaged(region: string, alias: string): Promise<KeyRow> {
    const a = await this.alias(region, alias);
    if (a) {
      const k = await this.byId(region, a.key_id);
      if (k) return k;
    }
    const service = alias.slice('alias/aws/'.length);
    const k = await this.create(region, { description: `Default key that protects my ${service} data when no other key is defined`, manager: 'AWS' });
    if (await this.putAlias(region, alias, k.id)) return k;
    await this.o.store.run('DELETE FROM kms_keys WHERE arn = ?', [k.arn]);
    return this.find(region, alias);
  }

  // Cryptography

  encrypt(k: KeyRow, plaintext: Buffer, ctx?: Record<string, string>): Buffer {
    const material = this.o.master.unwrap(k.material);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', material, iv);
    c.setAAD(contextAad(ctx));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), Buffer.from(k.id, 'latin1'), iv, c.getAuthTag(), ct]);
  }

  /** The key id a ciphertext blob names, or undefined when it is not one of ours. */
  static blobKeyId(blob: Buffer): string | undefined {
    if (blob.length < HEADER || blob[0] !== VERSION) return undefined;
    const id = blob.subarray(1, 1 + ID_LEN).toString('latin1');
    return UUID_RE.test(id) ? id : undefined;
  }

  async decrypt(region: string, blob: Buffer, ctx: Record<string, string> | undefined, keyId?: string): Promise<{ key: KeyRow; plaintext: Buffer }> {
    const id = Keys.blobKeyId(blob);
    if (!id) throw E.invalidCiphertext();
    let k: KeyRow | undefined;
    if (keyId !== undefined) {
      const named = await this.find(region, keyId);
      if (named.id !== id) throw E.incorrectKey();
      k = named;
    } else {
      k = await this.byId(region, id);
      if (!k) throw E.invalidCiphertext();
    }
    if (k.state === 'Disabled') throw E.disabled(k.arn);
    if (k.state === 'PendingDeletion') throw E.pendingDeletion(k.arn);
    try {
      const d = createDecipheriv('aes-256-gcm', this.o.master.unwrap(k.material), blob.subarray(1 + ID_LEN, 1 + ID_LEN + 12));
      d.setAuthTag(blob.subarray(1 + ID_LEN + 12, HEADER));
      d.setAAD(contextAad(ctx));
      return { key: k, plaintext: Buffer.concat([d.update(blob.subarray(HEADER)), d.final()]) };
    } catch {
      throw E.invalidCiphertext();
    }
  }

  // Grants

  async createGrant(k: KeyRow, body: Record<string, unknown>): Promise<{ grantId: string; token: string }> {
    const grantId = createHash('sha256').update(randomBytes(32)).digest('hex');
    const token = randomBytes(48).toString('base64url');
    const full = { ...body, KeyId: k.arn, GrantId: grantId, IssuingAccount: `arn:aws:iam::${this.o.accountId}:root`, CreationDate: this.now() };
    await this.o.store.run('INSERT INTO kms_grants (grant_id, key_arn, token, body, created) VALUES (?, ?, ?, ?, ?)', [grantId, k.arn, token, JSON.stringify(full), this.now()]);
    return { grantId, token };
  }

  async grants(keyArn: string): Promise<Record<string, unknown>[]> {
    const rows = await this.o.store.all<{ body: string }>('SELECT body FROM kms_grants WHERE key_arn = ? ORDER BY created, grant_id', [keyArn]);
    return rows.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  async revokeGrant(keyArn: string, grantId: string): Promise<boolean> {
    return (await this.o.store.run('DELETE FROM kms_grants WHERE key_arn = ? AND grant_id = ?', [keyArn, grantId])).changes > 0;
  }

  async retireByToken(token: string): Promise<boolean> {
    return (await this.o.store.run('DELETE FROM kms_grants WHERE token = ?', [token])).changes > 0;
  }
}
