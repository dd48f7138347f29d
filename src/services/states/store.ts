// Step Functions tables: state machines, executions (with their resume checkpoint), history events, timers, activities,
// and the task tokens executions wait on (with any outcome sent for them), so that callbacks survive a restart.
// In a cluster an execution's row names the node running it (`owner`) and its lease epoch: every history write is
// fenced on both, so a node that lost the lease can no longer write the execution's history.
import type { Migration, Store } from '../../store/store.js';

export const STATES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE states_machines (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, definition TEXT NOT NULL,
  role_arn TEXT NOT NULL, created REAL NOT NULL, updated REAL, revision TEXT NOT NULL, logging TEXT, tracing TEXT, description TEXT, tags TEXT NOT NULL);
CREATE TABLE states_executions (arn TEXT PRIMARY KEY, sm_arn TEXT NOT NULL, name TEXT NOT NULL, region TEXT NOT NULL, status TEXT NOT NULL,
  input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, start REAL NOT NULL, stop REAL, definition TEXT NOT NULL, role_arn TEXT NOT NULL,
  sm_type TEXT NOT NULL, trace TEXT, checkpoint TEXT, seq INTEGER NOT NULL);
CREATE INDEX states_executions_sm ON states_executions (sm_arn, seq);
CREATE TABLE states_events (exec_arn TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (exec_arn, id));
CREATE TABLE states_timers (exec_arn TEXT PRIMARY KEY, fire_at REAL NOT NULL);
CREATE TABLE states_activities (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, created REAL NOT NULL, tags TEXT NOT NULL);
`,
  },
  {
    version: 2,
    up: `
CREATE TABLE states_tokens (token TEXT PRIMARY KEY, exec_arn TEXT NOT NULL, activity_arn TEXT, input TEXT, started INTEGER NOT NULL DEFAULT 0, result TEXT);
CREATE INDEX states_tokens_exec ON states_tokens (exec_arn);
`,
  },
  {
    version: 3,
    up: `
ALTER TABLE states_executions ADD COLUMN owner TEXT;
ALTER TABLE states_executions ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE states_executions ADD COLUMN stop_req TEXT;
CREATE INDEX states_executions_status ON states_executions (status);
ALTER TABLE states_tokens ADD COLUMN issued REAL NOT NULL DEFAULT 0;
ALTER TABLE states_tokens ADD COLUMN worker TEXT;
CREATE INDEX states_tokens_activity ON states_tokens (activity_arn, started, issued);
`,
  },
];

export async function migrateStates(store: Store): Promise<void> {
  await store.migrate('states', STATES_MIGRATIONS);
}
