// A Lambda SDK client pointed at a test server, and shorthands for creating functions from source files.
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { zip } from './zip.js';

export const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

/** The trust policy of an execution role: Lambda may assume it. */
export const LAMBDA_TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

/** Creates ROLE (or another name) trusting Lambda: enforce mode refuses functions whose role Lambda cannot assume. */
export async function createLambdaRole(iam: IAMClient, name = 'lambda-role'): Promise<string> {
  return (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }))).Role!.Arn!;
}

export function lambdaClient(url: string, region = 'us-east-1'): LambdaClient {
  return new LambdaClient({ endpoint: url, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}

export async function createFunction(
  client: LambdaClient,
  name: string,
  files: Record<string, string | Buffer>,
  opts: { runtime?: string; handler?: string; timeout?: number; memory?: number; env?: Record<string, string> } = {},
) {
  return client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: (opts.runtime ?? 'nodejs20.x') as never,
      Role: ROLE,
      Handler: opts.handler ?? 'index.handler',
      Code: { ZipFile: await zip(files) },
      Timeout: opts.timeout,
      MemorySize: opts.memory,
      Environment: opts.env ? { Variables: opts.env } : undefined,
    }),
  );
}
