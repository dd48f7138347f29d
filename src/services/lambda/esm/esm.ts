// Event source mappings (SQS queues, Kinesis and DynamoDB streams): the durable records, their lifecycle (state +
// transition table) and the pollers that run while a mapping is enabled.
import { announce, reloadOnPeers } from '../peers.js';
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import { parsePattern } from '../../../lib/event-pattern.js';
import { SqsPoller, type LoopAdmission } from './sqs-poller.js';
import { Checkpoints, CHECKPOINTS_MIGRATION, StreamPoller } from './stream-poller.js';
import { pollerConfig, streamWire, type StreamSettings } from './stream-config.js';
import type { ShardStreamSource } from '../../../lib/shard-stream.js';
import type { QueueBroker } from '../../sqs/index.js';
import type { SnsApi } from '../../sns/index.js';
import type { Store } from '../../../store/store.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Leases } from '../../../store/leases.js';
import type { Membership } from '../../../store/nodes.js';
import type { LambdaInvoker } from '../invoker.js';

const CHANNEL = 'lambda:esm';
/** How often a node of a cluster looks for mappings nobody polls (a dead node's are free after the lease TTL). */
const BALANCE_MS = 3_000;
const leaseName = (uuid: string): string => `esm:${uuid}`;

/** The cluster a node's mappings are shared in: one node polls a mapping at a time, the holder of its lease. */
export interface EsmCluster {
  notifier: Notifier;
  leases: Leases;
  membership: Membership;
}

export const ESM_MIGRATIONS = [
  { version: 1, up: 'CREATE TABLE lambda_event_source_mappings (uuid TEXT PRIMARY KEY, region TEXT NOT NULL, body TEXT NOT NULL)' },
  CHECKPOINTS_MIGRATION,
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
  /** Kinesis and DynamoDB Streams sources only. */
  stream?: StreamSettings;
  /** Tags (CreateEventSourceMapping's Tags, TagResource on the mapping's ARN); absent on mappings made before tags. */
  tags?: Record<string, string>;
}

/** Batches of one mapping in flight at once when ScalingConfig does not say. */
const DEFAULT_POLLERS = 5;
const MAX_POLLERS = 16;

export class EventSourceMappings {
  private readonly byId = new Map<string, Mapping>();
  private readonly pollers = new Map<string, SqsPoller | StreamPoller>();
  private readonly checkpoints: Checkpoints;
  private started = false;
  private unlisten: (() => void) | undefined;
  private cancelBalance: (() => void) | undefined;
  private balancing: Promise<void> | undefined;
  /** Mappings whose lease this node holds (cluster mode). */
  private readonly held = new Set<string>();

  constructor(
    private readonly d: {
      store: Store;
      clock: Clock;
      accountId: string;
      invoker: LambdaInvoker;
      /** Recursive loop detection of SQS messages (each message's AWSTraceHeader); absent in unit tests. */
      recursion?: LoopAdmission;
      queues: QueueBroker;
      /** OnFailure destinations of stream mappings that are SNS topics. */
      sns?: SnsApi;
      /** The sharded streams mappings read (Kinesis, DynamoDB Streams). */
      streams?: readonly ShardStreamSource[];
      /** Wakes stream pollers when a shard grows (the node's notifier, in a cluster too). */
      notifier?: Notifier;
      log(msg: string): void;
      /** Absent: one node (SQLite) polls every enabled mapping itself. */
      cluster?: EsmCluster;
    },
  ) {
    this.checkpoints = new Checkpoints(d.store);
  }

  /** The stream source serving an event source ARN, when a stream service owns it. */
  streamSource(arn: string): ShardStreamSource | undefined {
    return this.d.streams?.find((s) => s.owns(arn));
  }

