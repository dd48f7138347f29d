// IAM's principals and what hangs off them, in the store: users, groups, roles, instance profiles, their inline
// policies, managed-policy attachments, group members and access keys, with IAM's conflicts and limits.
import type { Clock } from '../../lib/clock.js';
import type { Notifier } from '../../store/notifier.js';
import type { Queryable, Store } from '../../store/store.js';
import * as E from './errors.js';
import { newAccessKeyId, newSecret, principalBody, rowToPrincipal, type AccessKeyRow, type Kind, type Principal, type PrincipalRow } from './model.js';

/** Channels: an access key changed (payload: its id), and anything a policy set depends on changed. */
export const KEY_CHANNEL = 'iam:key';
export const CHANGED_CHANNEL = 'iam:changed';

const WORD: Record<Kind, E.EntityWord> = { user: 'user', group: 'group', role: 'role', 'instance-profile': 'instance profile' };
const TITLE: Record<Kind, string> = { user: 'User', group: 'Group', role: 'Role', 'instance-profile': 'Instance Profile' };

export class Directory {
  constructor(private readonly o: { store: Store; clock: Clock; notifier: Notifier; accountId: string }) {}

  get accountId(): string {
    return this.o.accountId;
  }

  now(): number {
    return this.o.clock.now();
  }

  changed(): void {
    this.o.notifier.notify(CHANGED_CHANNEL, '');
  }

  private keyChanged(id: string): void {
    this.o.notifier.notify(KEY_CHANNEL, id);
  }

  async find(kind: Kind, name: string): Promise<Principal | undefined> {
    const r = await this.o.store.get<PrincipalRow>('SELECT * FROM iam_principals WHERE kind = ? AND name_key = ?', [kind, name.toLowerCase()]);
    return r ? rowToPrincipal(this.o.accountId, r) : undefined;
  }

  async get(kind: Kind, name: string): Promise<Principal> {
    const p = await this.find(kind, name);
    if (!p) throw kind === 'instance-profile' ? E.noSuchEntity(`Instance Profile ${name} cannot be found.`) : E.notFound(WORD[kind], name);
    return p;
  }

  async byId(id: string): Promise<Principal | undefined> {
    const r = await this.o.store.get<PrincipalRow>('SELECT * FROM iam_principals WHERE id = ?', [id]);
    return r ? rowToPrincipal(this.o.accountId, r) : undefined;
  }

  async list(kind: Kind, pathPrefix = '/'): Promise<Principal[]> {
    const rows = await this.o.store.all<PrincipalRow>('SELECT * FROM iam_principals WHERE kind = ? AND substr(path, 1, ?) = ? ORDER BY name_key', [kind, pathPrefix.length, pathPrefix]);
    return rows.map((r) => rowToPrincipal(this.o.accountId, r));
  }

  async create(p: Principal): Promise<Principal> {
    const r = await this.o.store.run(
      'INSERT INTO iam_principals (kind, name_key, name, id, path, created, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name_key) DO NOTHING',
      [p.kind, p.name.toLowerCase(), p.name, p.id, p.path, p.created, principalBody(p)],
    );
    if (r.changes === 0) throw E.alreadyExists(p.kind === 'instance-profile' ? `Instance Profile ${p.name} already exists.` : `${TITLE[p.kind]} with name ${p.name} already exists.`);
    return p;
  }

  /** Saves a changed principal; a new name or path (UpdateUser) moves it, refused if the new name is taken. */
  async save(p: Principal, oldName = p.name): Promise<void> {
    if (oldName.toLowerCase() !== p.name.toLowerCase() && (await this.find(p.kind, p.name))) throw E.alreadyExists(`${TITLE[p.kind]} with name ${p.name} already exists.`);
    await this.o.store.run('UPDATE iam_principals SET name_key = ?, name = ?, path = ?, body = ? WHERE id = ?', [p.name.toLowerCase(), p.name, p.path, principalBody(p), p.id]);
    // A renamed user's keys now speak for another ARN; a role's trust or boundary feeds policy sets.
    if (p.kind === 'user') for (const k of await this.keysOf(p.id)) this.keyChanged(k.id);
    this.changed();
  }

  /** Records a role's use (AssumeRole): only that field, re-read in the transaction, so a concurrent update stands. */
  async markUsed(p: Principal, region: string): Promise<void> {
    await this.o.store.tx(async (q) => {
      const r = await q.get<PrincipalRow>('SELECT * FROM iam_principals WHERE id = ?', [p.id]);
      if (!r) return;
      const cur = rowToPrincipal(this.o.accountId, r);
      cur.lastUsed = { at: this.now(), region };
      await q.run('UPDATE iam_principals SET body = ? WHERE id = ?', [principalBody(cur), p.id]);
    });
  }

