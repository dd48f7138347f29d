// Parameters and their versions in the store; SecureString values are encrypted through KMS.
import type { Clock } from '../../lib/clock.js';
import type { Migration, Store } from '../../store/store.js';
import type { KmsApi } from '../kms/index.js';
import * as E from './errors.js';

export const SSM_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE ssm_params (region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, value BLOB NOT NULL,
  key_id TEXT, description TEXT, modified REAL NOT NULL, tier TEXT NOT NULL, pattern TEXT, labels TEXT NOT NULL, PRIMARY KEY (region, name, version));
`,
  },
];

export interface ParamRow {
  region: string; name: string; version: number; type: string; value: Buffer; key_id: string | null; description: string | null;
  modified: number; tier: string; pattern: string | null; labels: string;
}

const NAME_RE = /^[a-zA-Z0-9_.\-/]+$/;

export function checkName(name: string): void {
  if (name.startsWith('/aws/')) throw E.accessDenied(name);
  if (/^\/?(aws|ssm)/i.test(name)) {
    throw E.validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as part of a path, it can\'t be prefixed with "/aws" or "/ssm".');
  }
  if (!NAME_RE.test(name) || name.includes('//') || (name.includes('/') && !name.startsWith('/'))) {
    throw E.validation('Parameter name must be a fully qualified name.');
  }
  if (name.split('/').length - 1 > 15) throw E.hierarchy();
}

export class Params {
  constructor(private readonly o: { store: Store; clock: Clock; kms: KmsApi; accountId: string }) {}

  init(): Promise<void> {
    return this.o.store.migrate('ssm', SSM_MIGRATIONS);
  }

  arn(region: string, name: string): string {
    return `arn:aws:ssm:${region}:${this.o.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  latest(region: string, name: string): Promise<ParamRow | undefined> {
    return this.o.store.get<ParamRow>('SELECT * FROM ssm_params WHERE region = ? AND name = ? ORDER BY version DESC LIMIT 1', [region, name]);
  }

  history(region: string, name: string): Promise<ParamRow[]> {
    return this.o.store.all<ParamRow>('SELECT * FROM ssm_params WHERE region = ? AND name = ? ORDER BY version', [region, name]);
  }

  async all(region: string): Promise<ParamRow[]> {
    const rows = await this.o.store.all<ParamRow>('SELECT * FROM ssm_params WHERE region = ? ORDER BY name, version', [region]);
    const last = new Map<string, ParamRow>();
    for (const r of rows) last.set(r.name, r);
    return [...last.values()];
  }

  /** A parameter by `name`, `name:version` or `name:label`. */
  async select(region: string, ref: string): Promise<ParamRow> {
    const i = ref.lastIndexOf(':');
    const name = i > 0 ? ref.slice(0, i) : ref;
    const sel = i > 0 ? ref.slice(i + 1) : undefined;
    const hist = await this.history(region, name);
    if (!hist.length) throw E.notFound();
    if (sel === undefined) return hist[hist.length - 1]!;
    if (/^\d+$/.test(sel)) {
      const r = hist.find((h) => h.version === Number(sel));
      if (!r) throw E.versionNotFound(name, sel);
      return r;
    }
    const r = hist.find((h) => (JSON.parse(h.labels) as string[]).includes(sel));
    if (!r) throw E.versionNotFound(name, sel);
    return r;
  }

  async put(region: string, p: { name: string; value: string; type?: string; keyId?: string; description?: string; overwrite: boolean; tier?: string; pattern?: string }): Promise<{ version: number; tier: string }> {
    checkName(p.name);
    const prev = await this.latest(region, p.name);
    if (prev && !p.overwrite) throw E.exists();
    const type = p.type ?? prev?.type;
    if (!type) throw E.validation('A parameter type is required when you create a parameter.');
    if (!['String', 'StringList', 'SecureString'].includes(type)) throw E.badType(type);
    const pattern = p.pattern ?? prev?.pattern ?? undefined;
    if (pattern && !new RegExp(pattern).test(p.value)) throw E.badPattern(pattern);
    let value: Buffer = Buffer.from(p.value, "utf8");
    let keyId: string | null = null;
    if (type === 'SecureString') {
      keyId = p.keyId ? await this.o.kms.keyArn(region, p.keyId) : await this.o.kms.awsManagedKey(region, 'alias/aws/ssm');
      value = (await this.o.kms.encrypt(region, keyId, value, { PARAMETER_ARN: this.arn(region, p.name) })).blob;
    }
    const version = (prev?.version ?? 0) + 1;
    const tier = p.tier === 'Advanced' || p.tier === 'Intelligent-Tiering' ? (p.tier === 'Advanced' || value.length > 4096 ? 'Advanced' : 'Standard') : (prev?.tier ?? 'Standard');
    const r = await this.o.store.run(
      'INSERT INTO ssm_params (region, name, version, type, value, key_id, description, modified, tier, pattern, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region, name, version) DO NOTHING',
      [region, p.name, version, type, value, keyId, p.description ?? prev?.description ?? null, this.o.clock.now() / 1000, tier, pattern ?? null, '[]'],
    );
    if (!r.changes) throw E.exists();
    return { version, tier };
  }

  async value(r: ParamRow, decrypt: boolean): Promise<string> {
    if (r.type !== 'SecureString') return r.value.toString('utf8');
    if (!decrypt) return r.value.toString('base64');
    return (await this.o.kms.decrypt(r.region, r.value, { PARAMETER_ARN: this.arn(r.region, r.name) })).plaintext.toString('utf8');
  }

  async delete(region: string, name: string): Promise<boolean> {
    return (await this.o.store.run('DELETE FROM ssm_params WHERE region = ? AND name = ?', [region, name])).changes > 0;
  }

  async setLabels(r: ParamRow, labels: string[]): Promise<void> {
    await this.o.store.run('UPDATE ssm_params SET labels = ? WHERE region = ? AND name = ? AND version = ?', [JSON.stringify(labels), r.region, r.name, r.version]);
  }
}
