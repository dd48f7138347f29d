// callService: providers reach the other services through their own wire APIs over the node's loopback endpoint,
// so that a resource is validated and created exactly as a client's request would be (the same handlers answer).
import { XMLParser } from 'fast-xml-parser';
import { signedFetch, type SigningKey } from '../../../lib/sign.js';

export type Caller = (service: string, operation: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

const JSON_TARGETS: Record<string, [string, string]> = {
  sqs: ['AmazonSQS', '1.0'],
  states: ['AWSStepFunctions', '1.0'],
  events: ['AWSEvents', '1.1'],
  logs: ['Logs_20140328', '1.1'],
  dynamodb: ['DynamoDB_20120810', '1.0'],
  kinesis: ['Kinesis_20131202', '1.1'],
  scheduler: ['', ''],
};

/** Lambda's rest-json routes the providers use: method, path (from the input), and the input minus path members. */
const LAMBDA: Record<string, (i: Record<string, unknown>) => [string, string, Record<string, unknown> | undefined]> = {
  CreateFunction: (i) => ['POST', '/2015-03-31/functions', i],
  DeleteFunction: (i) => ['DELETE', `/2015-03-31/functions/${enc(i['FunctionName'])}${qualifier(i)}`, undefined],
  PublishVersion: ({ FunctionName, ...i }) => ['POST', `/2015-03-31/functions/${enc(FunctionName)}/versions`, i],
  PutProvisionedConcurrencyConfig: ({ FunctionName, Qualifier, ...i }) => ['PUT', `/2019-09-30/functions/${enc(FunctionName)}/provisioned-concurrency${qualifier({ Qualifier })}`, i],
  CreateAlias: ({ FunctionName, ...i }) => ['POST', `/2015-03-31/functions/${enc(FunctionName)}/aliases`, i],
  UpdateAlias: ({ FunctionName, Name, ...i }) => ['PUT', `/2015-03-31/functions/${enc(FunctionName)}/aliases/${enc(Name)}`, i],
  DeleteAlias: (i) => ['DELETE', `/2015-03-31/functions/${enc(i['FunctionName'])}/aliases/${enc(i['Name'])}`, undefined],
  CreateFunctionUrlConfig: ({ FunctionName, Qualifier, ...i }) => ['POST', `/2021-10-31/functions/${enc(FunctionName)}/url${qualifier({ Qualifier })}`, i],
  UpdateFunctionUrlConfig: ({ FunctionName, Qualifier, ...i }) => ['PUT', `/2021-10-31/functions/${enc(FunctionName)}/url${qualifier({ Qualifier })}`, i],
  DeleteFunctionUrlConfig: (i) => ['DELETE', `/2021-10-31/functions/${enc(i['FunctionName'])}/url${qualifier(i)}`, undefined],
  PutFunctionEventInvokeConfig: ({ FunctionName, Qualifier, ...i }) => ['PUT', `/2019-09-25/functions/${enc(FunctionName)}/event-invoke-config${qualifier({ Qualifier })}`, i],
  DeleteFunctionEventInvokeConfig: (i) => ['DELETE', `/2019-09-25/functions/${enc(i['FunctionName'])}/event-invoke-config${qualifier(i)}`, undefined],
  PublishLayerVersion: ({ LayerName, ...i }) => ['POST', `/2018-10-31/layers/${enc(LayerName)}/versions`, i],
  DeleteLayerVersion: (i) => ['DELETE', `/2018-10-31/layers/${enc(i['LayerName'])}/versions/${enc(i['VersionNumber'])}`, undefined],
  UpdateFunctionCode: ({ FunctionName, ...i }) => ['PUT', `/2015-03-31/functions/${enc(FunctionName)}/code`, i],
  UpdateFunctionConfiguration: ({ FunctionName, ...i }) => ['PUT', `/2015-03-31/functions/${enc(FunctionName)}/configuration`, i],
  GetFunction: (i) => ['GET', `/2015-03-31/functions/${enc(i['FunctionName'])}`, undefined],
  AddPermission: ({ FunctionName, ...i }) => ['POST', `/2015-03-31/functions/${enc(FunctionName)}/policy`, i],
  RemovePermission: (i) => ['DELETE', `/2015-03-31/functions/${enc(i['FunctionName'])}/policy/${enc(i['StatementId'])}`, undefined],
  CreateEventSourceMapping: (i) => ['POST', '/2015-03-31/event-source-mappings/', i],
  DeleteEventSourceMapping: (i) => ['DELETE', `/2015-03-31/event-source-mappings/${enc(i['UUID'])}`, undefined],
};
const enc = (v: unknown): string => encodeURIComponent(String(v));
const qualifier = (i: Record<string, unknown>): string => (i['Qualifier'] === undefined || i['Qualifier'] === null ? '' : `?Qualifier=${enc(i['Qualifier'])}`);

export class ServiceCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

/** Query-protocol form members from a flat input (strings and string maps as `entry.N.key/value`). */
function form(action: string, version: string, input: Record<string, unknown>): URLSearchParams {
  const f = new URLSearchParams({ Action: action, Version: version });
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      Object.entries(v).forEach(([mk, mv], n) => {
        f.set(`${k}.entry.${n + 1}.key`, mk);
        f.set(`${k}.entry.${n + 1}.value`, String(mv));
      });
    } else f.set(k, String(v));
  }
  return f;
}

