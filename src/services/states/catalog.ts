// State machines and activities: rows in the store, cached per node and invalidated through the notifier.
//
// Every node answers for every machine, so the store is the truth: a miss reads it, a list reads it, and a write
// (create, update, tags, delete) is committed and then announced on `states:machine` / `states:activity-def`, on
// which every node (the writer too) drops its cached copy.
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import type { Json } from './asl/paths.js';

type Obj = Record<string, Json>;

export interface Machine {
  arn: string;
  region: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  created: number;
  updated?: number;
  revision: string;
  logging?: string;
  tracing?: string;
  description?: string;
  tags: Record<string, string>;
  parsed: Obj;
}

export interface Activity {
  arn: string;
  name: string;
  created: number;
  tags: Record<string, string>;
}

const MACHINES = 'states:machine';
const ACTIVITIES = 'states:activity-def';

type Row = Record<string, string | number | null>;

function machineFromRow(r: Row): Machine {
  return {
    arn: r['arn'] as string, region: r['region'] as string, name: r['name'] as string, type: r['type'] as 'STANDARD',
    definition: r['definition'] as string, roleArn: r['role_arn'] as string, created: r['created'] as number, updated: (r['updated'] as number | null) ?? undefined,
    revision: r['revision'] as string, logging: (r['logging'] as string | null) ?? undefined, tracing: (r['tracing'] as string | null) ?? undefined,
    description: (r['description'] as string | null) ?? undefined, tags: JSON.parse(r['tags'] as string) as Record<string, string>, parsed: JSON.parse(r['definition'] as string) as Obj,
  };
}

const activityFromRow = (r: { arn: string; name: string; created: number; tags: string }): Activity => ({ arn: r.arn, name: r.name, created: r.created, tags: JSON.parse(r.tags) as Record<string, string> });

export class Catalog {
  private readonly machines = new Map<string, Machine>();
  private readonly activities = new Map<string, Activity>();
  private readonly unlisten: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
  ) {
    this.unlisten.push(
      notifier.listen(MACHINES, (arn) => this.machines.delete(arn)),
      notifier.listen(ACTIVITIES, (arn) => this.activities.delete(arn)),
    );
  }

  close(): void {
    for (const u of this.unlisten) u();
  }

  async machine(arn: string): Promise<Machine | undefined> {
    const hit = this.machines.get(arn);
    if (hit) return hit;
    const r = await this.store.get<Row>('SELECT * FROM states_machines WHERE arn = ?', [arn]);
    if (!r) return undefined;
    const m = machineFromRow(r);
    this.machines.set(arn, m);
    return m;
  }

  async listMachines(region: string): Promise<Machine[]> {
    // Sorted here, not by the database: PostgreSQL's collation would order names differently from SQLite.
    return (await this.store.all<Row>('SELECT * FROM states_machines WHERE region = ?', [region])).map(machineFromRow).sort((a, c) => (a.name < c.name ? -1 : 1));
  }

  async saveMachine(x: Machine): Promise<void> {
    await this.store.run(
      `INSERT INTO states_machines (arn, region, name, type, definition, role_arn, created, updated, revision, logging, tracing, description, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (arn) DO UPDATE SET definition = excluded.definition, role_arn = excluded.role_arn, updated = excluded.updated, revision = excluded.revision,
         logging = excluded.logging, tracing = excluded.tracing, description = excluded.description, tags = excluded.tags`,
      [x.arn, x.region, x.name, x.type, x.definition, x.roleArn, x.created, x.updated ?? null, x.revision, x.logging ?? null, x.tracing ?? null, x.description ?? null, JSON.stringify(x.tags)],
    );
    this.machines.set(x.arn, x);
    this.notifier.notify(MACHINES, x.arn);
  }

  async deleteMachine(arn: string): Promise<void> {
    await this.store.run('DELETE FROM states_machines WHERE arn = ?', [arn]);
    this.machines.delete(arn);
    this.notifier.notify(MACHINES, arn);
  }

  async activity(arn: string): Promise<Activity | undefined> {
    const hit = this.activities.get(arn);
    if (hit) return hit;
    const r = await this.store.get<{ arn: string; name: string; created: number; tags: string }>('SELECT * FROM states_activities WHERE arn = ?', [arn]);
    if (!r) return undefined;
    const a = activityFromRow(r);
    this.activities.set(arn, a);
    return a;
  }

  async listActivities(region: string): Promise<Activity[]> {
    return (await this.store.all<{ arn: string; name: string; created: number; tags: string }>('SELECT * FROM states_activities WHERE region = ?', [region])).map(activityFromRow).sort((a, c) => (a.name < c.name ? -1 : 1));
  }

  /** Creates the activity unless it exists; returns the stored one. */
  async createActivity(region: string, a: Activity): Promise<Activity> {
    await this.store.run('INSERT INTO states_activities (arn, region, name, created, tags) VALUES (?, ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING', [a.arn, region, a.name, a.created, JSON.stringify(a.tags)]);
    this.activities.delete(a.arn);
    this.notifier.notify(ACTIVITIES, a.arn);
    return (await this.activity(a.arn)) ?? a;
  }

  async saveActivityTags(a: Activity): Promise<void> {
    await this.store.run('UPDATE states_activities SET tags = ? WHERE arn = ?', [JSON.stringify(a.tags), a.arn]);
    this.notifier.notify(ACTIVITIES, a.arn);
  }

  async deleteActivity(arn: string): Promise<void> {
    await this.store.run('DELETE FROM states_activities WHERE arn = ?', [arn]);
    this.activities.delete(arn);
    this.notifier.notify(ACTIVITIES, arn);
  }
}
