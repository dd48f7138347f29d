// Event source mappings (SQS sources): the durable records, their lifecycle (state + transition table) and the
// pollers that run while a mapping is enabled.
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import { parsePattern } from '../../../lib/event-pattern.js';
import { SqsPoller } from './sqs-poller.js';
import type { QueueBroker } from '../../sqs/index.js';
import type { Store } from '../../../store/store.js';
import type { LambdaInvoker } from '../invoker.js';

export const ESM_MIGRATIONS = [
  { version: 1, up: 'CREATE TABLE lambda_event_source_mappings (uuid TEXT PRIMARY KEY, region TEXT NOT NULL, body TEXT NOT NULL)' },
];

export type EsmState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** Legal transitions; anything else is a bug and throws with the mapping id and its state. */
const TRANSITIONS: Record<EsmState, readonly EsmState[]> = {
  Creating: ['Enabled', 'Disabled', 'Deleting'],
  Enabling: ['Enabled', 'Deleting'],
  Enabled: ['Disabling', 'Updating', 'Deleting'],
  Disabling: ['Disabled', 'Deleting'],
  Disabled: ['Enabling', 'Updating', 'Deleting'],
  Updating: ['Enabled', 'Disabled', 'Deleting'],
  Deleting: [],
};

export interface Mapping {
  UUID: string;
  region: string;
  EventSourceArn: string;
  FunctionArn: string;
  functionName: string;
  qualifier?: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  FilterCriteria?: { Filters: { Pattern: string }[] };
  ScalingConfig?: { MaximumConcurrency?: number };
  FunctionResponseTypes: string[];
  enabled: boolean;
  State: EsmState;
  StateTransitionReason: string;
  LastModified: number;
  LastProcessingResult: string;
}

/** Batches of one mapping in flight at once when ScalingConfig does not say. */
const DEFAULT_POLLERS = 5;
const MAX_POLLERS = 16;

export class EventSourceMappings {
  private readonly byId = new Map<string, Mapping>();
  private readonly pollers = new Map<string, SqsPoller>();
  private started = false;

  constructor(
    private readonly d: {
      store: Store;
      clock: Clock;
      accountId: string;
      invoker: LambdaInvoker;
      queues: QueueBroker;
      log(msg: string): void;
    },
  ) {}

  async load(): Promise<void> {
    await this.d.store.migrate('lambda_esm', ESM_MIGRATIONS);
    for (const r of await this.d.store.all<{ body: string }>('SELECT body FROM lambda_event_source_mappings')) {
      const m = JSON.parse(r.body) as Mapping;
      if (m.State === 'Deleting') {
        await this.d.store.run('DELETE FROM lambda_event_source_mappings WHERE uuid = ?', [m.UUID]);
        continue;
      }
      // A transition interrupted by a stop completes on the next start.
      m.State = m.enabled ? 'Enabled' : 'Disabled';
      this.byId.set(m.UUID, m);
    }
  }

  /** Starts the pollers of enabled mappings (once the engine and the SQS service run). */
  start(): void {
    this.started = true;
    for (const m of this.byId.values()) if (m.State === 'Enabled') this.startPoller(m);
  }

  async stop(): Promise<void> {
    this.started = false;
    // At shutdown batches in flight are not awaited: their messages reappear after the visibility timeout.
    await Promise.all([...this.pollers.values()].map((p) => p.stop(false)));
    this.pollers.clear();
  }

  get(uuid: string): Mapping | undefined {
    return this.byId.get(uuid);
  }

  list(): Mapping[] {
    return [...this.byId.values()].sort((a, b) => a.LastModified - b.LastModified || a.UUID.localeCompare(b.UUID));
  }

  private transition(m: Mapping, to: EsmState): void {
    if (!TRANSITIONS[m.State].includes(to)) throw new Error(`event source mapping ${m.UUID}: illegal transition ${m.State} -> ${to}`);
    m.State = to;
  }

  private async save(m: Mapping): Promise<void> {
    await this.d.store.run('INSERT OR REPLACE INTO lambda_event_source_mappings (uuid, region, body) VALUES (?, ?, ?)', [m.UUID, m.region, JSON.stringify(m)]);
  }

  /** Persists a new mapping as Creating; it becomes Enabled (or Disabled) shortly after, as on AWS. */
  async create(m: Mapping): Promise<Mapping> {
    m.State = 'Creating';
    await this.save(m);
    this.byId.set(m.UUID, m);
    this.settle(m, m.enabled ? 'Enabled' : 'Disabled');
    return { ...m };
  }

