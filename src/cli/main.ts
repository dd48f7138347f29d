#!/usr/bin/env node
// The `selfless` command: dispatches to subcommands; every failure is one line on stderr and a non-zero exit.
import { StartupError } from '../app.js';
import { DEPLOY_USAGE, deleteStack, deploy, stacks } from './deploy.js';
import { audit, logs } from './logs.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, UsageError, type Parsed } from './options.js';
import { start } from './start.js';
import { invoke, sync, SYNC_USAGE } from './sync.js';
import { generateEvent } from './generate-event.js';
import { transform, TRANSFORM_USAGE } from './transform.js';
import { validate, VALIDATE_USAGE } from './validate.js';

const USAGE = `usage: selfless <command> [options]   (selfless <command> --help for its options; selfless --version)

commands:
  start                 run selfless (--host 127.0.0.1 --port 9000 --data ./.selfless)
  logs <function>       print a function's logs (--follow to keep printing, --endpoint URL, --region R)
  audit                 print the authorization decisions about non-root callers (--follow, --endpoint URL, --region R)
  transform TEMPLATE    expand a SAM template to CloudFormation JSON (--region R, --parameter-overrides K=V …)
  validate TEMPLATE     check a SAM template locally; every error with its resource and property
  deploy                deploy a SAM/CloudFormation template as a stack (--stack-name N, --template-file F, …)
  delete                delete a stack (--stack-name N)
  stacks                list the server's stacks
  sync                  deploy a stack, then with --watch push code changes straight to its functions
  invoke <function>     invoke a function by name or a stack's logical id (--stack-name N, --event file.json)
  generate-event S E    print a sample event (s3 put, sqs receive-message, apigateway aws-proxy, …)
`;

const START_USAGE = `usage: selfless start [--host 127.0.0.1] [--port 9000] [--data ./.selfless] [--store postgres://…] [--region us-east-1]
                      [--account-id 000000000000] [--isolation auto|sandbox|process] [--idle-timeout S] [--prestart N]
                      [--account-concurrency N] [--async-retry-delay S] [--async-concurrency N] [--gateway FILE]
                      [--kms-master-key-file FILE] [--auth dev|enforce] [--root-access-key ID --root-secret-key SECRET]
                      [--stop-timeout S]
(each flag also as a SELFLESS_* variable; see the README)
`;

interface Command {
  run(p: Parsed): Promise<number> | number;
  usage: string;
  /** The flags it takes; undefined: any (generate-event takes the event's fields as flags). */
  flags?: string[];
}

const STACK = ['endpoint', 'stack-name', 'template-file', 'template', 'parameter-overrides', 'capabilities', 'no-execute-changeset', 'skip-unsupported'];
const COMMANDS: Record<string, Command> = {
  start: { run: start, usage: START_USAGE, flags: ['host', 'port', 'data', 'store', 'region', 'account-id', 'isolation', 'idle-timeout', 'prestart', 'account-concurrency', 'async-retry-delay', 'async-concurrency', 'gateway', 'kms-master-key-file', 'auth', 'root-access-key', 'root-secret-key', 'stop-timeout'] },
  audit: { run: audit, usage: 'usage: selfless audit [--follow] [--endpoint URL] [--region R]\n', flags: ['follow', 'endpoint', 'region'] },
  logs: { run: logs, usage: 'usage: selfless logs <function> [--follow] [--endpoint URL] [--region R] [--log-group NAME]\n', flags: ['follow', 'endpoint', 'region', 'log-group'] },
  transform: { run: transform, usage: TRANSFORM_USAGE, flags: ['region', 'account-id', 'parameter-overrides'] },
  validate: { run: validate, usage: VALIDATE_USAGE, flags: ['region', 'account-id', 'parameter-overrides'] },
  deploy: { run: deploy, usage: DEPLOY_USAGE, flags: STACK },
  delete: { run: deleteStack, usage: DEPLOY_USAGE, flags: ['endpoint', 'stack-name'] },
  stacks: { run: stacks, usage: DEPLOY_USAGE, flags: ['endpoint'] },
  sync: { run: sync, usage: SYNC_USAGE, flags: [...STACK, 'watch'] },
  invoke: { run: invoke, usage: SYNC_USAGE, flags: ['endpoint', 'stack-name', 'event'] },
  'generate-event': { run: generateEvent, usage: 'usage: selfless generate-event <service> <event> [--region R] [--account A] [--<field> value …]\n' },
};

/** Edit distance, for "did you mean" on a misspelled flag or command. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function suggest(word: string, known: string[]): string {
  const best = known.map((k) => [k, distance(word, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : '';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  if (p.command === '--version' || p.command === '-v' || p.command === 'version') {
    process.stdout.write(`selfless ${version()}\n`);
    return 0;
  }
  if (p.command === 'help' || p.command === '--help' || p.command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const cmd = COMMANDS[p.command];
  if (!cmd) {
    const near = suggest(p.command, Object.keys(COMMANDS));
    throw new UsageError(`unknown command '${p.command}'${near ? ` (did you mean '${near}'?)` : ''}\n${USAGE}`);
  }
  if (p.flags.has('help')) {
    process.stdout.write(cmd.usage);
    return 0;
  }
  for (const f of cmd.flags ? p.flags.keys() : []) {
    if (cmd.flags!.includes(f)) continue;
    const near = suggest(f, cmd.flags!);
    throw new UsageError(`unknown option --${f} for selfless ${p.command}${near ? ` (did you mean --${near}?)` : ''}\n${cmd.usage}`);
  }
  return cmd.run(p);
}

process.on('unhandledRejection', (e) => {
  process.stderr.write(`selfless: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof StartupError;
    process.stderr.write(`selfless: ${known ? (e as Error).message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(known ? 2 : 1);
  },
);
