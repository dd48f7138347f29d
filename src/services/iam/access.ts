// What the policy engine and other services ask IAM about a caller or a role: the policies that apply to a caller
// (cached per caller, dropped on any `iam:changed` hint and after CACHE_MS), trust checks, role sessions.
import type { Clock } from '../../lib/clock.js';
import * as E from './errors.js';
import type { Caller } from '../../server/auth.js';
import type { Notifier } from '../../store/notifier.js';
import { CACHE_MS, type Credentials, type TemporaryCredentials } from './credentials.js';
import { CHANGED_CHANNEL, type Directory } from './directory.js';
import { parseDocument, trustAllows } from './documents.js';
import type { Principal } from './model.js';
import type { Policies } from './policies.js';
import type { PolicyDocument } from './policy/index.js';

/** The identity-side policies of a caller (the resource policy is the resource's service's to add). */
export interface CallerPolicies {
  identity: readonly PolicyDocument[];
  boundary?: PolicyDocument;
  session?: readonly PolicyDocument[];
}

export class Access {
  private readonly cache = new Map<string, { at: number; value: CallerPolicies }>();
  private unlisten: (() => void) | undefined;

  constructor(private readonly o: { dir: Directory; policies: Policies; creds: Credentials; clock: Clock; notifier: Notifier; accountId: string }) {}

  listen(): void {
    this.unlisten = this.o.notifier.listen(CHANGED_CHANNEL, () => this.cache.clear());
  }

  close(): void {
    this.unlisten?.();
  }

  /** A user, group or role by its ARN (the name is the last path segment; the whole ARN must match). */
  async byArn(arn: string): Promise<Principal | undefined> {
    const m = /^arn:aws:iam::\d{12}:(user|group|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (!m) return undefined;
    const p = await this.o.dir.find(m[1] as 'user' | 'group' | 'role', m[2]!);
    return p && p.arn === arn ? p : undefined;
  }

  async policiesFor(caller: Caller): Promise<CallerPolicies> {
    const key = `${caller.arn} ${caller.accessKeyId ?? ''}`;
    const hit = this.cache.get(key);
    const now = this.o.clock.now();
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = await this.compute(caller);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: now, value });
    return value;
  }

  private async compute(caller: Caller): Promise<CallerPolicies> {
    const session = (caller.sessionPolicies ?? []).map((t) => parseDocument(t, 'identity'));
    const withSession = (v: CallerPolicies): CallerPolicies => (session.length ? { ...v, session } : v);
    if (caller.kind === 'root') return withSession({ identity: [] });
    const p = await this.byArn(caller.kind === 'assumed-role' ? (caller.roleArn ?? '') : caller.arn);
    if (!p || p.kind === 'group') return withSession({ identity: [] });
    return withSession(await this.ofPrincipal(p));
  }

  /** The identity policies of a principal (a user's with its groups') and its boundary, parsed. */
  async ofPrincipal(p: Principal): Promise<CallerPolicies> {
    const texts: string[] = [];
    const collect = async (x: Principal): Promise<void> => {
      for (const r of await this.o.dir.listInline(x)) texts.push(r.document);
      for (const arn of await this.o.dir.attachedTo(x)) {
        const d = await this.o.policies.defaultDocument(arn);
        if (d !== undefined) texts.push(d);
      }
    };
    await collect(p);
    if (p.kind === 'user') for (const g of await this.o.dir.containers(p)) await collect(g);
    const boundaryText = p.boundary ? await this.o.policies.defaultDocument(p.boundary) : undefined;
    return { identity: texts.map((t) => parseDocument(t, 'identity')), ...(boundaryText ? { boundary: parseDocument(boundaryText, 'identity') } : {}) };
  }

  async role(roleArn: string): Promise<Principal | undefined> {
    const p = await this.byArn(roleArn);
    return p?.kind === 'role' ? p : undefined;
  }

  /** Whether the role's trust policy lets a service principal (`lambda.amazonaws.com`) assume it. */
  async roleTrusts(roleArn: string, servicePrincipal: string): Promise<boolean> {
    const r = await this.role(roleArn);
    return !!r?.trust && trustAllows(parseDocument(r.trust, 'trust'), r.arn, this.o.accountId, { service: servicePrincipal });
  }

  /** Whether the role's trust policy lets this caller sts:AssumeRole (the root included, when the trust names the account). */
  async trustsCaller(roleArn: string, caller: Caller): Promise<boolean> {
    const r = await this.role(roleArn);
    if (!r?.trust) return false;
    return trustAllows(parseDocument(r.trust, 'trust'), r.arn, this.o.accountId, { caller, policies: await this.policiesFor(caller) });
  }

  /** A role session's credentials (AssumeRole, execution roles); the role's last use is recorded. */
  async assume(o: { role: Principal; sessionName: string; durationSeconds: number; region: string; sessionPolicies?: string[]; sessionTags?: Record<string, string> }): Promise<{ credentials: TemporaryCredentials; caller: Caller }> {
    const caller: Caller = {
      arn: `arn:aws:sts::${this.o.accountId}:assumed-role/${o.role.name}/${o.sessionName}`,
      accountId: this.o.accountId,
      userId: `${o.role.id}:${o.sessionName}`,
      kind: 'assumed-role',
      roleArn: o.role.arn,
      ...(o.sessionPolicies?.length ? { sessionPolicies: o.sessionPolicies } : {}),
      ...(o.sessionTags && Object.keys(o.sessionTags).length ? { sessionTags: o.sessionTags } : {}),
    };
    const credentials = await this.o.creds.issue(caller, o.durationSeconds);
    await this.o.dir.markUsed(o.role, o.region);
    return { credentials, caller: { ...caller, accessKeyId: credentials.accessKeyId, temporary: true } };
  }

  async issueRoleCredentials(roleArn: string, sessionName: string, durationSeconds: number, region: string): Promise<TemporaryCredentials> {
    const role = await this.role(roleArn);
    if (!role) throw E.noSuchEntity(`The role with name ${roleArn.slice(roleArn.lastIndexOf('/') + 1)} cannot be found.`);
    return (await this.assume({ role, sessionName, durationSeconds, region })).credentials;
  }
}
