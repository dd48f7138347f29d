// Terraform against a live server: the hashicorp/aws provider from the machine's local mirror only (nothing is
// downloaded), a stack directory made from a fixture, and runs whose failures show terraform's and the server's output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Running } from './server.js';

export const PLUGINS = '/opt/tf-plugins';
const onPath = (cmd: string): boolean => (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
/** Why Terraform tests cannot run here, or false. */
export const terraformSkip: string | false = !onPath('terraform') ? 'terraform is not installed' : !existsSync(PLUGINS) ? `no provider mirror at ${PLUGINS}` : false;

export interface TfResult {
  code: number;
  out: string;
}

export interface Terraform {
  /** Runs terraform in `<work>/stack` with `vars` as TF_VAR_* (and `endpoint` = the server's URL). */
  run(args: string[], vars?: Record<string, string>): Promise<TfResult>;
  /** Asserts the exit code, showing the ends of terraform's and the server's output when it differs. */
  expectCode(r: TfResult, code: number, what: string): void;
}

/** Writes the CLI configuration (the local mirror) into `work` and `<work>/stack/main.tf` from `fixture`; returns the stack dir. */
export function terraformStack(work: string, fixture: string): string {
  const stack = join(work, 'stack');
  writeFileSync(join(work, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGINS}"\n  }\n}\n`);
  mkdirSync(stack);
  copyFileSync(fixture, join(stack, 'main.tf'));
  return stack;
}

export function terraform(work: string, server: Running): Terraform {
  return {
    run: (args, vars = {}) => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        TF_CLI_CONFIG_FILE: join(work, 'cli.tfrc'),
        TF_DATA_DIR: join(work, '.terraform'),
        TF_PLUGIN_CACHE_DIR: undefined,
        TF_IN_AUTOMATION: '1',
        CHECKPOINT_DISABLE: '1',
        TF_INPUT: '0',
        TF_VAR_endpoint: server.url,
      };
      for (const [k, v] of Object.entries(vars)) env[`TF_VAR_${k}`] = v;
      return new Promise((resolve) => {
        execFile('terraform', [...args, '-no-color'], { cwd: join(work, 'stack'), env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
        );
      });
    },
    expectCode: (r, code, what) =>
      assert.equal(r.code, code, `${what} exited ${r.code}:\n${r.out.slice(-6000)}\n--- server:\n${server.output().slice(-3000)}`),
  };
}
