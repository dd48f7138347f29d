// Waiting for a Standard execution that may run on another node to end, and describing it from its stored row.
import type { Clock } from '../../lib/clock.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import type { Json } from './asl/paths.js';
import type { ExecRow } from './service.js';

type Obj = Record<string, Json>;

/**
 * Resolves with the execution's row once it is no longer RUNNING (hearing `states:ended`, re-checking every second
 * in case a notification was missed), or with undefined after `timeoutMs` or when the service closes; `ping` is
 * called at each re-check (StopExecution repeats its request to the owner with it).
 */
export function endedRow(m: { store: Store; notifier: Notifier; clock: Clock; closed: boolean }, arn: string, timeoutMs: number, ping?: () => void): Promise<ExecRow | undefined> {
  const deadline = m.clock.now() + timeoutMs;
  return new Promise((resolve) => {
    let done = false;
    let cancel = (): void => undefined;
    const finish = (row: ExecRow | undefined): void => {
      if (done) return;
      done = true;
      unlisten();
      cancel();
      resolve(row);
    };
    const check = async (): Promise<void> => {
      const row = await m.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]).catch(() => undefined);
      if (row && row.status !== 'RUNNING') finish(row);
    };
    const unlisten = m.notifier.listen('states:ended', (a) => {
      if (a === arn) void check();
    });
    const tick = (): void => {
      if (done) return;
      if (m.closed || m.clock.now() >= deadline) return finish(undefined);
      ping?.();
      void check();
      cancel = m.clock.setTimer(1000, tick);
    };
    tick();
  });
}

/** DescribeExecution's shape (as the nested-execution integrations give it) from a stored row. */
export function describeRow(r: ExecRow): Obj {
  const o: Obj = { ExecutionArn: r.arn, StateMachineArn: r.sm_arn, Name: r.name, Status: r.status, StartDate: r.start, Input: r.input, InputDetails: { Included: true } };
  if (r.stop !== null) o['StopDate'] = r.stop;
  if (r.output !== null) {
    o['Output'] = r.output;
    o['OutputDetails'] = { Included: true };
  }
  if (r.error !== null) o['Error'] = r.error;
  if (r.cause !== null) o['Cause'] = r.cause;
  return o;
}
