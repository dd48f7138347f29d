// Bucket notification configurations (pure): parsed and validated as S3 does (event names, prefix/suffix filter
// rules, overlapping configurations), written back as XML, and matched against an object event.
import { arr, str, type XmlNode } from './xml.js';
import { invalidArgument } from './errors.js';
import { AwsError } from '../../lib/errors.js';

export type DestinationKind = 'lambda' | 'sqs' | 'sns';

export interface Destination {
  kind: DestinationKind;
  id: string;
  arn: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface NotificationConfig {
  destinations: Destination[];
  eventBridge: boolean;
}

export const EVENTS = [
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:ReducedRedundancyLostObject',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationNotTracked',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
];

const KINDS: [DestinationKind, string, string][] = [
  ['lambda', 'CloudFunctionConfiguration', 'CloudFunction'],
  ['sqs', 'QueueConfiguration', 'Queue'],
  ['sns', 'TopicConfiguration', 'Topic'],
];

/** Does an event name (`s3:ObjectCreated:Put`) fall under a configured one (`s3:ObjectCreated:*`)? */
export function eventMatches(configured: string, event: string): boolean {
  if (configured === event) return true;
  if (configured.endsWith(':*')) return event.startsWith(configured.slice(0, -1));
  return false;
}

/** The concrete events a configured name stands for, for the overlap rule. */
function expand(e: string): string[] {
  return e.endsWith(':*') ? EVENTS.filter((x) => !x.endsWith('*') && x.startsWith(e.slice(0, -1))).concat([e]) : [e];
}

const overlaps = (a: string | undefined, b: string | undefined, f: (x: string, y: string) => boolean): boolean => !a || !b || f(a, b) || f(b, a);

export function parseNotification(v: Record<string, unknown>, makeId: () => string): NotificationConfig {
  const destinations: Destination[] = [];
  for (const [kind, element, arnName] of KINDS) {
    for (const x of arr(v[element])) {
      const c = (x ?? {}) as Record<string, unknown>;
      const arn = str(c[arnName]);
      const events = arr(c['Event']).map((e) => str(e) ?? '');
      if (!arn || events.length === 0) throw invalidArgument('Unable to validate the following destination configurations');
      for (const e of events) if (!EVENTS.includes(e)) throw invalidArgument('The event is not supported for notifications', 'Event', e);
      let prefix: string | undefined;
      let suffix: string | undefined;
      const filter = c['Filter'] as Record<string, unknown> | undefined;
      const key = filter && typeof filter === 'object' ? (filter['S3Key'] as Record<string, unknown> | undefined) : undefined;
      for (const r of arr(key && typeof key === 'object' ? key['FilterRule'] : undefined)) {
        const rule = r as Record<string, unknown>;
        const name = (str(rule['Name']) ?? '').toLowerCase();
        const value = str(rule['Value']) ?? '';
        if (name === 'prefix') {
          if (prefix !== undefined) throw invalidArgument('Cannot specify more than one prefix rule in a filter.', 'FilterRule', 'prefix');
          prefix = value;
        } else if (name === 'suffix') {
          if (suffix !== undefined) throw invalidArgument('Cannot specify more than one suffix rule in a filter.', 'FilterRule', 'suffix');
          suffix = value;
        } else throw invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule', str(rule['Name']) ?? '');
      }
      destinations.push({ kind, id: str(c['Id']) || makeId(), arn, events, prefix: prefix || undefined, suffix: suffix || undefined });
    }
  }
  for (let i = 0; i < destinations.length; i++) {
    for (let j = i + 1; j < destinations.length; j++) {
      const a = destinations[i]!;
      const b = destinations[j]!;
      const shared = a.events.flatMap(expand).some((e) => b.events.flatMap(expand).includes(e));
      if (shared && overlaps(a.prefix, b.prefix, (x, y) => x.startsWith(y)) && overlaps(a.suffix, b.suffix, (x, y) => x.endsWith(y))) {
        throw new AwsError('InvalidArgument', 'Configurations overlap. Configurations on the same bucket cannot share a common event type.', {
          status: 400,
          fields: { ArgumentName1: 'Event', ArgumentValue1: 'Overlap' },
        });
      }
    }
  }
  return { destinations, eventBridge: v['EventBridgeConfiguration'] !== undefined };
}

export function notificationXml(c: NotificationConfig | undefined): XmlNode {
  if (!c) return [];
  const out: [string, XmlNode][] = [];
  for (const [kind, element, arnName] of KINDS) {
    for (const d of c.destinations.filter((x) => x.kind === kind)) {
      const rules: [string, XmlNode][] = [];
      if (d.prefix !== undefined) rules.push(['FilterRule', [['Name', 'Prefix'], ['Value', d.prefix]]]);
      if (d.suffix !== undefined) rules.push(['FilterRule', [['Name', 'Suffix'], ['Value', d.suffix]]]);
      out.push([element, [['Id', d.id], [arnName, d.arn], ...d.events.map((e): [string, string] => ['Event', e]), ['Filter', rules.length ? [['S3Key', rules]] : undefined]]]);
    }
  }
  if (c.eventBridge) out.push(['EventBridgeConfiguration', []]);
  return out;
}

/** The destinations an event on `key` goes to. */
export function destinationsFor(c: NotificationConfig | undefined, event: string, key: string): Destination[] {
  if (!c) return [];
  return c.destinations.filter(
    (d) => d.events.some((e) => eventMatches(e, event)) && (d.prefix === undefined || key.startsWith(d.prefix)) && (d.suffix === undefined || key.endsWith(d.suffix)),
  );
}