/** Calls the node's own APIs over loopback, signed as the account root (later: the stack's role). */
export function loopbackCaller(endpoint: () => string, region: string, key: SigningKey): Caller {
  const send = (svc: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response> => signedFetch(url, init, svc, region, key);
  return async (service, operation, input) => {
    const base = endpoint();
    let res: Response;
    if (service in JSON_TARGETS && service !== 'scheduler') {
      const [prefix, v] = JSON_TARGETS[service]!;
      res = await send(service, `${base}/`, {
        method: 'POST',
        headers: { 'content-type': `application/x-amz-json-${v}`, 'x-amz-target': `${prefix}.${operation}` },
        body: JSON.stringify(input),
      });
      const text = await res.text();
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) throw new ServiceCallError(String(body['__type'] ?? 'Error').split('#').pop()!, String(body['message'] ?? body['Message'] ?? text));
      return body;
    }
    if (service === 'lambda') {
      const route = LAMBDA[operation];
      if (!route) throw new Error(`lambda operation ${operation} is not mapped`);
      const [method, path, body] = route(input);
      res = await send('lambda', `${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      const out = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) throw new ServiceCallError(String(res.headers.get('x-amzn-errortype') ?? out['Type'] ?? 'Error').split(':')[0]!, String(out['message'] ?? out['Message'] ?? text));
      return out;
    }
    if (service === 'sns') {
      res = await send('sns', `${base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(operation, '2010-03-31', input).toString() });
      const parsed = xml.parse(await res.text()) as Record<string, Record<string, unknown>>;
      if (!res.ok) {
        const e = (parsed['ErrorResponse']?.['Error'] ?? {}) as Record<string, string>;
        throw new ServiceCallError(e['Code'] ?? 'Error', e['Message'] ?? 'error');
      }
      return (parsed[`${operation}Response`]?.[`${operation}Result`] ?? {}) as Record<string, unknown>;
    }
    if (service === 's3') {
      const bucket = enc(input['Bucket']);
      const req: Record<string, [string, string, string | undefined]> = {
        CreateBucket: ['PUT', `/${bucket}`, undefined],
        DeleteBucket: ['DELETE', `/${bucket}`, undefined],
        PutBucketNotificationConfiguration: ['PUT', `/${bucket}?notification`, String(input['Body'] ?? '')],
        PutBucketPolicy: ['PUT', `/${bucket}?policy`, String(input['Policy'] ?? '')],
        DeleteBucketPolicy: ['DELETE', `/${bucket}?policy`, undefined],
        GetObject: ['GET', `/${bucket}/${String(input['Key'] ?? '').split('/').map(encodeURIComponent).join('/')}`, undefined],
      };
      const [method, path, body] = req[operation] ?? (() => { throw new Error(`s3 operation ${operation} is not mapped`); })();
      res = await send('s3', `${base}${path}`, { method, ...(body === undefined ? {} : { body }) });
      if (operation === 'GetObject' && res.ok) return { Body: Buffer.from(await res.arrayBuffer()).toString('base64') };
      const text = await res.text();
      if (!res.ok) {
        const e = ((xml.parse(text) as Record<string, Record<string, string>>)['Error'] ?? {}) as Record<string, string>;
        throw new ServiceCallError(e['Code'] ?? 'Error', e['Message'] ?? text);
      }
      return {};
    }
    throw new Error(`service ${service} is not reachable from CloudFormation`);
  };
}
