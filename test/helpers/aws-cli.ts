// Runs the real AWS CLI (v1 via python's awscli module, v2 from /usr/bin/aws) against a selfless endpoint.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

export const CLI_V2 = '/usr/bin/aws';
export const hasV2 = (): boolean => existsSync(CLI_V2);

export function awsCli(version: 1 | 2, endpoint: string, args: string[], cwd?: string): Promise<CliResult> {
  const [cmd, pre] = version === 1 ? ['python3', ['-m', 'awscli']] : [CLI_V2, []];
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...pre, '--endpoint-url', endpoint, '--output', 'json', ...args],
      {
        cwd,
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0,
          stdout,
          stderr,
          json: () => JSON.parse(stdout),
        }),
    );
  });
}
