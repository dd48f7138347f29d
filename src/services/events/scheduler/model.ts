// Schedules and schedule groups: their stored shapes, the tables (prefixed `schedules_`), and reads and writes.
// Every API read goes to the store, so that every node of a cluster answers the same.
import type { Migration, Queryable, Store } from '../../../store/store.js';
import { parseExpression, type Timing } from './expression.js';

export const SCHEDULES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE schedules_groups (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE schedules_schedules (region TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
           PRIMARY KEY (region, grp, name));
         CREATE TABLE schedules_fires (schedule TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (schedule, at));
         CREATE INDEX schedules_fires_at ON schedules_fires (at)`,
  },
];

export interface Target {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
  EventBridgeParameters?: { DetailType: string; Source: string };
}

export interface StoredSchedule {
  region: string;
  Name: string;
  GroupName: string;
  Description?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  State: 'ENABLED' | 'DISABLED';
  ActionAfterCompletion: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  /** Epoch ms. */
  StartDate?: number;
  EndDate?: number;
  CreationDate: number;
  LastModificationDate: number;
  Target: Target;
  /** When rate() periods count from (StartDate, else the create or update time). */
  anchor: number;
}

export interface StoredGroup {
  Name: string;
  CreationDate: number;
  LastModificationDate: number;
  Tags: { Key: string; Value: string }[];
}

export const scheduleArn = (accountId: string, s: Pick<StoredSchedule, 'region' | 'GroupName' | 'Name'>): string =>
  `arn:aws:scheduler:${s.region}:${accountId}:schedule/${s.GroupName}/${s.Name}`;
export const groupArn = (accountId: string, region: string, name: string): string => `arn:aws:scheduler:${region}:${accountId}:schedule-group/${name}`;

/** The timing of a stored schedule (its expression was validated when it was written). */
export function timingOf(s: StoredSchedule): Timing | undefined {
  const expression = parseExpression(s.ScheduleExpression);
  if (!expression) return undefined;
  return { expression, timezone: s.ScheduleExpressionTimezone, anchor: s.anchor, startDate: s.StartDate, endDate: s.EndDate };
}

export class ScheduleTables {
  constructor(private readonly store: Store) {}

  async migrate(): Promise<void> {
    await this.store.migrate('schedules', SCHEDULES_MIGRATIONS);
  }

  /** The group, or for `default` (which every region has) the one made on first use. */
  async group(region: string, name: string, now: number): Promise<StoredGroup | undefined> {
    const row = await this.store.get<{ body: string }>('SELECT body FROM schedules_groups WHERE region = ? AND name = ?', [region, name]);
    if (row) return JSON.parse(row.body) as StoredGroup;
    if (name !== 'default') return undefined;
    const g: StoredGroup = { Name: 'default', CreationDate: now, LastModificationDate: now, Tags: [] };
    await this.store.run('INSERT INTO schedules_groups (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO NOTHING', [region, 'default', JSON.stringify(g)]);
    return (await this.group(region, name, now)) ?? g;
  }

  async groups(region: string, now: number): Promise<StoredGroup[]> {
    await this.group(region, 'default', now);
    const rows = await this.store.all<{ body: string }>('SELECT body FROM schedules_groups WHERE region = ? ORDER BY name', [region]);
    return rows.map((r) => JSON.parse(r.body) as StoredGroup);
  }

  /** Inserts a group; false when one of that name exists. */
  async createGroup(region: string, g: StoredGroup): Promise<boolean> {
    const r = await this.store.run('INSERT INTO schedules_groups (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO NOTHING', [region, g.Name, JSON.stringify(g)]);
    return r.changes === 1;
  }

  async saveGroup(region: string, g: StoredGroup): Promise<void> {
    await this.store.run('UPDATE schedules_groups SET body = ? WHERE region = ? AND name = ?', [JSON.stringify(g), region, g.Name]);
  }

  /** Deletes a group and its schedules in one transaction; returns the schedules' names. */
  async deleteGroup(region: string, name: string): Promise<string[]> {
    return this.store.tx(async (q) => {
      const names = (await q.all<{ name: string }>('SELECT name FROM schedules_schedules WHERE region = ? AND grp = ?', [region, name])).map((r) => r.name);
      await q.run('DELETE FROM schedules_schedules WHERE region = ? AND grp = ?', [region, name]);
      await q.run('DELETE FROM schedules_groups WHERE region = ? AND name = ?', [region, name]);
      return names;
    });
  }

  async schedule(region: string, group: string, name: string, q: Queryable = this.store): Promise<StoredSchedule | undefined> {
    const row = await q.get<{ body: string }>('SELECT body FROM schedules_schedules WHERE region = ? AND grp = ? AND name = ?', [region, group, name]);
    return row ? (JSON.parse(row.body) as StoredSchedule) : undefined;
  }

  async schedules(region?: string): Promise<StoredSchedule[]> {
    const rows =
      region === undefined
        ? await this.store.all<{ body: string }>('SELECT body FROM schedules_schedules')
        : await this.store.all<{ body: string }>('SELECT body FROM schedules_schedules WHERE region = ? ORDER BY grp, name', [region]);
    return rows.map((r) => JSON.parse(r.body) as StoredSchedule);
  }

  /** Inserts a schedule; false when one of that name exists in the group. */
  async createSchedule(s: StoredSchedule): Promise<boolean> {
    const r = await this.store.run('INSERT INTO schedules_schedules (region, grp, name, body) VALUES (?, ?, ?, ?) ON CONFLICT (region, grp, name) DO NOTHING', [
      s.region, s.GroupName, s.Name, JSON.stringify(s),
    ]);
    return r.changes === 1;
  }

  /** Replaces a schedule; false when it no longer exists. */
  async updateSchedule(s: StoredSchedule): Promise<boolean> {
    const r = await this.store.run('UPDATE schedules_schedules SET body = ? WHERE region = ? AND grp = ? AND name = ?', [JSON.stringify(s), s.region, s.GroupName, s.Name]);
    return r.changes === 1;
  }

  async deleteSchedule(region: string, group: string, name: string, q: Queryable = this.store): Promise<boolean> {
    const r = await q.run('DELETE FROM schedules_schedules WHERE region = ? AND grp = ? AND name = ?', [region, group, name]);
    return r.changes === 1;
  }
}
