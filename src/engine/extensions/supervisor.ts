// External extensions: found in the layers' /opt/extensions, started before the runtime by a small supervisor that
// runs inside the environment (the runtime's own process tree, sandbox and cgroup) and tags the extensions' output.
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The executable files of `<opt>/extensions`, by name (AWS starts every one of them). */
export async function findExtensions(optDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(optDir, 'extensions'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    const st = await stat(join(optDir, 'extensions', n)).catch(() => undefined);
    if (st?.isFile() && (st.mode & 0o111) !== 0) out.push(n);
  }
  return out;
}

/** What the supervisor writes on its stdout for an extension's line or exit: `<RS><token> log|exit <name> <text>`. */
export const MARK = '\u001e';

export type SupervisorLine = { kind: 'log'; name: string; text: string } | { kind: 'exit'; name: string; reason: string };

/** Reads one supervisor line; undefined when it is the runtime's own output. */
export function parseSupervisorLine(line: string, token: string): SupervisorLine | undefined {
  if (!line.startsWith(MARK) || !line.startsWith(`${MARK}${token} `)) return undefined;
  const rest = line.slice(token.length + 2);
  const kind = rest.slice(0, rest.indexOf(' '));
  const after = rest.slice(kind.length + 1);
  const sp = after.indexOf(' ');
  const name = sp < 0 ? after : after.slice(0, sp);
  const text = sp < 0 ? '' : after.slice(sp + 1);
  if (kind === 'log') return { kind, name, text };
  if (kind === 'exit') return { kind, name, reason: text };
  return undefined;
}

/**
 * The supervisor itself, run as `node -e` (so it needs no file inside the environment). argv: token, extensions
 * dir, extension names…, `--`, the runtime command and its arguments. It starts every extension with the function's
 * environment, waits until the platform says they have all registered, then runs the runtime with inherited stdio
 * and ends as it ends. The function's NODE_OPTIONS reaches the children only (the supervisor is Node.js too).
 */
function supervisorMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cp = require('node:child_process') as typeof import('node:child_process');
  const http = require('node:http') as typeof import('node:http');
  const path = require('node:path') as typeof import('node:path');
  const argv = process.argv.slice(1);
  const token = argv[0]!;
  const dir = argv[1]!;
  const sep = argv.indexOf('--');
  const names = argv.slice(2, sep);
  const runtime = argv.slice(sep + 1);
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  if (env['SELFLESS_NODE_OPTIONS'] !== undefined) env['NODE_OPTIONS'] = env['SELFLESS_NODE_OPTIONS'];
  delete env['SELFLESS_NODE_OPTIONS'];
  const out = (s: string): void => void process.stdout.write(`\u001e${token} ${s}\n`);
  const lines = (name: string, stream: NodeJS.ReadableStream): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        out(`log ${name} ${buf.slice(0, i)}`);
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      if (buf) out(`log ${name} ${buf}`);
    });
  };
  for (const name of names) {
    const child = cp.spawn(path.join(dir, name), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    lines(name, child.stdout!);
    lines(name, child.stderr!);
    let reported = false;
    const exit = (reason: string): void => {
      if (reported) return;
      reported = true;
      out(`exit ${name} ${reason}`);
    };
    child.on('error', (e: Error) => exit(`fork/exec ${path.join(dir, name)}: ${e.message}`));
    child.on('exit', (code, signal) => exit(signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal.toLowerCase().replace(/^sig/, '')}` : `exit status ${code ?? 0}`));
  }
  const start = (): void => {
    const rt = cp.spawn(runtime[0]!, runtime.slice(1), { env, stdio: 'inherit' });
    rt.on('error', () => process.exit(127));
    rt.on('exit', (code, signal) => {
      if (signal) process.kill(process.pid, signal);
      process.exit(code ?? 1);
    });
  };
  const wait = (): void => {
    const req = http.get(`http://${process.env['AWS_LAMBDA_RUNTIME_API']}/2020-01-01/selfless/extensions/registered`, (res) => {
      res.resume();
      res.on('end', start);
    });
    req.on('error', () => setTimeout(wait, 10));
  };
  if (names.length > 0) wait();
  else start();
}

/** The command an environment with external extensions runs instead of the bare runtime command. */
export function supervisorCommand(
  node: string,
  extensionsDir: string,
  names: string[],
  runtime: { command: string; args: string[] },
): { command: string; args: string[]; token: string } {
  const token = randomBytes(12).toString('hex');
  const code = `(${supervisorMain.toString()})()`;
  return { command: node, args: ['-e', code, token, extensionsDir, ...names, '--', runtime.command, ...runtime.args], token };
}

/** The environment the supervisor starts with: the function's, with NODE_OPTIONS kept for its children only. */
export function supervisorEnv(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  if (out['NODE_OPTIONS'] !== undefined) {
    out['SELFLESS_NODE_OPTIONS'] = out['NODE_OPTIONS'];
    delete out['NODE_OPTIONS'];
  }
  return out;
}
