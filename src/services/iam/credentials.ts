// Who an access key speaks for, on every request's hot path: IAM users' keys and STS sessions, read through to the
// store on a miss (another node's new key works here at once) and cached briefly, dropped on a `iam:key` hint and
// re-read after at most CACHE_MS, so that a key deleted or made Inactive on any node stops working within that bound.
import type { Clock } from '../../lib/clock.js';
import type { Caller, Credential, CredentialSource } from '../../server/auth.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { KEY_CHANNEL } from './directory.js';
import { newAccessKeyId, newSecret, newSessionToken, principalArn, type AccessKeyRow, type PrincipalRow } from './model.js';

/** How long a cached credential is trusted without re-reading the store (the bound on a missed hint). */
export const CACHE_MS = 5_000;

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiration: number;
}

export class Credentials implements CredentialSource {
  private readonly cache = new Map<string, { cred: Credential; at: number }>();
  private unlisten: (() => void) | undefined;

  constructor(private readonly o: { store: Store; clock: Clock; notifier: Notifier; accountId: string }) {}

  listen(): void {
    this.unlisten = this.o.notifier.listen(KEY_CHANNEL, (id) => {
      if (id) this.cache.delete(id);
      else this.cache.clear();
    });
  }

  close(): void {
    this.unlisten?.();
    this.cache.clear();
  }

  async lookup(accessKeyId: string): Promise<Credential | undefined> {
    const now = this.o.clock.now();
    const hit = this.cache.get(accessKeyId);
    if (hit && now - hit.at < CACHE_MS) return hit.cred;
    const cred = accessKeyId.startsWith('ASIA') ? await this.session(accessKeyId) : await this.userKey(accessKeyId);
    if (cred) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(accessKeyId, { cred, at: now });
    } else this.cache.delete(accessKeyId);
    return cred;
  }

  private async userKey(id: string): Promise<Credential | undefined> {
    const k = await this.o.store.get<AccessKeyRow>('SELECT * FROM iam_access_keys WHERE id = ?', [id]);
    if (!k) return undefined;
    const u = await this.o.store.get<PrincipalRow>('SELECT * FROM iam_principals WHERE id = ?', [k.user_id]);
    if (!u) return undefined;
    // GetAccessKeyLastUsed's date: recorded when an active key is (re)read, so at most once per cache period per
    // node, and off the request's path (a lost update only makes the date a little older).
    if (k.status === 'Active') void this.o.store.run('UPDATE iam_access_keys SET last_used = ? WHERE id = ?', [this.o.clock.now(), id]).catch(() => undefined);
    const caller: Caller = { arn: principalArn(this.o.accountId, 'user', u.path, u.name), accountId: this.o.accountId, userId: u.id, kind: 'user', accessKeyId: id };
    return { secretAccessKey: k.secret, caller, active: k.status === 'Active' };
  }

  private async session(id: string): Promise<Credential | undefined> {
    const r = await this.o.store.get<{ secret: string; token: string; expires: number; caller: string }>('SELECT secret, token, expires, caller FROM iam_sessions WHERE id = ?', [id]);
    if (!r) return undefined;
    return { secretAccessKey: r.secret, sessionToken: r.token, expiresAt: Number(r.expires), caller: JSON.parse(r.caller) as Caller, active: true };
  }

  /** Issues temporary credentials for a caller (an assumed role, or a user's GetSessionToken), durable before they are handed out. */
  async issue(caller: Omit<Caller, 'accessKeyId' | 'temporary'>, durationSeconds: number): Promise<TemporaryCredentials> {
    const now = this.o.clock.now();
    const t: TemporaryCredentials = { accessKeyId: newAccessKeyId('ASIA'), secretAccessKey: newSecret(), sessionToken: newSessionToken(), expiration: now + durationSeconds * 1000 };
    const full: Caller = { ...caller, accessKeyId: t.accessKeyId, temporary: true };
    await this.o.store.tx(async (q) => {
      // Sessions expired for a while are of no use to anyone: removed as new ones are made, so no sweeper is needed.
      await q.run('DELETE FROM iam_sessions WHERE expires < ?', [now - 3_600_000]);
      await q.run('INSERT INTO iam_sessions (id, secret, token, expires, caller) VALUES (?, ?, ?, ?, ?)', [t.accessKeyId, t.secretAccessKey, t.sessionToken, t.expiration, JSON.stringify(full)]);
    });
    return t;
  }
}
