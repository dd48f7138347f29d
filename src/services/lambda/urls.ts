// Function URL configurations: durable records per function + qualifier, looked up by URL id by the front door.
import { announce, reloadOnPeers } from './peers.js';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Notifier } from '../../store/notifier.js';
import type { Migration, Store } from '../../store/store.js';

const URLS_CHANNEL = 'lambda:urls';

/** The CORS members of a function URL (and of a gateway API), as request bodies and config files carry them. */
export const UrlCorsShape = z.object({
  AllowCredentials: z.boolean().optional(),
  AllowHeaders: z.array(z.string()).optional(),
  AllowMethods: z.array(z.string()).optional(),
  AllowOrigins: z.array(z.string()).optional(),
  ExposeHeaders: z.array(z.string()).optional(),
  MaxAge: z.number().int().optional(),
});

export type UrlCors = z.infer<typeof UrlCorsShape>;

export interface UrlConfig {
  region: string;
  functionName: string;
  /** `$LATEST` or an alias name; undefined for the unqualified function. */
  qualifier: string | undefined;
  urlId: string;
  AuthType: 'NONE' | 'AWS_IAM';
  InvokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  Cors?: UrlCors;
  CreationTime: string;
  LastModifiedTime: string;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE lambda_urls (region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, url_id TEXT NOT NULL UNIQUE,
         config TEXT NOT NULL, PRIMARY KEY (region, name, qualifier))`,
  },
];

const key = (region: string, name: string, qualifier: string | undefined): string => `${region}\0${name}\0${qualifier ?? ''}`;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A 32-character lower-case id, as AWS's url ids look. */
export function newUrlId(): string {
  const b = randomBytes(32);
  let s = '';
  for (const x of b) s += ALPHABET[x % ALPHABET.length];
  return s;
}

export class UrlRegistry {
  private readonly byKey = new Map<string, UrlConfig>();
  private readonly byId = new Map<string, UrlConfig>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Other nodes reload the URL table when one of them changes it (the front door of every node reads it). */
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private unlisten: (() => void) | undefined;

  async load(): Promise<void> {
    await this.store.migrate('lambda-urls', MIGRATIONS);
    await this.refresh();
    this.unlisten = reloadOnPeers(this.notifier, URLS_CHANNEL, () => this.refresh(), (e) => this.onError(e));
  }

  close(): void {
    this.unlisten?.();
  }

  private async refresh(): Promise<void> {
    const rows = await this.store.all<{ config: string }>('SELECT config FROM lambda_urls');
    this.byKey.clear();
    this.byId.clear();
    for (const r of rows) this.remember(JSON.parse(r.config) as UrlConfig);
  }

  private remember(c: UrlConfig): void {
    this.byKey.set(key(c.region, c.functionName, c.qualifier), c);
    this.byId.set(c.urlId, c);
  }

  get(region: string, name: string, qualifier: string | undefined): UrlConfig | undefined {
    return this.byKey.get(key(region, name, qualifier));
  }

  byUrlId(id: string): UrlConfig | undefined {
    return this.byId.get(id);
  }

  list(region: string, name: string): UrlConfig[] {
    return [...this.byKey.values()].filter((c) => c.region === region && c.functionName === name).sort((a, b) => a.CreationTime.localeCompare(b.CreationTime));
  }

  now(): string {
    return new Date(this.clock.now()).toISOString().replace('Z', '000Z');
  }

  async put(c: UrlConfig): Promise<void> {
    await this.store.run(
      'INSERT INTO lambda_urls (region, name, qualifier, url_id, config) VALUES (?, ?, ?, ?, ?) ON CONFLICT (region, name, qualifier) DO UPDATE SET config = excluded.config',
      [c.region, c.functionName, c.qualifier ?? '', c.urlId, JSON.stringify(c)],
    );
    this.remember(c);
    announce(this.notifier, URLS_CHANNEL);
  }

  async delete(c: UrlConfig): Promise<void> {
    await this.store.run('DELETE FROM lambda_urls WHERE region = ? AND name = ? AND qualifier = ?', [c.region, c.functionName, c.qualifier ?? '']);
    this.byKey.delete(key(c.region, c.functionName, c.qualifier));
    this.byId.delete(c.urlId);
    announce(this.notifier, URLS_CHANNEL);
  }

  /** Drops URLs whose function or alias is gone (a crash between deleting a function and its URLs leaves some). */
  async prune(exists: (region: string, name: string, qualifier: string | undefined) => boolean): Promise<void> {
    for (const c of [...this.byKey.values()]) if (!exists(c.region, c.functionName, c.qualifier)) await this.delete(c);
  }

  /** Drops the URLs of a deleted function (or of a deleted alias). */
  async forget(region: string, name: string, exists: (qualifier: string | undefined) => boolean): Promise<void> {
    for (const c of this.list(region, name)) if (!exists(c.qualifier)) await this.delete(c);
  }
}
