// `selfless deploy`, `selfless delete`, `selfless stacks`: SAM/CloudFormation stacks on a running server, as
// `sam deploy` does it: package local code to the server's S3, create and execute a change set, print the events.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { parseTemplate, type Json, type JsonObject } from '../services/cloudformation/index.js';
import { envKey, signedFetch } from '../lib/sign.js';
import { zipFiles } from '../lib/zip-write.js';
import { str, UsageError, type Parsed } from './options.js';
import { parameterOverrides } from './transform.js';

export const DEPLOY_USAGE = `usage: selfless deploy [--template-file template.yaml] --stack-name NAME [--parameter-overrides K=V …]
                       [--capabilities CAPABILITY_IAM …] [--no-execute-changeset] [--skip-unsupported] [--endpoint URL]
       selfless delete --stack-name NAME [--endpoint URL]
       selfless stacks [--endpoint URL]
`;

const ARTIFACTS = 'selfless-deploy-artifacts';
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'member' });
export const arr = <T>(v: unknown): T[] => ((v as { member?: T[] } | undefined)?.member ?? []);

export function endpoint(p: Parsed): string {
  return str(p, 'endpoint', 'SELFLESS_ENDPOINT', process.env['AWS_ENDPOINT_URL'] || 'http://127.0.0.1:9000').replace(/\/$/, '');
}

const region = (): string => process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1';
/** A request to the selfless endpoint signed for `svc` with the user's AWS_* credentials (default test/test). */
export const call = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array }, svc: string): Promise<Response> =>
  signedFetch(url, init, svc, region(), envKey());

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function cfn(base: string, action: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-15', ...params });
  const res = await call(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() }, 'cloudformation');
  const parsed = xml.parse(await res.text()) as Record<string, Record<string, unknown>>;
  if (!res.ok) {
    const e = (parsed['ErrorResponse']?.['Error'] ?? {}) as Record<string, string>;
    throw new ApiError(e['Code'] ?? 'Error', e['Message'] ?? `HTTP ${res.status}`);
  }
  return (parsed[`${action}Response`]?.[`${action}Result`] ?? {}) as Record<string, unknown>;
}

