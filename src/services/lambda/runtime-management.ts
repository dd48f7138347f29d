// Runtime management configurations (Put/GetRuntimeManagementConfig) per function version: when the runtime is
// updated (Auto, FunctionUpdate, Manual with a pinned runtime version). selfless has one runtime version per runtime,
// the one FunctionConfiguration's RuntimeVersionConfig shows, so Manual may pin that one only.
import type { Store } from '../../store/store.js';

export const RUNTIME_MANAGEMENT_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_runtime_management (region TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, update_on TEXT NOT NULL,
           runtime_version_arn TEXT, PRIMARY KEY (region, name, version));`,
  },
];

export type UpdateRuntimeOn = 'Auto' | 'FunctionUpdate' | 'Manual';

export interface RuntimeManagement {
  UpdateRuntimeOn: UpdateRuntimeOn;
  RuntimeVersionArn?: string;
}

export class RuntimeManagementConfigs {
  constructor(private readonly store: Store) {}

  init(): Promise<void> {
    return this.store.migrate('lambda_runtime_management', RUNTIME_MANAGEMENT_MIGRATIONS);
  }

  /** A version's configuration; Auto (AWS's default) when none was put. */
  async get(region: string, name: string, version: string): Promise<RuntimeManagement> {
    const r = await this.store.get<{ update_on: UpdateRuntimeOn; runtime_version_arn: string | null }>(
      'SELECT update_on, runtime_version_arn FROM lambda_runtime_management WHERE region = ? AND name = ? AND version = ?',
      [region, name, version],
    );
    if (!r) return { UpdateRuntimeOn: 'Auto' };
    return { UpdateRuntimeOn: r.update_on, ...(r.runtime_version_arn !== null ? { RuntimeVersionArn: r.runtime_version_arn } : {}) };
  }

  async put(region: string, name: string, version: string, c: RuntimeManagement): Promise<void> {
    await this.store.run(
      `INSERT INTO lambda_runtime_management (region, name, version, update_on, runtime_version_arn) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (region, name, version) DO UPDATE SET update_on = excluded.update_on, runtime_version_arn = excluded.runtime_version_arn`,
      [region, name, version, c.UpdateRuntimeOn, c.RuntimeVersionArn ?? null],
    );
  }

  /** A deleted function (version undefined) or version takes its configurations with it. */
  async forget(region: string, name: string, version?: string): Promise<void> {
    if (version === undefined) await this.store.run('DELETE FROM lambda_runtime_management WHERE region = ? AND name = ?', [region, name]);
    else await this.store.run('DELETE FROM lambda_runtime_management WHERE region = ? AND name = ? AND version = ?', [region, name, version]);
  }
}