  /** Deletes a principal that nothing depends on any more (DeleteConflict names what is left, as IAM does). */
  async delete(p: Principal): Promise<void> {
    const st = this.o.store;
    const count = async (sql: string): Promise<number> => Number((await st.get<{ n: number }>(sql, [p.id]))?.n ?? 0);
    if (p.kind === 'user' && (await count('SELECT COUNT(*) AS n FROM iam_access_keys WHERE user_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must delete access keys first.');
    if (p.kind !== 'instance-profile' && (await count('SELECT COUNT(*) AS n FROM iam_inline WHERE owner_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must delete policies first.');
    if (p.kind !== 'instance-profile' && (await count('SELECT COUNT(*) AS n FROM iam_attached WHERE owner_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must detach all policies first.');
    if (p.kind === 'user' && (await count('SELECT COUNT(*) AS n FROM iam_members WHERE member_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must remove users from group first.');
    if (p.kind === 'group' && (await count('SELECT COUNT(*) AS n FROM iam_members WHERE group_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must remove users from group first.');
    if (p.kind === 'instance-profile' && (await count('SELECT COUNT(*) AS n FROM iam_members WHERE group_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    if (p.kind === 'role' && (await count('SELECT COUNT(*) AS n FROM iam_members WHERE member_id = ?')) > 0) throw E.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    await st.tx(async (q) => {
      await q.run('DELETE FROM iam_members WHERE group_id = ?', [p.id]);
      await q.run('DELETE FROM iam_principals WHERE id = ?', [p.id]);
    });
    this.changed();
  }

  // Inline policies ---------------------------------------------------------------------------------------------

  async putInline(owner: Principal, name: string, document: string): Promise<void> {
    await this.o.store.run('INSERT INTO iam_inline (owner_id, name_key, name, document) VALUES (?, ?, ?, ?) ON CONFLICT (owner_id, name_key) DO UPDATE SET name = excluded.name, document = excluded.document', [owner.id, name.toLowerCase(), name, document]);
    this.changed();
  }

  async getInline(owner: Principal, name: string): Promise<{ name: string; document: string }> {
    const r = await this.o.store.get<{ name: string; document: string }>('SELECT name, document FROM iam_inline WHERE owner_id = ? AND name_key = ?', [owner.id, name.toLowerCase()]);
    if (!r) throw E.noSuchEntity(`The ${owner.kind} policy with name ${name} cannot be found.`);
    return r;
  }

  async listInline(owner: Principal): Promise<{ name: string; document: string }[]> {
    return this.o.store.all('SELECT name, document FROM iam_inline WHERE owner_id = ? ORDER BY name_key', [owner.id]);
  }

  async deleteInline(owner: Principal, name: string): Promise<void> {
    await this.getInline(owner, name);
    await this.o.store.run('DELETE FROM iam_inline WHERE owner_id = ? AND name_key = ?', [owner.id, name.toLowerCase()]);
    this.changed();
  }

  // Managed-policy attachments ----------------------------------------------------------------------------------

  async attach(owner: Principal, policyArn: string): Promise<void> {
    const n = Number((await this.o.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM iam_attached WHERE owner_id = ?', [owner.id]))?.n ?? 0);
    const already = await this.o.store.get('SELECT 1 AS x FROM iam_attached WHERE owner_id = ? AND policy_arn = ?', [owner.id, policyArn]);
    if (!already && n >= 10) throw E.limitExceeded(`Cannot exceed quota for PoliciesPerUser: 10`.replace('User', owner.kind === 'role' ? 'Role' : owner.kind === 'group' ? 'Group' : 'User'));
    await this.o.store.run('INSERT INTO iam_attached (owner_id, policy_arn) VALUES (?, ?) ON CONFLICT (owner_id, policy_arn) DO NOTHING', [owner.id, policyArn]);
    this.changed();
  }

  async detach(owner: Principal, policyArn: string): Promise<void> {
    const r = await this.o.store.run('DELETE FROM iam_attached WHERE owner_id = ? AND policy_arn = ?', [owner.id, policyArn]);
    if (r.changes === 0) throw E.noSuchEntity(`Policy ${policyArn} was not found.`);
    this.changed();
  }

  async attachedTo(owner: Principal): Promise<string[]> {
    return (await this.o.store.all<{ policy_arn: string }>('SELECT policy_arn FROM iam_attached WHERE owner_id = ? ORDER BY policy_arn', [owner.id])).map((r) => r.policy_arn);
  }

  /** The principals a managed policy is attached to. */
  async attachmentsOf(policyArn: string, q: Queryable = this.o.store): Promise<Principal[]> {
    const rows = await q.all<PrincipalRow>('SELECT p.* FROM iam_principals p JOIN iam_attached a ON a.owner_id = p.id WHERE a.policy_arn = ? ORDER BY p.name_key', [policyArn]);
    return rows.map((r) => rowToPrincipal(this.o.accountId, r));
  }

  async attachmentCounts(): Promise<Map<string, number>> {
    const rows = await this.o.store.all<{ policy_arn: string; n: number }>('SELECT policy_arn, COUNT(*) AS n FROM iam_attached GROUP BY policy_arn');
    return new Map(rows.map((r) => [r.policy_arn, Number(r.n)]));
  }

  // Group members and instance-profile roles (one table: a container and what is in it) -----------------------

  async addMember(container: Principal, member: Principal): Promise<void> {
    if (container.kind === 'instance-profile') {
      const n = Number((await this.o.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM iam_members WHERE group_id = ?', [container.id]))?.n ?? 0);
      if (n >= 1) throw E.limitExceeded('Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
    }
    await this.o.store.run('INSERT INTO iam_members (group_id, member_id) VALUES (?, ?) ON CONFLICT (group_id, member_id) DO NOTHING', [container.id, member.id]);
    this.changed();
  }

  async removeMember(container: Principal, member: Principal): Promise<void> {
    const r = await this.o.store.run('DELETE FROM iam_members WHERE group_id = ? AND member_id = ?', [container.id, member.id]);
    if (r.changes === 0) {
      throw container.kind === 'group'
        ? E.noSuchEntity(`The user with name ${member.name} cannot be found in group ${container.name}.`)
        : E.noSuchEntity(`The role with name ${member.name} cannot be found.`);
    }
    this.changed();
  }

  async members(container: Principal): Promise<Principal[]> {
    const rows = await this.o.store.all<PrincipalRow>('SELECT p.* FROM iam_principals p JOIN iam_members m ON m.member_id = p.id WHERE m.group_id = ? ORDER BY p.name_key', [container.id]);
    return rows.map((r) => rowToPrincipal(this.o.accountId, r));
  }

  /** The groups of a user, or the instance profiles of a role. */
  async containers(member: Principal): Promise<Principal[]> {
    const rows = await this.o.store.all<PrincipalRow>('SELECT p.* FROM iam_principals p JOIN iam_members m ON m.group_id = p.id WHERE m.member_id = ? ORDER BY p.name_key', [member.id]);
    return rows.map((r) => rowToPrincipal(this.o.accountId, r));
  }

  // Access keys -------------------------------------------------------------------------------------------------

  async createKey(user: Principal): Promise<AccessKeyRow> {
    const keys = await this.keysOf(user.id);
    if (keys.length >= 2) throw E.limitExceeded('Cannot exceed quota for AccessKeysPerUser: 2');
    const row: AccessKeyRow = { id: newAccessKeyId('AKIA'), user_id: user.id, secret: newSecret(), status: 'Active', created: this.now(), last_used: null, last_service: null, last_region: null };
    await this.o.store.run('INSERT INTO iam_access_keys (id, user_id, secret, status, created) VALUES (?, ?, ?, ?, ?)', [row.id, row.user_id, row.secret, row.status, row.created]);
    this.keyChanged(row.id);
    return row;
  }

  async keysOf(userId: string): Promise<AccessKeyRow[]> {
    return this.o.store.all<AccessKeyRow>('SELECT * FROM iam_access_keys WHERE user_id = ? ORDER BY created, id', [userId]);
  }

  async key(id: string): Promise<AccessKeyRow | undefined> {
    return this.o.store.get<AccessKeyRow>('SELECT * FROM iam_access_keys WHERE id = ?', [id]);
  }

  async keyOf(user: Principal, id: string): Promise<AccessKeyRow> {
    const k = await this.key(id);
    if (!k || k.user_id !== user.id) throw E.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    return k;
  }

  async setKeyStatus(k: AccessKeyRow, status: 'Active' | 'Inactive'): Promise<void> {
    await this.o.store.run('UPDATE iam_access_keys SET status = ? WHERE id = ?', [status, k.id]);
    this.keyChanged(k.id);
  }

  async deleteKey(k: AccessKeyRow): Promise<void> {
    await this.o.store.run('DELETE FROM iam_access_keys WHERE id = ?', [k.id]);
    this.keyChanged(k.id);
  }

  /** Records a key's use (GetAccessKeyLastUsed); best effort, off the caller's path. */
  async keyUsed(id: string, service: string, region: string): Promise<void> {
    await this.o.store.run('UPDATE iam_access_keys SET last_used = ?, last_service = ?, last_region = ? WHERE id = ?', [this.now(), service, region, id]);
  }
}