async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesOf(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** A function's code as Lambda takes it: a folder zipped as `sam build` leaves it, a .zip as is, a file alone. */
export async function zipPath(path: string): Promise<Buffer> {
  const st = await stat(path);
  if (st.isDirectory()) return zipFiles(await Promise.all((await filesOf(path)).map(async (f) => [relative(path, f), await readFile(f)] as [string, Buffer])));
  if (path.endsWith('.zip') || path.endsWith('.jar')) return readFile(path);
  return zipFiles([[path.split('/').pop()!, await readFile(path)]]);
}

/** Zips a folder (or takes a .zip as is), uploads it to the artifacts bucket; its s3:// location. */
async function upload(base: string, path: string): Promise<{ bucket: string; key: string }> {
  const data = await zipPath(path);
  const key = createHash('md5').update(data).digest('hex');
  await call(`${base}/${ARTIFACTS}`, { method: 'PUT' }, 's3');
  const res = await call(`${base}/${ARTIFACTS}/${key}`, { method: 'PUT', body: new Uint8Array(data) }, 's3');
  if (!res.ok) throw new UsageError(`uploading ${path} to s3://${ARTIFACTS}/${key} failed: HTTP ${res.status}`);
  return { bucket: ARTIFACTS, key };
}

export const isLocal = (v: Json | undefined): v is string => typeof v === 'string' && !/^s3:\/\//.test(v) && !/^https?:\/\//.test(v);

/** Replaces local CodeUri/ContentUri/DefinitionUri (and CFN's Code) paths with uploaded S3 locations. */
async function packageTemplate(base: string, t: JsonObject, dir: string): Promise<void> {
  const resources = (t['Resources'] ?? {}) as Record<string, JsonObject>;
  const globalsFn = ((t['Globals'] as JsonObject | undefined)?.['Function'] ?? {}) as JsonObject;
  for (const r of Object.values(resources)) {
    const props = (r['Properties'] ??= {}) as JsonObject;
    const type = r['Type'];
    if (type === 'AWS::Serverless::Function' && props['InlineCode'] === undefined && props['ImageUri'] === undefined) {
      const uri = props['CodeUri'] ?? globalsFn['CodeUri'] ?? '.';
      if (isLocal(uri)) {
        const u = await upload(base, resolve(dir, uri));
        props['CodeUri'] = `s3://${u.bucket}/${u.key}`;
      }
    }
    if (type === 'AWS::Serverless::LayerVersion' && isLocal(props['ContentUri'])) {
      const u = await upload(base, resolve(dir, props['ContentUri']));
      props['ContentUri'] = `s3://${u.bucket}/${u.key}`;
    }
    if (type === 'AWS::Serverless::StateMachine' && isLocal(props['DefinitionUri'])) {
      props['Definition'] = parseTemplate(await readFile(resolve(dir, props['DefinitionUri']), 'utf8'));
      delete props['DefinitionUri'];
    }
    if (type === 'AWS::Lambda::Function' && isLocal(props['Code'] as Json)) {
      const u = await upload(base, resolve(dir, props['Code'] as string));
      props['Code'] = { S3Bucket: u.bucket, S3Key: u.key };
    }
  }
}

const TERMINAL = /(_COMPLETE|_FAILED)$/;

export async function deploy(p: Parsed): Promise<number> {
  if (p.flags.has('help')) {
    process.stdout.write(DEPLOY_USAGE);
    return 0;
  }
  const base = endpoint(p);
  const file = str(p, 'template-file', undefined, p.flags.has('template') ? str(p, 'template', undefined, 'template.yaml') : 'template.yaml');
  const name = str(p, 'stack-name', undefined, '');
  if (!name) throw new UsageError(`--stack-name is required\n${DEPLOY_USAGE}`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const template = parseTemplate(text) as JsonObject;
  await packageTemplate(base, template, dirname(resolve(file)));
  const caps = p.flags.get('capabilities');
  const capabilities = typeof caps === 'string' ? caps.split(/[\s,]+/).filter(Boolean) : ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'];
  const params: Record<string, string> = { StackName: name, ChangeSetName: `selfless-deploy-${Date.now()}`, TemplateBody: JSON.stringify(template) };
  capabilities.forEach((c, i) => (params[`Capabilities.member.${i + 1}`] = c));
  Object.entries(parameterOverrides({ ...p, positional: ['-', ...p.positional] })).forEach(([k, v], i) => {
    params[`Parameters.member.${i + 1}.ParameterKey`] = k;
    params[`Parameters.member.${i + 1}.ParameterValue`] = String(v);
  });
  if (p.flags.has('skip-unsupported')) {
    params['Tags.member.1.Key'] = 'selfless:skip-unsupported';
    params['Tags.member.1.Value'] = 'true';
  }
  let exists = false;
  try {
    const s = arr<Record<string, string>>((await cfn(base, 'DescribeStacks', { StackName: name }))['Stacks'])[0];
    exists = !!s && s['StackStatus'] !== 'REVIEW_IN_PROGRESS';
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  params['ChangeSetType'] = exists ? 'UPDATE' : 'CREATE';
  let created;
  try {
    created = await cfn(base, 'CreateChangeSet', params);
  } catch (e) {
    if (e instanceof ApiError) {
      process.stderr.write(`Error: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const cs = await cfn(base, 'DescribeChangeSet', { ChangeSetName: String(created['Id']) });
  if (cs['Status'] === 'FAILED') {
    process.stdout.write(`No changes to deploy. Stack ${name} is up to date\n`);
    return 0;
  }
  process.stdout.write(`Change set ${String(cs['ChangeSetName'])} for stack ${name}:\n`);
  for (const ch of arr<Record<string, Record<string, string>>>(cs['Changes'])) {
    const r = ch['ResourceChange']!;
    process.stdout.write(`  ${r['Action']!.padEnd(7)} ${r['LogicalResourceId']} (${r['ResourceType']})${r['Replacement'] ? ` replacement: ${r['Replacement']}` : ''}\n`);
  }
  if (p.flags.has('no-execute-changeset')) return 0;
  const started = Date.now() - 1000;
  await cfn(base, 'ExecuteChangeSet', { ChangeSetName: String(created['Id']) });
  const seen = new Set<string>();
  let failure: string | undefined;
  for (;;) {
    // The status first, then the events: once the status is final, the events read after it hold every failure.
    const s = arr<Record<string, unknown>>((await cfn(base, 'DescribeStacks', { StackName: String(created['StackId']) }))['Stacks'])[0]!;
    const events = arr<Record<string, string>>((await cfn(base, 'DescribeStackEvents', { StackName: String(created['StackId']) }))['StackEvents']).reverse();
    for (const e of events) {
      if (seen.has(e['EventId']!)) continue;
      seen.add(e['EventId']!);
      // The first failure of this operation names the reason, even when its event's timestamp is before `started`.
      if (/_FAILED$/.test(e['ResourceStatus']!) && e['ResourceType'] !== 'AWS::CloudFormation::Stack' && Date.parse(e['Timestamp']!) >= started - 60_000) failure ??= `${e['LogicalResourceId']}: ${e['ResourceStatusReason'] ?? ''}`;
      if (Date.parse(e['Timestamp']!) < started) continue;
      process.stdout.write(`${e['ResourceStatus']!.padEnd(28)} ${e['ResourceType']!.padEnd(34)} ${e['LogicalResourceId']}${e['ResourceStatusReason'] ? `  ${e['ResourceStatusReason']}` : ''}\n`);
    }
    const status = String(s['StackStatus']);
    if (TERMINAL.test(status) && !status.endsWith('IN_PROGRESS')) {
      if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') {
        const outs = arr<Record<string, string>>(s['Outputs']);
        if (outs.length) process.stdout.write('Outputs:\n');
        for (const o of outs) process.stdout.write(`  ${o['OutputKey']} = ${o['OutputValue']}\n`);
        process.stdout.write(`Successfully created/updated stack - ${name}\n`);
        return 0;
      }
      process.stderr.write(`Error: stack ${name} is ${status}${failure ? `: ${failure}` : ''}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function deleteStack(p: Parsed): Promise<number> {
  const base = endpoint(p);
  const name = str(p, 'stack-name', undefined, p.positional[0] ?? '');
  if (!name) throw new UsageError(`--stack-name is required\n${DEPLOY_USAGE}`);
  let id: string;
  try {
    id = String(arr<Record<string, string>>((await cfn(base, 'DescribeStacks', { StackName: name }))['Stacks'])[0]!['StackId']);
    await cfn(base, 'DeleteStack', { StackName: name });
  } catch (e) {
    if (e instanceof ApiError) {
      process.stderr.write(`Error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  for (;;) {
    const s = arr<Record<string, string>>((await cfn(base, 'DescribeStacks', { StackName: id }))['Stacks'])[0]!;
    if (s['StackStatus'] === 'DELETE_COMPLETE') {
      process.stdout.write(`Deleted stack ${name}\n`);
      return 0;
    }
    if (s['StackStatus'] === 'DELETE_FAILED') {
      process.stderr.write(`Error: ${s['StackStatusReason'] ?? 'DELETE_FAILED'}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function stacks(p: Parsed): Promise<number> {
  const list = arr<Record<string, string>>((await cfn(endpoint(p), 'DescribeStacks', {}))['Stacks']);
  for (const s of list) process.stdout.write(`${s['StackName']!.padEnd(32)} ${s['StackStatus']!.padEnd(24)} ${s['CreationTime']}\n`);
  return 0;
}
