// A Step Functions SDK client pointed at a test server, and polling until an execution reaches a state.
import { SFNClient } from '@aws-sdk/client-sfn';

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
