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
  {
    // Rotation (its function, rules and dates), the resource policy, and versions a rotation has started but whose
    // value its createSecret step has not put yet (has_value 0: AWSPENDING on a version without a value).
    version: 2,
    up: `
ALTER TABLE secretsmanager_secrets ADD COLUMN rotation_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE secretsmanager_secrets ADD COLUMN rotation_lambda TEXT;
ALTER TABLE secretsmanager_secrets ADD COLUMN rotation_rules TEXT;
ALTER TABLE secretsmanager_secrets ADD COLUMN last_rotated REAL;
ALTER TABLE secretsmanager_secrets ADD COLUMN next_rotation REAL;
ALTER TABLE secretsmanager_secrets ADD COLUMN policy TEXT;
ALTER TABLE secretsmanager_versions ADD COLUMN has_value INTEGER NOT NULL DEFAULT 1;
`,
  },
];

export interface SecretRow { arn: string; region: string; name: string; kms_key: string | null; description: string | null; created: number; changed: number; accessed: number | null; deleted: number | null; tags: string;
  rotation_enabled: number; rotation_lambda: string | null; rotation_rules: string | null; last_rotated: number | null; next_rotation: number | null; policy: string | null }
export interface VersionRow { arn: string; version_id: string; value: Buffer; is_binary: number; stages: string; created: number; has_value: number }

