// A Step Functions SDK client pointed at a test server, and polling until an execution reaches a state.
import { DescribeExecutionCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';

/** The role every test state machine names (the server does not check it). */
export const SM_ROLE = 'arn:aws:iam::000000000000:role/sfn-role';

/** `disableHostPrefix`: StartSyncExecution would otherwise go to the `sync-` host, which a local endpoint lacks. */
export function sfnClient(url: string): SFNClient {
  return new SFNClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1, disableHostPrefix: true });
}

/** Calls `fn` every 50 ms until `ok` holds or `ms` have passed; returns the last value either way. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** DescribeExecution once the execution has left RUNNING (or its last answer after `ms`). */
export function finished(client: SFNClient, executionArn: string | undefined, ms?: number): Promise<DescribeExecutionCommandOutput> {
  return until(() => client.send(new DescribeExecutionCommand({ executionArn })), (x) => x.status !== 'RUNNING', ms);
}
