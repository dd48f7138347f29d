// Unit: retention sweeps: Step Functions executions closed more than 90 days ago go with their history (running and
// recent ones stay); log events past their group's retentionInDays go (groups without a policy keep everything).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import { STATES_MIGRATIONS } from '../../src/services/states/store.js';
import { LOGS_MIGRATIONS } from '../../src/services/logs/store.js';
import { EXECUTION_RETENTION_MS, pruneExecutions } from '../../src/services/states/retention.js';
import { pruneLogEvents } from '../../src/services/logs/retention.js';

const DAY = 86_400_000;

async function withStore(body: (s: SqliteStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'retention-'));
  const store = new SqliteStore(dir);
  try {
    await body(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('Retention: Step Functions deletes executions closed more than 90 days ago with their history, and keeps running and recent ones', async () => {
  await withStore(async (store) => {
    await store.migrate('states', STATES_MIGRATIONS);
    const now = 1_000 * DAY;
    const add = async (arn: string, status: string, stop: number | null): Promise<void> => {
      await store.run("INSERT INTO states_executions (arn, sm_arn, name, region, status, input, start, stop, definition, role_arn, sm_type, seq) VALUES (?, 'sm', ?, 'us-east-1', ?, '{}', 0, ?, '{}', 'r', 'STANDARD', 1)", [arn, arn, status, stop]);
      await store.run("INSERT INTO states_events (exec_arn, id, body) VALUES (?, 1, '{}')", [arn]);
    };
    await add('old-done', 'SUCCEEDED', now - EXECUTION_RETENTION_MS - DAY);
    await add('old-failed', 'FAILED', now - 200 * DAY);
    await add('recent', 'SUCCEEDED', now - 89 * DAY);
    await add('running', 'RUNNING', null);
    assert.equal(await pruneExecutions(store, store.journal, now), 2);
    const left = (await store.all<{ arn: string }>('SELECT arn FROM states_executions ORDER BY arn')).map((r) => r.arn);
    assert.deepEqual(left, ['recent', 'running']);
    const history = (await store.all<{ exec_arn: string }>('SELECT exec_arn FROM states_events ORDER BY exec_arn')).map((r) => r.exec_arn);
    assert.deepEqual(history, ['recent', 'running']);
  });
});

test('Retention: Logs deletes events older than their group\'s retentionInDays and keeps groups without a policy whole', async () => {
  await withStore(async (store) => {
    await store.migrate('logs', LOGS_MIGRATIONS);
    const now = 1_000 * DAY;
    await store.run("INSERT INTO logs_groups (region, grp, created, retention) VALUES ('us-east-1', 'kept', 0, NULL), ('us-east-1', 'week', 0, 7)");
    for (const grp of ['kept', 'week']) {
      for (const age of [1, 6, 8, 400]) {
        await store.run("INSERT INTO logs_events (region, grp, stream, ts, ingest, message) VALUES ('us-east-1', ?, 's', ?, ?, 'm')", [grp, now - age * DAY, now - age * DAY]);
      }
    }
    assert.equal(await pruneLogEvents(store, store.journal, now), 2);
    const left = await store.all<{ grp: string; n: number }>('SELECT grp, COUNT(*) AS n FROM logs_events GROUP BY grp ORDER BY grp');
    assert.deepEqual(left.map((r) => [r.grp, r.n]), [['kept', 4], ['week', 2]]);
  });
});
