// Pipes: their stored shape, the table (`pipes_pipes`), and reads and writes. Every API read goes to the store, so
// that every node of a cluster answers the same.
import type { Store } from '../../store/store.js';

export const PIPES_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE pipes_pipes (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name))`,
  },
];

export type DesiredState = 'RUNNING' | 'STOPPED';
export type CurrentState = 'RUNNING' | 'STOPPED' | 'CREATING' | 'UPDATING' | 'DELETING' | 'STARTING' | 'STOPPING';

/** The settings a client gives (CreatePipe's members, UpdatePipe's replacing them). */
export interface PipeSettings {
  Description?: string;
  Source: string;
  SourceParameters?: {
    FilterCriteria?: { Filters?: { Pattern?: string }[] };
    SqsQueueParameters?: { BatchSize?: number; MaximumBatchingWindowInSeconds?: number };
    [k: string]: unknown;
  };
  Enrichment?: string;
  EnrichmentParameters?: { InputTemplate?: string; [k: string]: unknown };
  Target: string;
  TargetParameters?: { InputTemplate?: string; [k: string]: unknown };
  RoleArn: string;
  LogConfiguration?: unknown;
  KmsKeyIdentifier?: string;
}

export interface StoredPipe extends PipeSettings {
  region: string;
  Name: string;
  DesiredState: DesiredState;
  /** Epoch ms. */
  CreationTime: number;
  LastModifiedTime: number;
  Tags: Record<string, string>;
}

export const pipeArn = (accountId: string, region: string, name: string): string => `arn:aws:pipes:${region}:${accountId}:pipe/${name}`;

/** A pipe's state once a change has settled: selfless applies every change at once, so it is the desired state. */
export const settled = (p: StoredPipe): CurrentState => p.DesiredState;

export class PipeTables {
  constructor(private readonly store: Store) {}

  async migrate(): Promise<void> {
    await this.store.migrate('pipes', PIPES_MIGRATIONS);
  }

  async pipe(region: string, name: string): Promise<StoredPipe | undefined> {
    const row = await this.store.get<{ body: string }>('SELECT body FROM pipes_pipes WHERE region = ? AND name = ?', [region, name]);
    return row ? (JSON.parse(row.body) as StoredPipe) : undefined;
  }

  /** All pipes of a region (by name), or of every region. */
  async pipes(region?: string): Promise<StoredPipe[]> {
    const rows =
      region === undefined
        ? await this.store.all<{ body: string }>('SELECT body FROM pipes_pipes ORDER BY region, name')
        : await this.store.all<{ body: string }>('SELECT body FROM pipes_pipes WHERE region = ? ORDER BY name', [region]);
    return rows.map((r) => JSON.parse(r.body) as StoredPipe);
  }

  /** Inserts a pipe; false when one of that name exists. */
  async create(p: StoredPipe): Promise<boolean> {
    const r = await this.store.run('INSERT INTO pipes_pipes (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO NOTHING', [p.region, p.Name, JSON.stringify(p)]);
    return r.changes === 1;
  }

  /** Replaces a pipe; false when it no longer exists. */
  async save(p: StoredPipe): Promise<boolean> {
    const r = await this.store.run('UPDATE pipes_pipes SET body = ? WHERE region = ? AND name = ?', [JSON.stringify(p), p.region, p.Name]);
    return r.changes === 1;
  }

  async delete(region: string, name: string): Promise<boolean> {
    const r = await this.store.run('DELETE FROM pipes_pipes WHERE region = ? AND name = ?', [region, name]);
    return r.changes === 1;
  }
}
