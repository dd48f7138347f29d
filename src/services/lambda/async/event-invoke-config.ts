// Event invoke configs (async retries, event age, destinations) per function, version or alias, stored durably.
import { announce, reloadOnPeers } from '../peers.js';
import type { Clock } from '../../../lib/clock.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Store } from '../../../store/store.js';

const CHANNEL = 'lambda:event-invoke-configs';

export const EVENT_INVOKE_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_event_invoke_configs (
      region TEXT NOT NULL,
      function_name TEXT NOT NULL,
      qualifier TEXT NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (region, function_name, qualifier)
    )`,
  },
];

export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig: { OnSuccess: { Destination?: string }; OnFailure: { Destination?: string } };
  /** Epoch milliseconds. */
  lastModified: number;
}

const key = (region: string, name: string, qualifier: string) => `${region}\u0000${name}\u0000${qualifier}`;

export class EventInvokeConfigs {
  private readonly byKey = new Map<string, EventInvokeConfig>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Other nodes reload the table when one of them changes it (their async workers read it). */
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private unlisten: (() => void) | undefined;

  async load(): Promise<void> {
    await this.store.migrate('lambda_event_invoke', EVENT_INVOKE_MIGRATIONS);
    await this.refresh();
    this.unlisten = reloadOnPeers(this.notifier, CHANNEL, () => this.refresh(), (e) => this.onError(e));
  }

  close(): void {
    this.unlisten?.();
  }

  private async refresh(): Promise<void> {
    const rows = await this.store.all<{ region: string; function_name: string; qualifier: string; body: string }>('SELECT * FROM lambda_event_invoke_configs');
    this.byKey.clear();
    for (const r of rows) this.byKey.set(key(r.region, r.function_name, r.qualifier), JSON.parse(r.body) as EventInvokeConfig);
  }

  get(region: string, name: string, qualifier: string): EventInvokeConfig | undefined {
    return this.byKey.get(key(region, name, qualifier));
  }

  list(region: string, name: string): { qualifier: string; config: EventInvokeConfig }[] {
    const prefix = `${region}\u0000${name}\u0000`;
    const out: { qualifier: string; config: EventInvokeConfig }[] = [];
    for (const [k, config] of this.byKey) if (k.startsWith(prefix)) out.push({ qualifier: k.slice(prefix.length), config });
    return out.sort((a, b) => a.qualifier.localeCompare(b.qualifier));
  }

  async put(region: string, name: string, qualifier: string, c: Omit<EventInvokeConfig, 'lastModified'>): Promise<EventInvokeConfig> {
    const config: EventInvokeConfig = { ...c, lastModified: this.clock.now() };
    await this.store.run('INSERT INTO lambda_event_invoke_configs (region, function_name, qualifier, body) VALUES (?, ?, ?, ?) ON CONFLICT (region, function_name, qualifier) DO UPDATE SET body = excluded.body', [
      region,
      name,
      qualifier,
      JSON.stringify(config),
    ]);
    this.byKey.set(key(region, name, qualifier), config);
    announce(this.notifier, CHANNEL);
    return config;
  }

  async delete(region: string, name: string, qualifier?: string): Promise<void> {
    if (qualifier === undefined) {
      await this.store.run('DELETE FROM lambda_event_invoke_configs WHERE region = ? AND function_name = ?', [region, name]);
      for (const { qualifier: q } of this.list(region, name)) this.byKey.delete(key(region, name, q));
      announce(this.notifier, CHANNEL);
      return;
    }
    await this.store.run('DELETE FROM lambda_event_invoke_configs WHERE region = ? AND function_name = ? AND qualifier = ?', [region, name, qualifier]);
    this.byKey.delete(key(region, name, qualifier));
    announce(this.notifier, CHANNEL);
  }
}
