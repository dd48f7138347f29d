// Starts a server in a given isolation mode for the shared contract suite; a sandbox that cannot work here is a skip
// that says why (the server's own start-up message), never a silent pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ROOT, startServer, type Running } from './server.js';

export type Mode = 'sandbox' | 'process';

export interface ModeServer {
  server?: Running;
  skip?: string;
}

export async function startInMode(mode: Mode, args: string[] = [], dataDir?: string): Promise<ModeServer> {
  try {
    return { server: await startServer({ args: ['--isolation', mode, ...args], dataDir }) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const why = /cannot work on this machine: (.*)/.exec(msg)?.[1];
    if (mode === 'sandbox' && why) return { skip: `sandbox unavailable here: ${why}` };
    throw e;
  }
}

export const fixture = (name: string, file: string): Buffer => readFileSync(join(ROOT, 'test', 'fixtures', 'functions', name, file));

export const text = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('utf8');
export const json = (b?: Uint8Array): any => JSON.parse(text(b));
export const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');

export function invoke(client: LambdaClient, name: string, payload: unknown = {}, tail = false) {
  return client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
}

/** Runs a shell script inside the hostile-shell function; resolves with its exit code and output. */
export async function shell(client: LambdaClient, name: string, script: string): Promise<{ code: number; out: string; error?: string }> {
  const r = await invoke(client, name, Buffer.from(script).toString('base64'));
  if (r.FunctionError) return { code: -1, out: '', error: text(r.Payload) };
  const body = json(r.Payload) as { code: number; out: string };
  return { code: body.code, out: Buffer.from(body.out, 'base64').toString('utf8') };
}
