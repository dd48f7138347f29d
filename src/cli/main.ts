#!/usr/bin/env node
// The `selfless` command: dispatches to subcommands; every failure is one line on stderr and a non-zero exit.
import { StartupError } from '../app.js';
import { deleteStack, deploy, stacks } from './deploy.js';
import { logs } from './logs.js';
import { parseArgs, UsageError } from './options.js';
import { start } from './start.js';
import { invoke, sync } from './sync.js';
import { generateEvent } from './generate-event.js';
import { transform } from './transform.js';
import { validate } from './validate.js';

const USAGE = `usage: selfless <command> [options]

commands:
  start                 run selfless (--host 127.0.0.1 --port 9000 --data ./.selfless)
  logs <function>       print a function's logs (--follow to keep printing, --endpoint URL, --region R)
  transform TEMPLATE    expand a SAM template to CloudFormation JSON (--region R, --parameter-overrides K=V …)
  validate TEMPLATE     check a SAM template locally; every error with its resource and property
  deploy                deploy a SAM/CloudFormation template as a stack (--stack-name N, --template-file F, …)
  delete                delete a stack (--stack-name N)
  stacks                list the server's stacks
  sync                  deploy a stack, then with --watch push code changes straight to its functions
  invoke <function>     invoke a function by name or a stack's logical id (--stack-name N, --event file.json)
  generate-event S E    print a sample event (s3 put, sqs receive-message, apigateway aws-proxy, …)
`;

async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  switch (p.command) {
    case 'start':
      return start(p);
    case 'logs':
      return logs(p);
    case 'transform':
      return transform(p);
    case 'validate':
      return validate(p);
    case 'deploy':
      return deploy(p);
    case 'delete':
      return deleteStack(p);
    case 'stacks':
      return stacks(p);
    case 'sync':
      return sync(p);
    case 'invoke':
      return invoke(p);
    case 'generate-event':
      return generateEvent(p);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${p.command}'\n${USAGE}`);
  }
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
