// `selfless logs <function> [--follow]`: reads a function's log group through the Logs API of a running selfless;
// `selfless audit [--follow]` reads the authorization decisions (the `/selfless/audit` log group) the same way.
import { AUDIT_LOG_GROUP } from '../services/iam/index.js';
import { parseFunctionRef } from '../services/lambda/index.js';
import { envKey, signedFetch } from '../lib/sign.js';
import { str, UsageError, type Parsed } from './options.js';

interface FilterOut {
  events?: { timestamp: number; message: string; eventId: string; logStreamName: string }[];
  nextToken?: string;
  message?: string;
  __type?: string;
}

async function call(endpoint: string, region: string, op: string, body: unknown): Promise<FilterOut> {
  const res = await signedFetch(
    endpoint,
    { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${op}` }, body: JSON.stringify(body) },
    'logs',
    region,
    envKey(),
  );
  const out = (await res.json()) as FilterOut;
  if (!res.ok) throw new UsageError(`${out.__type ?? res.status}: ${out.message ?? ''}`);
  return out;
}

export async function logs(p: Parsed): Promise<number> {
  const fn = p.positional[0];
  if (!fn) throw new UsageError('usage: selfless logs <function> [--follow] [--endpoint URL] [--region R]');
  return printGroup(p, str(p, 'log-group', undefined, `/aws/lambda/${parseFunctionRef(fn).name}`));
}

export const audit = (p: Parsed): Promise<number> => printGroup(p, AUDIT_LOG_GROUP);

async function printGroup(p: Parsed, group: string): Promise<number> {
  const endpoint = str(p, 'endpoint', 'SELFLESS_ENDPOINT', process.env['AWS_ENDPOINT_URL'] || `http://127.0.0.1:${process.env['SELFLESS_PORT'] ?? 9000}`);
  const region = str(p, 'region', 'AWS_DEFAULT_REGION', 'us-east-1');
  const follow = p.flags.get('follow') === true;
  let token: string | undefined;
  for (;;) {
    let out: FilterOut;
    try {
      out = await call(endpoint, region, 'FilterLogEvents', { logGroupName: group, ...(token ? { nextToken: token } : {}) });
    } catch (e) {
      if (e instanceof UsageError && /ResourceNotFound/.test(e.message) && follow) out = {};
      else if (e instanceof TypeError) throw new UsageError(`cannot reach selfless at ${endpoint} (is 'selfless start' running?)`);
      else throw e;
    }
    for (const ev of out.events ?? []) {
      process.stdout.write(`${new Date(ev.timestamp).toISOString()} ${ev.message}\n`);
      token = ev.eventId;
    }
    if (out.nextToken) {
      token = out.nextToken;
      continue;
    }
    if (!follow) return 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}
