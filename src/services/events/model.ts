// The records EventBridge keeps besides rules (buses, archives, replays) and the work item a delivery is.
import type { Target } from './rules.js';
import type { Tag } from './wire.js';

export interface Bus {
  Name: string;
  Description?: string;
  /** The resource policy (PutPermission statements), JSON text. */
  Policy?: string;
  DeadLetterConfig?: { Arn?: string };
  CreationTime: number;
  LastModifiedTime: number;
  Tags?: Tag[];
}

export interface Archive {
  Name: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  RetentionDays: number;
  State: 'ENABLED' | 'DISABLED' | 'CREATING' | 'UPDATING' | 'CREATE_FAILED' | 'UPDATE_FAILED';
  CreationTime: number;
}

export interface Replay {
  Name: string;
  Description?: string;
  EventSourceArn: string;
  Destination: { Arn: string; FilterArns?: string[] };
  EventStartTime: number;
  EventEndTime: number;
  State: 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  StateReason?: string;
  ReplayStartTime: number;
  ReplayEndTime?: number;
  EventLastReplayedTime?: number;
}

/** One pending delivery of one event to one rule target (the payload of a work item of DELIVERY_QUEUE). */
export interface Delivery {
  region: string;
  ruleArn: string;
  ruleName: string;
  target: Target;
  event: Record<string, unknown>;
  /** When EventBridge received the event (ms): the start of MaximumEventAgeInSeconds. */
  ingestion: number;
  /** Retries made so far. */
  retries: number;
}

export const DELIVERY_QUEUE = 'events:deliver';
export const REPLAY_QUEUE = 'events:replay';

/** A work item id unique in its queue that sorts in arrival order. */
let seq = 0;
export function workId(now: number): string {
  seq = (seq + 1) % 1_000_000;
  return `${String(now).padStart(15, '0')}-${String(seq).padStart(6, '0')}-${Math.random().toString(36).slice(2, 10)}`;
}

export const busArn = (region: string, account: string, name: string): string => `arn:aws:events:${region}:${account}:event-bus/${name}`;
export const archiveArn = (region: string, account: string, name: string): string => `arn:aws:events:${region}:${account}:archive/${name}`;
export const replayArn = (region: string, account: string, name: string): string => `arn:aws:events:${region}:${account}:replay/${name}`;
/** The bus an event-bus ARN names (or undefined). */
export function parseBusArn(arn: string): { region: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):\d{12}:event-bus\/(.+)$/.exec(arn);
  return m ? { region: m[1]!, name: m[2]! } : undefined;
}
