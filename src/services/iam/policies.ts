// Managed policies: customer managed ones in the store with their versions (at most 5, one default), and the AWS
// managed ones from aws-managed.ts, both seen through one view with their attachment counts.
import type { Store } from '../../store/store.js';
import { awsManaged, awsManagedArn, AWS_MANAGED } from './aws-managed.js';
import type { Directory } from './directory.js';
import * as E from './errors.js';
import type { Tag } from './form.js';
import { newId, type ManagedPolicy, type PolicyVersion } from './model.js';

/** A managed policy as the API shows it (GetPolicy, ListPolicies): the stored fields but the version counter, and
 * how many entities it is attached to, and whether AWS manages it. */
export interface PolicyView extends Omit<ManagedPolicy, 'nextVersion'> {
  attachmentCount: number;
  aws: boolean;
}

const MAX_VERSIONS = 5;

export class Policies {
  constructor(private readonly o: { store: Store; dir: Directory; accountId: string }) {}

  arnOf(path: string, name: string): string {
    return `arn:aws:iam::${this.o.accountId}:policy${path}${name}`;
  }

  private async local(arn: string): Promise<ManagedPolicy | undefined> {
    const r = await this.o.store.get<{ body: string }>('SELECT body FROM iam_policies WHERE arn = ?', [arn]);
    return r ? (JSON.parse(r.body) as ManagedPolicy) : undefined;
  }

  private async requireLocal(arn: string): Promise<ManagedPolicy> {
    const p = await this.local(arn);
    if (!p) throw awsManaged(arn) ? E.invalidInput(`ARN ${arn} is not valid.`) : E.noSuchEntity(`Policy ${arn} was not found.`);
    return p;
  }

  private async saveLocal(p: ManagedPolicy): Promise<void> {
    await this.o.store.run('UPDATE iam_policies SET body = ? WHERE arn = ?', [JSON.stringify(p), p.arn]);
  }

  async create(o: { name: string; path: string; description?: string; document: string; tags: Tag[] }): Promise<PolicyView> {
    if (await this.o.store.get('SELECT 1 AS x FROM iam_policies WHERE name_key = ?', [o.name.toLowerCase()])) throw E.alreadyExists(`A policy called ${o.name} already exists. Duplicate names are not allowed.`);
    const now = this.o.dir.now();
    const p: ManagedPolicy = { arn: this.arnOf(o.path, o.name), id: newId('ANPA'), name: o.name, path: o.path, created: now, updated: now, defaultVersion: 'v1', nextVersion: 2, tags: o.tags, ...(o.description !== undefined ? { description: o.description } : {}) };
    await this.o.store.tx(async (q) => {
      await q.run('INSERT INTO iam_policies (arn, name_key, id, created, body) VALUES (?, ?, ?, ?, ?)', [p.arn, o.name.toLowerCase(), p.id, now, JSON.stringify(p)]);
      await q.run('INSERT INTO iam_policy_versions (arn, version_id, document, created) VALUES (?, ?, ?, ?)', [p.arn, 'v1', o.document, now]);
    });
    return this.viewOf(p, 0);
  }

  private viewOf(p: ManagedPolicy, attachmentCount: number): PolicyView {
    return { arn: p.arn, id: p.id, name: p.name, path: p.path, description: p.description, created: p.created, updated: p.updated, defaultVersion: p.defaultVersion, attachmentCount, tags: p.tags, aws: false };
  }

  /** A managed policy (customer or AWS) by ARN; NoSuchEntity as GetPolicy words it. */
  async get(arn: string): Promise<PolicyView> {
    const counts = await this.o.dir.attachmentCounts();
    const a = awsManaged(arn);
    if (a) return { arn, id: a.id, name: a.name, path: a.path, description: a.description, created: Date.parse(a.created), updated: Date.parse(a.updated), defaultVersion: a.version, attachmentCount: counts.get(arn) ?? 0, tags: [], aws: true };
    const p = await this.local(arn);
    if (!p) throw E.noSuchEntity(`Policy ${arn} was not found.`);
    return this.viewOf(p, counts.get(arn) ?? 0);
  }

  /** For Attach*Policy: the policy must exist (its own wording). */
  async attachable(arn: string): Promise<void> {
    if (!awsManaged(arn) && !(await this.local(arn))) throw E.policyNotFound(arn);
  }

