// `selfless start`: runs the server until SIGINT/SIGTERM, printing the ready line the contract promises.
import { startApp, StartupError } from '../app.js';
import { authOptions } from './auth-options.js';
import { limitsFromEnv, raiseFdLimit } from '../server/limits.js';
import { int, str, type Parsed } from './options.js';

export async function start(p: Parsed): Promise<number> {
  const host = str(p, 'host', 'SELFLESS_HOST', '127.0.0.1');
  const port = int(p, 'port', 'SELFLESS_PORT', 9000, 0, 65535);
  const dataDir = str(p, 'data', 'SELFLESS_DATA', '.selfless');
  const accountId = str(p, 'account-id', 'SELFLESS_ACCOUNT_ID', '000000000000');
  if (!/^\d{12}$/.test(accountId)) throw new StartupError(`--account-id must be 12 digits (got '${accountId}')`);
  const isolation = str(p, 'isolation', 'SELFLESS_ISOLATION', 'auto');
  if (isolation !== 'auto' && isolation !== 'sandbox' && isolation !== 'process') {
    throw new StartupError(`--isolation must be sandbox, process or auto (got '${isolation}')`);
  }
  // Each connection and environment holds file descriptors: a low soft limit is raised towards the hard one.
  const fds = raiseFdLimit();
  if (fds.warning) process.stderr.write(`${fds.warning}\n`);
  let app;
  try {
    app = await startApp({
      host,
      port,
      dataDir,
      accountId,
      auth: await authOptions(p, host, dataDir, (s) => process.stderr.write(s)),
      defaultRegion: str(p, 'region', 'SELFLESS_REGION', 'us-east-1'),
      idleTimeoutMs: int(p, 'idle-timeout', 'SELFLESS_IDLE_TIMEOUT_SECONDS', 600, 1, 86400) * 1000,
      prestartPerKey: int(p, 'prestart', 'SELFLESS_PRESTART', 2, 0, 64),
      accountConcurrency: int(p, 'account-concurrency', 'SELFLESS_ACCOUNT_CONCURRENCY', 1000, 1, 100000),
      asyncRetryDelaySeconds: int(p, 'async-retry-delay', 'SELFLESS_ASYNC_RETRY_DELAY_SECONDS', 60, 0, 3600),
      asyncConcurrency: int(p, 'async-concurrency', 'SELFLESS_ASYNC_CONCURRENCY', 32, 1, 1000),
      isolation,
      gatewayConfig: str(p, 'gateway', 'SELFLESS_GATEWAY_CONFIG', '') || undefined,
      kmsMasterKeyFile: str(p, 'kms-master-key-file', 'SELFLESS_KMS_MASTER_KEY_FILE', '') || undefined,
      store: str(p, 'store', 'SELFLESS_STORE', '') || undefined,
      httpLimits: limitsFromEnv(),
    });
  } catch (e) {
    if (e instanceof StartupError) {
      process.stderr.write(`selfless: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const stopSeconds = int(p, 'stop-timeout', 'SELFLESS_STOP_TIMEOUT_SECONDS', 30, 1, 3600);
  const ready = `selfless ready on ${app.url}\n`;
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Draining is bounded (in-flight requests get up to 10 s, then each service's stop): a stop that hangs past the
      // bound exits anyway. Every acknowledged write was durable before its answer, so nothing acknowledged is lost.
      const bound = setTimeout(() => {
        process.stderr.write(`selfless: did not stop within ${stopSeconds} s; exiting\n`);
        resolve(1);
      }, stopSeconds * 1000);
      bound.unref();
      app.stop().then(
        () => resolve(0),
        (e: unknown) => {
          process.stderr.write(`selfless: error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
          resolve(1);
        },
      );
    };
    // Handlers first: whoever reads the ready line may signal at once.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.stdout.write(ready);
  });
}