export const stagesOf = (v: Pick<VersionRow, 'stages'>): string[] => JSON.parse(v.stages) as string[];

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
    const row: SecretRow = { arn: `arn:aws:secretsmanager:${region}:${this.o.accountId}:secret:${p.name}-${suffix}`, region, name: p.name, kms_key: kms, description: p.description ?? null, created: now, changed: now, accessed: null, deleted: null, tags: JSON.stringify(p.tags ?? {}),
      rotation_enabled: 0, rotation_lambda: null, rotation_rules: null, last_rotated: null, next_rotation: null, policy: null };
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
    if (existing && existing.has_value) {
      // The same request again answers as the first; another value under an existing version id is refused.
      const { value: old } = await this.value(s, versionId);
      if (!old.equals(value) || Boolean(existing.is_binary) !== binary) throw E.resourceExists("You can't modify an existing version, you can only create a new version.");
      return { versionId, stages: stagesOf(existing) };
    }
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
      // A rotation's placeholder (AWSPENDING before createSecret put its value) gets the value and the stages asked for.
      await q.run('DELETE FROM secretsmanager_versions WHERE arn = ? AND version_id = ? AND has_value = 0', [s.arn, versionId]);
      await q.run('INSERT INTO secretsmanager_versions (arn, version_id, value, is_binary, stages, created, has_value) VALUES (?, ?, ?, ?, ?, ?, 1)', [s.arn, versionId, blob, binary ? 1 : 0, JSON.stringify(stages), this.now()]);
      await q.run('UPDATE secretsmanager_secrets SET changed = ? WHERE arn = ?', [this.now(), s.arn]);
    });
    return { versionId, stages };
  }

  async value(s: SecretRow, versionId?: string, stage?: string): Promise<{ v: VersionRow; value: Buffer }> {
    const all = await this.versions(s.arn);
    const want = stage ?? (versionId ? undefined : 'AWSCURRENT');
    const v = all.find((x) => (versionId === undefined || x.version_id === versionId) && (want === undefined || stagesOf(x).includes(want)));
    if (!v || !v.has_value) throw versionId || stage ? E.notFound() : E.versionNotFound();
    const { plaintext } = await this.o.kms.decrypt(s.region, v.value, { SecretARN: s.arn, SecretVersionId: v.version_id });
    return { v, value: plaintext };
  }

  async update(s: SecretRow, set: Partial<Pick<SecretRow, 'description' | 'kms_key' | 'deleted' | 'tags' | 'policy'>>): Promise<void> {
    const n = { ...s, ...set };
    await this.o.store.run('UPDATE secretsmanager_secrets SET description = ?, kms_key = ?, deleted = ?, tags = ?, policy = ?, changed = ? WHERE arn = ?', [n.description, n.kms_key, n.deleted, n.tags, n.policy, this.now(), s.arn]);
  }

  /** Rotation's settings and dates (not a change of the secret's LastChangedDate). */
  async setRotation(arn: string, r: Pick<SecretRow, 'rotation_enabled' | 'rotation_lambda' | 'rotation_rules' | 'last_rotated' | 'next_rotation'>): Promise<void> {
    await this.o.store.run('UPDATE secretsmanager_secrets SET rotation_enabled = ?, rotation_lambda = ?, rotation_rules = ?, last_rotated = ?, next_rotation = ? WHERE arn = ?', [
      r.rotation_enabled, r.rotation_lambda, r.rotation_rules, r.last_rotated, r.next_rotation, arn,
    ]);
  }

  /** A rotation's new version before its value exists: AWSPENDING on the token (createSecret then puts the value). */
  async addPending(s: SecretRow, versionId: string): Promise<void> {
    await this.o.store.tx(async (q) => {
      for (const v of await q.all<{ version_id: string; stages: string }>('SELECT version_id, stages FROM secretsmanager_versions WHERE arn = ?', [s.arn])) {
        const st = stagesOf(v);
        if (st.includes('AWSPENDING') && v.version_id !== versionId) await q.run('UPDATE secretsmanager_versions SET stages = ? WHERE arn = ? AND version_id = ?', [JSON.stringify(st.filter((x) => x !== 'AWSPENDING')), s.arn, v.version_id]);
      }
      await q.run('INSERT INTO secretsmanager_versions (arn, version_id, value, is_binary, stages, created, has_value) VALUES (?, ?, ?, 0, ?, ?, 0) ON CONFLICT (arn, version_id) DO NOTHING', [s.arn, versionId, Buffer.alloc(0), JSON.stringify(['AWSPENDING']), this.now()]);
    });
  }

  /**
   * UpdateSecretVersionStage: `stage` leaves `from` (which must hold it, if given) and goes to `to` (if given);
   * AWSCURRENT moving leaves AWSPREVIOUS on the version it left, as AWS does.
   */
  async moveStage(s: SecretRow, stage: string, from: string | undefined, to: string | undefined): Promise<void> {
    await this.o.store.tx(async (q) => {
      const all = await q.all<{ version_id: string; stages: string; has_value: number }>('SELECT version_id, stages, has_value FROM secretsmanager_versions WHERE arn = ?', [s.arn]);
      const holder = all.find((v) => stagesOf(v).includes(stage));
      if (to !== undefined && !all.some((v) => v.version_id === to)) throw E.invalidParam(`The version ${to} does not exist.`);
      if (from !== undefined && !all.some((v) => v.version_id === from)) throw E.invalidParam(`The version ${from} does not exist.`);
      if (holder && holder.version_id !== to && holder.version_id !== from) {
        throw E.invalidParam(`The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.version_id}, so you must explicitly reference that version in RemoveFromVersionId.`);
      }
      if (from !== undefined && holder?.version_id !== from) throw E.invalidParam(`The staging label ${stage} is not attached to version ${from}.`);
      const set = new Map(all.map((v) => [v.version_id, stagesOf(v)]));
      if (holder && holder.version_id !== to) set.set(holder.version_id, set.get(holder.version_id)!.filter((x) => x !== stage));
      if (to !== undefined && !set.get(to)!.includes(stage)) set.set(to, [...set.get(to)!, stage]);
      if (stage === 'AWSCURRENT' && holder && to !== undefined && holder.version_id !== to) {
        for (const [id, st] of set) if (st.includes('AWSPREVIOUS')) set.set(id, st.filter((x) => x !== 'AWSPREVIOUS'));
        set.set(holder.version_id, [...set.get(holder.version_id)!, 'AWSPREVIOUS']);
      }
      for (const v of all) {
        const st = set.get(v.version_id)!;
        if (st.join(',') !== stagesOf(v).join(',')) await q.run('UPDATE secretsmanager_versions SET stages = ? WHERE arn = ? AND version_id = ?', [JSON.stringify(st), s.arn, v.version_id]);
      }
      await q.run('UPDATE secretsmanager_secrets SET changed = ? WHERE arn = ?', [this.now(), s.arn]);
    });
  }

  /** Drops AWSPENDING from every version (a finished rotation), and versions left with neither label nor value. */
  async clearPending(arn: string): Promise<void> {
    await this.o.store.tx(async (q) => {
      for (const v of await q.all<{ version_id: string; stages: string; has_value: number }>('SELECT version_id, stages, has_value FROM secretsmanager_versions WHERE arn = ?', [arn])) {
        const st = stagesOf(v);
        if (!st.includes('AWSPENDING')) continue;
        const rest = st.filter((x) => x !== 'AWSPENDING');
        if (!v.has_value && rest.length === 0) await q.run('DELETE FROM secretsmanager_versions WHERE arn = ? AND version_id = ?', [arn, v.version_id]);
        else await q.run('UPDATE secretsmanager_versions SET stages = ? WHERE arn = ? AND version_id = ?', [JSON.stringify(rest), arn, v.version_id]);
      }
    });
  }

  async remove(s: SecretRow): Promise<void> {
    await this.o.store.tx(async (q) => {
      await q.run('DELETE FROM secretsmanager_versions WHERE arn = ?', [s.arn]);
      await q.run('DELETE FROM secretsmanager_secrets WHERE arn = ?', [s.arn]);
    });
  }
}