  async list(o: { scope: 'All' | 'AWS' | 'Local'; onlyAttached: boolean; pathPrefix: string }): Promise<PolicyView[]> {
    const counts = await this.o.dir.attachmentCounts();
    const out: PolicyView[] = [];
    if (o.scope !== 'Local') for (const a of AWS_MANAGED) out.push(await this.get(awsManagedArn(a)));
    if (o.scope !== 'AWS') for (const r of await this.o.store.all<{ body: string }>('SELECT body FROM iam_policies')) {
      const p = JSON.parse(r.body) as ManagedPolicy;
      out.push(this.viewOf(p, counts.get(p.arn) ?? 0));
    }
    return out.filter((p) => p.path.startsWith(o.pathPrefix) && (!o.onlyAttached || p.attachmentCount > 0)).sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  }

  async delete(arn: string): Promise<void> {
    await this.requireLocal(arn);
    const n = Number((await this.o.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM iam_attached WHERE policy_arn = ?', [arn]))?.n ?? 0);
    if (n > 0) throw E.deleteConflict('Cannot delete a policy attached to entities.');
    if ((await this.versions(arn)).length > 1) throw E.deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
    await this.o.store.tx(async (q) => {
      await q.run('DELETE FROM iam_policy_versions WHERE arn = ?', [arn]);
      await q.run('DELETE FROM iam_policies WHERE arn = ?', [arn]);
    });
    this.o.dir.changed();
  }

  async tag(arn: string, tags: Tag[]): Promise<void> {
    const p = await this.requireLocal(arn);
    p.tags = tags;
    await this.saveLocal(p);
  }

  async versions(arn: string): Promise<PolicyVersion[]> {
    const a = awsManaged(arn);
    if (a) return [{ versionId: a.version, document: JSON.stringify(a.document), created: Date.parse(a.created), isDefault: true }];
    const p = await this.requireLocal(arn);
    const rows = await this.o.store.all<{ version_id: string; document: string; created: number }>('SELECT version_id, document, created FROM iam_policy_versions WHERE arn = ?', [arn]);
    return rows
      .map((r) => ({ versionId: r.version_id, document: r.document, created: r.created, isDefault: r.version_id === p.defaultVersion }))
      .sort((x, y) => Number(y.versionId.slice(1)) - Number(x.versionId.slice(1)));
  }

  async version(arn: string, versionId: string): Promise<PolicyVersion> {
    const v = (await this.versions(arn)).find((x) => x.versionId === versionId);
    if (!v) throw E.noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return v;
  }

  /** The document of the default version (what an attachment grants). */
  async defaultDocument(arn: string): Promise<string | undefined> {
    const a = awsManaged(arn);
    if (a) return JSON.stringify(a.document);
    const p = await this.local(arn);
    if (!p) return undefined;
    return (await this.o.store.get<{ document: string }>('SELECT document FROM iam_policy_versions WHERE arn = ? AND version_id = ?', [arn, p.defaultVersion]))?.document;
  }

  async createVersion(arn: string, document: string, setAsDefault: boolean): Promise<PolicyVersion> {
    const p = await this.requireLocal(arn);
    if ((await this.versions(arn)).length >= MAX_VERSIONS) throw E.limitExceeded('A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
    const versionId = `v${p.nextVersion}`;
    const now = this.o.dir.now();
    p.nextVersion += 1;
    p.updated = now;
    if (setAsDefault) p.defaultVersion = versionId;
    await this.o.store.tx(async (q) => {
      await q.run('INSERT INTO iam_policy_versions (arn, version_id, document, created) VALUES (?, ?, ?, ?)', [arn, versionId, document, now]);
      await q.run('UPDATE iam_policies SET body = ? WHERE arn = ?', [JSON.stringify(p), arn]);
    });
    if (setAsDefault) this.o.dir.changed();
    return { versionId, document, created: now, isDefault: setAsDefault };
  }

  async deleteVersion(arn: string, versionId: string): Promise<void> {
    const p = await this.requireLocal(arn);
    await this.version(arn, versionId);
    if (p.defaultVersion === versionId) throw E.deleteConflict('Cannot delete the default version of a policy.');
    await this.o.store.run('DELETE FROM iam_policy_versions WHERE arn = ? AND version_id = ?', [arn, versionId]);
  }

  async setDefault(arn: string, versionId: string): Promise<void> {
    const p = await this.requireLocal(arn);
    await this.version(arn, versionId);
    p.defaultVersion = versionId;
    p.updated = this.o.dir.now();
    await this.saveLocal(p);
    this.o.dir.changed();
  }
}
