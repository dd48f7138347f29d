// Topics and subscriptions: the truth in the store (sns_topics, sns_subscriptions), cached per node and re-read on
// `sns:topic` / `sns:sub` announcements from any node.
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import type { Subscription, Topic } from './model.js';

export const SNS_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE sns_topics (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
         CREATE TABLE sns_subscriptions (arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, body TEXT NOT NULL);
         CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn);
         CREATE TABLE sns_dedup (topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL, message_id TEXT NOT NULL, seq TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (topic_arn, dedup_id));
         CREATE INDEX sns_dedup_at ON sns_dedup (at);
         CREATE TABLE sns_keys (id TEXT PRIMARY KEY, key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL)`,
  },
];

const TOPIC_CHANNEL = 'sns:topic';
const SUB_CHANNEL = 'sns:sub';

export class Registry {
  private readonly topics = new Map<string, Topic>();
  private readonly subs = new Map<string, Subscription>();
  /** Subscriptions by topic ARN. */
  private readonly byTopic = new Map<string, Map<string, Subscription>>();
  private readonly unlisten: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly onError: (e: unknown) => void,
  ) {}

  async load(): Promise<void> {
    await this.store.migrate('sns', SNS_MIGRATIONS);
    for (const r of await this.store.all<{ body: string }>('SELECT body FROM sns_topics')) {
      const t = JSON.parse(r.body) as Topic;
      this.topics.set(t.arn, t);
    }
    for (const r of await this.store.all<{ body: string }>('SELECT body FROM sns_subscriptions')) this.cacheSub(JSON.parse(r.body) as Subscription);
    this.unlisten.push(this.notifier.listen(TOPIC_CHANNEL, (arn) => void this.reloadTopic(arn).catch(this.onError)));
    this.unlisten.push(this.notifier.listen(SUB_CHANNEL, (arn) => void this.reloadSub(arn).catch(this.onError)));
  }

  close(): void {
    for (const u of this.unlisten.splice(0)) u();
  }

  private cacheSub(s: Subscription): void {
    this.subs.set(s.arn, s);
    let m = this.byTopic.get(s.topicArn);
    if (!m) this.byTopic.set(s.topicArn, (m = new Map()));
    m.set(s.arn, s);
  }

  private uncacheSub(arn: string): void {
    const s = this.subs.get(arn);
    if (!s) return;
    this.subs.delete(arn);
    this.byTopic.get(s.topicArn)?.delete(arn);
  }

  async reloadTopic(arn: string): Promise<Topic | undefined> {
    const r = await this.store.get<{ body: string }>('SELECT body FROM sns_topics WHERE arn = ?', [arn]);
    if (!r) {
      this.topics.delete(arn);
      for (const s of [...(this.byTopic.get(arn)?.values() ?? [])]) this.uncacheSub(s.arn);
      this.byTopic.delete(arn);
      return undefined;
    }
    const t = JSON.parse(r.body) as Topic;
    this.topics.set(arn, t);
    return t;
  }

  async reloadSub(arn: string): Promise<Subscription | undefined> {
    const r = await this.store.get<{ body: string }>('SELECT body FROM sns_subscriptions WHERE arn = ?', [arn]);
    this.uncacheSub(arn);
    if (!r) return undefined;
    const s = JSON.parse(r.body) as Subscription;
    this.cacheSub(s);
    return s;
  }

  /** The topic from the cache, else the store (created on another node a moment ago). */
  async topic(arn: string): Promise<Topic | undefined> {
    return this.topics.get(arn) ?? (await this.reloadTopic(arn));
  }

  async subscription(arn: string): Promise<Subscription | undefined> {
    return this.subs.get(arn) ?? (await this.reloadSub(arn));
  }

  cachedSubscription(arn: string): Subscription | undefined {
    return this.subs.get(arn);
  }

  listTopics(region: string): Topic[] {
    return [...this.topics.values()].filter((t) => t.region === region).sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  subscriptionsOf(topicArn: string): Subscription[] {
    return [...(this.byTopic.get(topicArn)?.values() ?? [])];
  }

  /**
   * The topic's subscriptions as they are now: on a shared store re-read from it (a Subscribe on another node must
   * route the very next Publish here, and its notifier hint may still be on its way); the cache on the embedded one.
   */
  async currentSubscriptionsOf(topicArn: string): Promise<Subscription[]> {
    if (this.store.kind !== 'postgres') return this.subscriptionsOf(topicArn);
    const rows = await this.store.all<{ body: string }>('SELECT body FROM sns_subscriptions WHERE topic_arn = ?', [topicArn]);
    for (const old of this.subscriptionsOf(topicArn)) this.uncacheSub(old.arn);
    for (const r of rows) this.cacheSub(JSON.parse(r.body) as Subscription);
    return this.subscriptionsOf(topicArn);
  }

  listSubscriptions(region: string): Subscription[] {
    return [...this.subs.values()].filter((s) => s.topicArn.split(':')[3] === region);
  }

  async putTopic(t: Topic): Promise<void> {
    await this.store.run('INSERT INTO sns_topics (arn, body) VALUES (?, ?) ON CONFLICT (arn) DO UPDATE SET body = excluded.body', [t.arn, JSON.stringify(t)]);
    this.topics.set(t.arn, t);
    this.notifier.notify(TOPIC_CHANNEL, t.arn);
  }

  async deleteTopic(arn: string): Promise<void> {
    const subs = this.subscriptionsOf(arn);
    await this.store.tx(async (q) => {
      await q.run('DELETE FROM sns_subscriptions WHERE topic_arn = ?', [arn]);
      await q.run('DELETE FROM sns_topics WHERE arn = ?', [arn]);
      await q.run('DELETE FROM sns_dedup WHERE topic_arn = ?', [arn]);
    });
    this.topics.delete(arn);
    for (const s of subs) this.uncacheSub(s.arn);
    this.byTopic.delete(arn);
    this.notifier.notify(TOPIC_CHANNEL, arn);
  }

  async putSubscription(s: Subscription): Promise<void> {
    await this.store.run('INSERT INTO sns_subscriptions (arn, topic_arn, body) VALUES (?, ?, ?) ON CONFLICT (arn) DO UPDATE SET body = excluded.body', [s.arn, s.topicArn, JSON.stringify(s)]);
    this.uncacheSub(s.arn);
    this.cacheSub(s);
    this.notifier.notify(SUB_CHANNEL, s.arn);
  }

  async deleteSubscription(s: Subscription): Promise<void> {
    await this.store.run('DELETE FROM sns_subscriptions WHERE arn = ?', [s.arn]);
    this.uncacheSub(s.arn);
    this.notifier.notify(SUB_CHANNEL, s.arn);
  }
}
