// Secrets and their versions in the store; values are encrypted through KMS (default key alias/aws/secretsmanager).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Migration, Store } from '../../store/store.js';
import type { KmsApi } from '../kms/index.js';
import * as E from './errors.js';
import { AwsError } from '../../lib/errors.js';

export const SECRETS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE secretsmanager_secrets (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, kms_key TEXT, description TEXT,
  created REAL NOT NULL, changed REAL NOT NULL, accessed REAL, deleted REAL, tags TEXT NOT NULL);
CREATE UNIQUE INDEX secretsmanager_secrets_name ON secretsmanager_secrets (region, name);
CREATE TABLE secretsmanager_versions (arn TEXT NOT NULL, version_id TEXT NOT NULL, value BLOB NOT NULL, is_binary INTEGER NOT NULL,
  stages TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (arn, version_id));
`,
  },
];

export interface SecretRow { arn: string; region: string; name: string; kms_key: string | null; description: string | null; created: number; changed: number; accessed: number | null; deleted: number | null; tags: string }
export interface VersionRow { arn: string; version_id: string; value: Buffer; is_binary: number; stages: string; created: number }

const SUFFIX = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class Secrets {
  constructor(private readonly o: { store: Store; clock: Clock; kms: KmsApi; accountId: string }) {}
  init(): Promise<void> {
    return this.o.store.migrate('secretsmanager', SECRETS_MIGRATIONS);
  }
  now(): number {
    return this.o.clock.now() / 1000;
  }

  /** A secret by name or (full or partial) ARN; deleted ones past their window are gone. */
  async find(region: string, id: string, opts: { deleted?: boolean } = {}): Promise<SecretRow> {
    await this.o.store.run('DELETE FROM secretsmanager_secrets WHERE deleted IS NOT NULL AND deleted <= ?', [this.now()]);
    let s: SecretRow | undefined;
    if (id.startsWith('arn:')) {
      s = await this.o.store.get<SecretRow>('SELECT * FROM secretsmanager_secrets WHERE arn = ?', [id]);
      s ??= await this.o.store.get<SecretRow>('SELECT * FROM secretsmanager_secrets WHERE substr(arn, 1, ?) = ? AND length(arn) = ?', [id.length + 1, `${id}-`, id.length + 7]);
    } else s = await this.o.store.get<SecretRow>('SELECT * FROM secretsmanager_secrets WHERE region = ? AND name = ?', [region, id]);
    if (!s) throw E.notFound();
    if (s.deleted !== null && !opts.deleted) throw E.markedForDeletion();
    return s;
  }

  async list(region: string): Promise<SecretRow[]> {
    await this.o.store.run('DELETE FROM secretsmanager_secrets WHERE deleted IS NOT NULL AND deleted <= ?', [this.now()]);
    return this.o.store.all<SecretRow>('SELECT * FROM secretsmanager_secrets WHERE region = ? ORDER BY name', [region]);
  }

  async create(region: string, p: { name: string; description?: string; kmsKeyId?: string; tags?: Record<string, string> }): Promise<SecretRow> {
    const suffix = Array.from(randomBytes(6), (b) => SUFFIX[b % SUFFIX.length]).join('');
    const kms = p.kmsKeyId ? await this.o.kms.keyArn(region, p.kmsKeyId) : null;
    const now = this.now();
    const row: SecretRow = { arn: `arn:aws:secretsmanager:${region}:${this.o.accountId}:secret:${p.name}-${suffix}`, region, name: p.name, kms_key: kms, description: p.description ?? null, created: now, changed: now, accessed: null, deleted: null, tags: JSON.stringify(p.tags ?? {}) };
    const r = await this.o.store.run(
      'INSERT INTO secretsmanager_secrets (arn, region, name, kms_key, description, created, changed, accessed, deleted, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region, name) DO NOTHING',
      [row.arn, region, row.name, kms, row.description, now, now, null, null, row.tags],
    );
    if (!r.changes) throw E.exists(p.name);
    return row;
  }

  versions(arn: string): Promise<VersionRow[]> {
    return this.o.store.all<VersionRow>('SELECT * FROM secretsmanager_versions WHERE arn = ? ORDER BY created, version_id', [arn]);
  }

  /** Adds a version (idempotent on its token) and moves the stages: AWSCURRENT's old holder becomes AWSPREVIOUS. */
  async putValue(s: SecretRow, value: Buffer, binary: boolean, token: string | undefined, stages: string[] = ['AWSCURRENT']): Promise<{ versionId: string; stages: string[] }> {
    const versionId = token ?? randomUUID();
    const existing = (await this.versions(s.arn)).find((v) => v.version_id === versionId);
    if (existing) return { versionId, stages: JSON.parse(existing.stages) as string[] };
    const key = s.kms_key ?? (await this.o.kms.awsManagedKey(s.region, 'alias/aws/secretsmanager'));
    // A key that is missing, disabled or pending deletion is Secrets Manager's EncryptionFailure, not KMS's own error.
    const blob = (
      await this.o.kms.encrypt(s.region, key, value, { SecretARN: s.arn, SecretVersionId: versionId }).catch((err: unknown) => {
        throw err instanceof AwsError && /NotFound|Disabled|InvalidState/.test(err.code) ? E.encryptionFailure() : err;
      })
    ).blob;
    await this.o.store.tx(async (q) => {
      const all = await q.all<{ version_id: string; stages: string }>('SELECT version_id, stages FROM secretsmanager_versions WHERE arn = ?', [s.arn]);
      for (const v of all) {
        let st = JSON.parse(v.stages) as string[];
        const before = st.join(',');
        if (stages.includes('AWSCURRENT')) {
          st = st.filter((x) => x !== 'AWSPREVIOUS');
          if (st.includes('AWSCURRENT')) st = [...st.filter((x) => x !== 'AWSCURRENT'), 'AWSPREVIOUS'];
        }
        st = st.filter((x) => x === 'AWSPREVIOUS' || !stages.includes(x));
        if (st.join(',') !== before) await q.run('UPDATE secretsmanager_versions SET stages = ? WHERE arn = ? AND version_id = ?', [JSON.stringify(st), s.arn, v.version_id]);
      }
      await q.run('INSERT INTO secretsmanager_versions (arn, version_id, value, is_binary, stages, created) VALUES (?, ?, ?, ?, ?, ?)', [s.arn, versionId, blob, binary ? 1 : 0, JSON.stringify(stages), this.now()]);
      await q.run('UPDATE secretsmanager_secrets SET changed = ? WHERE arn = ?', [this.now(), s.arn]);
    });
    return { versionId, stages };
  }

  async value(s: SecretRow, versionId?: string, stage?: string): Promise<{ v: VersionRow; value: Buffer }> {
    const all = await this.versions(s.arn);
    const want = stage ?? (versionId ? undefined : 'AWSCURRENT');
    const v = all.find((x) => (versionId === undefined || x.version_id === versionId) && (want === undefined || (JSON.parse(x.stages) as string[]).includes(want)));
    if (!v) throw versionId || stage ? E.notFound() : E.versionNotFound();
    const { plaintext } = await this.o.kms.decrypt(s.region, v.value, { SecretARN: s.arn, SecretVersionId: v.version_id });
    return { v, value: plaintext };
  }

  async update(s: SecretRow, set: Partial<Pick<SecretRow, 'description' | 'kms_key' | 'deleted' | 'tags'>>): Promise<void> {
    const n = { ...s, ...set };
    await this.o.store.run('UPDATE secretsmanager_secrets SET description = ?, kms_key = ?, deleted = ?, tags = ?, changed = ? WHERE arn = ?', [n.description, n.kms_key, n.deleted, n.tags, this.now(), s.arn]);
  }

  async remove(s: SecretRow): Promise<void> {
    await this.o.store.tx(async (q) => {
      await q.run('DELETE FROM secretsmanager_versions WHERE arn = ?', [s.arn]);
      await q.run('DELETE FROM secretsmanager_secrets WHERE arn = ?', [s.arn]);
    });
  }
}
