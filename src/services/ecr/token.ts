// Registry passwords as GetAuthorizationToken hands them out (`AWS:<password>`, valid 12 hours): an expiry and the
// account, signed with a key derived from the node's root secret, so every node of a cluster checks them alike.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

export class RegistryTokens {
  private readonly key: Buffer;
  constructor(rootSecret: string, private readonly accountId: string) {
    this.key = createHmac('sha256', 'selfless-ecr-registry-token').update(rootSecret).digest();
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  /** A password valid until `expiresAt` (epoch ms). */
  issue(expiresAt: number): string {
    const body = Buffer.from(JSON.stringify({ a: this.accountId, e: expiresAt })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** Whether a password is one of ours and unexpired at `now`. */
  verify(password: string, now: number): boolean {
    const [body, sig] = password.split('.');
    if (!body || !sig) return false;
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return false;
    try {
      const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { a?: unknown; e?: unknown };
      return v.a === this.accountId && typeof v.e === 'number' && v.e > now;
    } catch {
      return false;
    }
  }

  /** Checks an `Authorization: Basic` header: user `AWS`, a valid password. */
  verifyBasic(header: string | undefined, now: number): boolean {
    const m = /^Basic\s+(.+)$/i.exec(header ?? '');
    if (!m) return false;
    const plain = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    return i > 0 && plain.slice(0, i) === 'AWS' && this.verify(plain.slice(i + 1), now);
  }
}
