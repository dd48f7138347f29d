// Resource-based policies of functions, versions and aliases: the statements AddPermission writes, durable per
// (function, qualifier), rendered as AWS writes the policy document; every node caches the (small) table.
import { announce, reloadOnPeers } from './peers.js';
import type { Notifier } from '../../store/notifier.js';
import type { Migration, Queryable, Store } from '../../store/store.js';

const POLICIES_CHANNEL = 'lambda:policies';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE lambda_policies (region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, statements TEXT NOT NULL,
         PRIMARY KEY (region, name, qualifier))`,
  },
  // The policy's own RevisionId (AWS's GetPolicy answers the revision its last change gave the target; a later
  // change of the target alone, such as a publish, leaves it). NULL in older rows: the target's revision stands in.
  { version: 2, up: 'ALTER TABLE lambda_policies ADD COLUMN revision TEXT' },
];

/** One statement, its members in the order AWS writes them. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Id: 'default';
  Statement: PolicyStatement[];
}

/** What AddPermission asks for, validated. */
export interface PermissionInput {
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  EventSourceToken?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
  InvokedViaFunctionUrl?: boolean;
}

/** AWS's limit on a function's policy (per function, version or alias): 20 KB. */
export const POLICY_LIMIT = 20480;

/** The Principal member as AWS writes it, or undefined when AWS refuses the principal. */
export function principalOf(principal: string, partition = 'aws'): PolicyStatement['Principal'] | undefined {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:${partition}:iam::${principal}:root` };
  if (/^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+$/.test(principal)) return { AWS: principal };
  // Service principals are domain-style names (s3.amazonaws.com, alexa-appkit.amazon.com, …).
  if (/^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)$/.test(principal)) return { Service: principal };
  return undefined;
}

/** The statement AddPermission adds (its Principal already checked by principalOf). */
export function statementOf(input: PermissionInput, resource: string, principal: PolicyStatement['Principal']): PolicyStatement {
  const equals: Record<string, string> = {};
  if (input.SourceAccount !== undefined) equals['AWS:SourceAccount'] = input.SourceAccount;
  if (input.EventSourceToken !== undefined) equals['lambda:EventSourceToken'] = input.EventSourceToken;
  if (input.FunctionUrlAuthType !== undefined) equals['lambda:FunctionUrlAuthType'] = input.FunctionUrlAuthType;
  if (input.PrincipalOrgID !== undefined) equals['aws:PrincipalOrgID'] = input.PrincipalOrgID;
  const condition: Record<string, Record<string, string>> = {};
  if (Object.keys(equals).length > 0) condition['StringEquals'] = equals;
  if (input.SourceArn !== undefined) condition['ArnLike'] = { 'AWS:SourceArn': input.SourceArn };
  if (input.InvokedViaFunctionUrl !== undefined) condition['Bool'] = { 'lambda:InvokedViaFunctionUrl': String(input.InvokedViaFunctionUrl) };
  return {
    Sid: input.StatementId,
    Effect: 'Allow',
    Principal: principal,
    Action: input.Action,
    Resource: resource,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

export function documentOf(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Id: 'default', Statement: [...statements] };
}

const key = (region: string, name: string, qualifier: string): string => `${region}\0${name}\0${qualifier}`;

/** The policies table with its cache; `qualifier` is `$LATEST` for the unqualified function, a version or an alias. */
export class PolicyStore {
  private readonly byKey = new Map<string, PolicyStatement[]>();
  private readonly revisions = new Map<string, string>();
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  async load(): Promise<void> {
    await this.store.migrate('lambda-policies', MIGRATIONS);
    await this.refresh();
    this.unlisten = reloadOnPeers(this.notifier, POLICIES_CHANNEL, () => this.refresh(), (e) => this.onError(e));
  }

  close(): void {
    this.unlisten?.();
  }

  private async refresh(): Promise<void> {
    const rows = await this.store.all<{ region: string; name: string; qualifier: string; statements: string; revision: string | null }>('SELECT * FROM lambda_policies');
    this.byKey.clear();
    this.revisions.clear();
    for (const r of rows) {
      const k = key(r.region, r.name, r.qualifier);
      this.byKey.set(k, JSON.parse(r.statements) as PolicyStatement[]);
      if (r.revision) this.revisions.set(k, r.revision);
    }
  }

  /** The policy's RevisionId: the one its last change gave (undefined: no policy, or a row from before revisions). */
  revision(region: string, name: string, qualifier: string): string | undefined {
    return this.revisions.get(key(region, name, qualifier));
  }

  get(region: string, name: string, qualifier: string): PolicyStatement[] | undefined {
    return this.byKey.get(key(region, name, qualifier));
  }

  /** Every (region, name, qualifier) that has a policy. */
  keys(): { region: string; name: string; qualifier: string }[] {
    return [...this.byKey.keys()].map((k) => {
      const [region = '', name = '', qualifier = ''] = k.split('\0');
      return { region, name, qualifier };
    });
  }

  /** Writes (or, with no statements left, deletes) one policy inside the caller's transaction. */
  async write(q: Queryable, region: string, name: string, qualifier: string, statements: readonly PolicyStatement[], revision: string): Promise<void> {
    if (statements.length === 0) {
      await q.run('DELETE FROM lambda_policies WHERE region = ? AND name = ? AND qualifier = ?', [region, name, qualifier]);
    } else {
      await q.run(
        'INSERT INTO lambda_policies (region, name, qualifier, statements, revision) VALUES (?, ?, ?, ?, ?) ON CONFLICT (region, name, qualifier) DO UPDATE SET statements = excluded.statements, revision = excluded.revision',
        [region, name, qualifier, JSON.stringify(statements), revision],
      );
    }
  }

  /** After the transaction committed: the cache follows, the other nodes re-read. */
  committed(region: string, name: string, qualifier: string, statements: readonly PolicyStatement[], revision: string): void {
    const k = key(region, name, qualifier);
    if (statements.length === 0) {
      this.byKey.delete(k);
      this.revisions.delete(k);
    } else {
      this.byKey.set(k, [...statements]);
      this.revisions.set(k, revision);
    }
    announce(this.notifier, POLICIES_CHANNEL);
  }

  /** Drops the policies of a deleted function (all qualifiers) or of one deleted version or alias. */
  async forget(region: string, name: string, qualifier?: string): Promise<void> {
    const doomed = this.keys().filter((k) => k.region === region && k.name === name && (qualifier === undefined || k.qualifier === qualifier));
    if (doomed.length === 0) return;
    // Gone from memory before the delete is awaited: the deleting call answers without waiting for this, and the
    // next request (GetPolicy on an alias made again at once) must not see the old policy.
    for (const k of doomed) {
      this.byKey.delete(key(k.region, k.name, k.qualifier));
      this.revisions.delete(key(k.region, k.name, k.qualifier));
    }
    if (qualifier === undefined) await this.store.run('DELETE FROM lambda_policies WHERE region = ? AND name = ?', [region, name]);
    else await this.store.run('DELETE FROM lambda_policies WHERE region = ? AND name = ? AND qualifier = ?', [region, name, qualifier]);
    announce(this.notifier, POLICIES_CHANNEL);
  }

  /** Drops policies whose function, version or alias is gone (a crash between deleting a function and its policies). */
  async prune(exists: (region: string, name: string, qualifier: string) => boolean): Promise<void> {
    for (const k of this.keys()) if (!exists(k.region, k.name, k.qualifier)) await this.forget(k.region, k.name, k.qualifier);
  }
}