  async load(): Promise<void> {
    await this.d.store.migrate('lambda_esm', ESM_MIGRATIONS);
    for (const r of await this.d.store.all<{ body: string }>('SELECT body FROM lambda_event_source_mappings')) {
      const m = JSON.parse(r.body) as Mapping;
      if (m.State === 'Deleting') {
        await this.d.store.run('DELETE FROM lambda_event_source_mappings WHERE uuid = ?', [m.UUID]);
        continue;
      }
      // A transition interrupted by a stop completes on the next start (in a cluster, other nodes may be mid-way).
      if (!this.d.cluster) m.State = m.enabled ? 'Enabled' : 'Disabled';
      this.byId.set(m.UUID, m);
    }
    this.unlisten = reloadOnPeers(this.d.cluster?.notifier, CHANNEL, () => this.refresh(), (e) => this.d.log(`selfless: reloading event source mappings: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Starts the pollers of enabled mappings (once the engine and the SQS service run); in a cluster, those it leases. */
  start(): void {
    this.started = true;
    if (!this.d.cluster) {
      for (const m of this.byId.values()) if (m.State === 'Enabled') this.startPoller(m);
      return;
    }
    const arm = (): void => {
      this.cancelBalance = this.d.clock.setTimer(BALANCE_MS, () => {
        this.balanceNow().finally(() => {
          if (this.cancelBalance) arm();
        });
      });
    };
    arm();
    void this.balanceNow();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unlisten?.();
    const c = this.cancelBalance;
    this.cancelBalance = undefined;
    c?.();
    await this.balancing;
    // At shutdown batches in flight are not awaited: their messages reappear after the visibility timeout. The node
    // releases its leases after the services stop, so the others take the mappings over at once.
    await Promise.all([...this.pollers.values()].map((p) => p.stop(false)));
    this.pollers.clear();
    this.held.clear();
  }

  /** Re-reads the mappings (another node changed one) and brings this node's pollers in line. */
  private async refresh(): Promise<void> {
    const rows = await this.d.store.all<{ body: string }>('SELECT body FROM lambda_event_source_mappings');
    const seen = new Set<string>();
    for (const r of rows) {
      const m = JSON.parse(r.body) as Mapping;
      seen.add(m.UUID);
      const cur = this.byId.get(m.UUID);
      if (!cur) {
        this.byId.set(m.UUID, m);
        continue;
      }
      const changed = cur.LastModified !== m.LastModified || cur.State !== m.State;
      const result = cur.LastProcessingResult;
      Object.assign(cur, m, { LastProcessingResult: result });
      if (changed && this.pollers.has(m.UUID)) await this.stopPoller(m.UUID);
    }
    for (const id of [...this.byId.keys()]) {
      if (seen.has(id)) continue;
      this.byId.delete(id);
      if (this.pollers.has(id)) await this.stopPoller(id);
    }
    await this.balanceNow();
  }

  private async stopPoller(id: string): Promise<void> {
    const p = this.pollers.get(id);
    this.pollers.delete(id);
    await p?.stop();
  }

  private balanceNow(): Promise<void> {
    if (!this.d.cluster || !this.started) return Promise.resolve();
    const run = (this.balancing ?? Promise.resolve()).then(() => this.balance()).catch((e: unknown) => {
      this.d.log(`selfless: balancing event source mappings: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.balancing = run;
    return run;
  }

  /**
   * Polls the enabled mappings whose lease this node holds; takes free or lapsed ones up to its share
   * (ceil(enabled / live nodes)), and hands one back per round when it holds more, so that a new node gets some.
   */
  private async balance(): Promise<void> {
    const c = this.d.cluster;
    if (!c || !this.started) return;
    const now = this.d.clock.now();
    // Stream mappings run on every node: their pollers lease shards, not the mapping.
    for (const m of this.byId.values()) if (m.stream && m.State === 'Enabled' && !this.pollers.has(m.UUID) && this.started) this.startPoller(m);
    const enabled = [...this.byId.values()].filter((m) => m.State === 'Enabled' && !m.stream);
    const enabledIds = new Set(enabled.map((m) => m.UUID));
    const leases = new Map((await c.leases.list('esm:')).map((l) => [l.name, l]));
    // Lost (lapsed while stalled and taken) or no longer enabled: stop polling.
    for (const id of [...this.held]) {
      const l = leases.get(leaseName(id));
      const mine = l !== undefined && l.owner === c.leases.owner && l.expiresAt > now;
      if (mine && enabledIds.has(id)) continue;
      this.held.delete(id);
      await this.stopPoller(id);
      if (mine) await c.leases.release(leaseName(id));
    }
    const live = Math.max(1, (await c.membership.live()).length);
    const share = Math.ceil(enabled.length / live);
    for (const m of enabled) {
      if (this.held.size >= share) break;
      if (this.held.has(m.UUID)) continue;
      const l = leases.get(leaseName(m.UUID));
      if (l && l.owner !== c.leases.owner && l.expiresAt > now) continue;
      if (await c.leases.acquire(leaseName(m.UUID))) this.held.add(m.UUID);
    }
    if (this.held.size > share) {
      const [extra] = this.held;
      if (extra !== undefined) {
        this.held.delete(extra);
        await this.stopPoller(extra);
        await c.leases.release(leaseName(extra));
      }
    }
    for (const id of this.held) {
      const m = this.byId.get(id);
      if (m && !this.pollers.has(id) && this.started) this.startPoller(m);
    }
  }

  get(uuid: string): Mapping | undefined {
    return this.byId.get(uuid);
  }

  list(): Mapping[] {
    return [...this.byId.values()].sort((a, b) => a.LastModified - b.LastModified || a.UUID.localeCompare(b.UUID));
  }

  /** Replaces a mapping's tags (no state transition: tags are not configuration the pollers read). */
  async setTags(m: Mapping, tags: Record<string, string>): Promise<void> {
    m.tags = tags;
    await this.save(m);
  }

  private transition(m: Mapping, to: EsmState): void {
    if (!TRANSITIONS[m.State].includes(to)) throw new Error(`event source mapping ${m.UUID}: illegal transition ${m.State} -> ${to}`);
    m.State = to;
  }

  private async save(m: Mapping): Promise<void> {
    await this.d.store.run('INSERT INTO lambda_event_source_mappings (uuid, region, body) VALUES (?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET body = excluded.body', [m.UUID, m.region, JSON.stringify(m)]);
    announce(this.d.cluster?.notifier, CHANNEL);
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
      await this.checkpoints.forget(m.UUID);
      this.byId.delete(m.UUID);
      announce(this.d.cluster?.notifier, CHANNEL);
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
      if (to === 'Enabled' && this.started) {
        if (this.d.cluster) await this.balanceNow();
        else this.startPoller(m);
      }
    };
    setImmediate(() => {
      run().catch((e: unknown) => this.d.log(`selfless: event source mapping ${m.UUID}: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  private startPoller(m: Mapping): void {
    if (m.stream) {
      this.startStreamPoller(m, m.stream);
      return;
    }
    const poller = new SqsPoller(
      {
        clock: this.d.clock,
        queues: this.d.queues,
        invoker: this.d.invoker,
        ...(this.d.recursion ? { recursion: this.d.recursion } : {}),
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

  private startStreamPoller(m: Mapping, s: StreamSettings): void {
    const source = this.streamSource(m.EventSourceArn);
    if (!source) {
      this.d.log(`selfless: event source mapping ${m.UUID}: no stream service serves ${m.EventSourceArn}; not polled`);
      m.LastProcessingResult = 'PROBLEM: Stream not found.';
      return;
    }
    const poller = new StreamPoller(
      {
        clock: this.d.clock,
        invoker: this.d.invoker,
        source,
        checkpoints: this.checkpoints,
        deliver: (destination, body) => this.deliver(destination, body),
        log: this.d.log,
        onResult: (id, result) => {
          const x = this.byId.get(id);
          if (x) x.LastProcessingResult = result;
        },
        ...(this.d.notifier ? { notifier: this.d.notifier } : {}),
        ...(this.d.cluster ? { cluster: { leases: this.d.cluster.leases, membership: this.d.cluster.membership } } : {}),
      },
      pollerConfig(m, s, (m.FilterCriteria?.Filters ?? []).map((f) => parsePattern(f.Pattern))),
    );
    this.pollers.set(m.UUID, poller);
    poller.start();
  }

  /** Sends a stream mapping's failure record to its OnFailure queue or topic. */
  private async deliver(destination: string, body: string): Promise<void> {
    const p = destination.split(':');
    if (p[2] === 'sqs') await this.d.queues.send(destination, { body });
    else if (p[2] === 'sns' && this.d.sns) await this.d.sns.publish(p[3] ?? '', { topicArn: destination, message: body });
    else throw new AwsError('InvalidParameterValueException', `unsupported destination ${destination}`);
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
      ...(m.ScalingConfig && !m.stream ? { ScalingConfig: m.ScalingConfig } : {}),
      ...(m.stream ? streamWire(m.stream, m.LastProcessingResult) : {}),
      EventSourceMappingArn: `arn:aws:lambda:${m.region}:${this.d.accountId}:event-source-mapping:${m.UUID}`,
    };
  }
}