  /** AWS refuses to change a mapping while a transition is under way. */
  private requireSettled(m: Mapping): void {
    if (m.State !== 'Enabled' && m.State !== 'Disabled') {
      throw new AwsError('ResourceInUseException', `Cannot update the event source mapping because it is in use (state ${m.State}); retry once it is Enabled or Disabled.`);
    }
  }

  async update(m: Mapping, changes: Partial<Mapping>): Promise<Mapping> {
    this.requireSettled(m);
    const wasEnabled = m.enabled;
    Object.assign(m, changes, { LastModified: this.d.clock.now() });
    const onlyToggle = Object.keys(changes).every((k) => k === 'enabled');
    const via: EsmState = onlyToggle && wasEnabled !== m.enabled ? (m.enabled ? 'Enabling' : 'Disabling') : 'Updating';
    this.transition(m, via);
    await this.save(m);
    const snapshot = { ...m };
    this.settle(m, m.enabled ? 'Enabled' : 'Disabled');
    return snapshot;
  }

  async delete(m: Mapping): Promise<Mapping> {
    if (m.State === 'Deleting') throw new AwsError('ResourceInUseException', `The event source mapping ${m.UUID} is already being deleted.`);
    this.transition(m, 'Deleting');
    await this.save(m);
    const snapshot = { ...m };
    void this.finishDelete(m);
    return snapshot;
  }

  private async finishDelete(m: Mapping): Promise<void> {
    try {
      await this.pollers.get(m.UUID)?.stop();
      this.pollers.delete(m.UUID);
      await this.d.store.run('DELETE FROM lambda_event_source_mappings WHERE uuid = ?', [m.UUID]);
      this.byId.delete(m.UUID);
    } catch (e) {
      this.d.log(`selfless: deleting event source mapping ${m.UUID}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Completes a transition in the background: (re)starts or stops the poller, then records the end state. */
  private settle(m: Mapping, to: EsmState): void {
    const run = async (): Promise<void> => {
      const old = this.pollers.get(m.UUID);
      if (old) {
        await old.stop();
        this.pollers.delete(m.UUID);
      }
      if (m.State === 'Deleting') return;
      this.transition(m, to);
      await this.save(m);
      if (to === 'Enabled' && this.started) this.startPoller(m);
    };
    setImmediate(() => {
      run().catch((e: unknown) => this.d.log(`selfless: event source mapping ${m.UUID}: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  private startPoller(m: Mapping): void {
    const poller = new SqsPoller(
      {
        clock: this.d.clock,
        queues: this.d.queues,
        invoker: this.d.invoker,
        log: this.d.log,
        onResult: (id, result) => {
          const x = this.byId.get(id);
          if (x) x.LastProcessingResult = result;
        },
      },
      {
        uuid: m.UUID,
        queueArn: m.EventSourceArn,
        region: m.region,
        functionName: m.functionName,
        qualifier: m.qualifier,
        batchSize: m.BatchSize,
        batchingWindowSeconds: m.MaximumBatchingWindowInSeconds,
        concurrency: Math.min(m.ScalingConfig?.MaximumConcurrency ?? DEFAULT_POLLERS, MAX_POLLERS),
        reportBatchItemFailures: m.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        filters: (m.FilterCriteria?.Filters ?? []).map((f) => parsePattern(f.Pattern)),
      },
    );
    this.pollers.set(m.UUID, poller);
    poller.start();
  }

  /** The mapping as Lambda's EventSourceMappingConfiguration. */
  wire(m: Mapping): Record<string, unknown> {
    return {
      UUID: m.UUID,
      BatchSize: m.BatchSize,
      MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
      EventSourceArn: m.EventSourceArn,
      ...(m.FilterCriteria ? { FilterCriteria: m.FilterCriteria } : {}),
      FunctionArn: m.FunctionArn,
      LastModified: m.LastModified / 1000,
      State: m.State,
      StateTransitionReason: m.StateTransitionReason,
      FunctionResponseTypes: m.FunctionResponseTypes,
      ...(m.ScalingConfig ? { ScalingConfig: m.ScalingConfig } : {}),
      EventSourceMappingArn: `arn:aws:lambda:${m.region}:${this.d.accountId}:event-source-mapping:${m.UUID}`,
    };
  }
}
