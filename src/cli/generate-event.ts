// `selfless generate-event <service> <event>` (as `sam local generate-event`): sample Lambda events in AWS's shapes,
// with the fields a test usually changes as options. The HTTP events come from the gateway's own builders.
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { albEvent, v1Event, v2Event, type HttpRequestInfo } from '../services/gateway/index.js';
import { str, UsageError, type Parsed } from './options.js';

type Opt = (name: string, dflt: string) => string;
type Builder = (o: Opt, region: string, account: string) => unknown;

const now = (): Date => new Date();
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function http(o: Opt): HttpRequestInfo {
  const body = o('body', '');
  return {
    method: o('method', 'GET'),
    rawPath: o('path', '/hello'),
    rawQuery: o('query', ''),
    headerPairs: [['host', o('host', 'example.execute-api.us-east-1.amazonaws.com')], ['user-agent', 'curl/8.0'], ['accept', '*/*'], ...(body ? [['content-type', 'application/json'] as [string, string]] : [])],
    body: Buffer.from(body),
    sourceIp: '127.0.0.1',
    userAgent: 'curl/8.0',
    protocol: 'HTTP/1.1',
    requestId: randomUUID(),
    timeEpoch: now().getTime(),
  };
}

function s3(eventName: string): Builder {
  return (o, region) => {
    const bucket = o('bucket', 'example-bucket');
    const key = o('key', 'test/key');
    const object: Record<string, unknown> = { key: encodeURIComponent(key).replace(/%2F/g, '/'), sequencer: '0A1B2C3D4E5F678901' };
    if (eventName.startsWith('ObjectCreated')) Object.assign(object, { size: Number(o('size', '1024')), eTag: md5(key) });
    return {
      Records: [
        {
          eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: region, eventTime: now().toISOString(), eventName,
          userIdentity: { principalId: 'EXAMPLE' }, requestParameters: { sourceIPAddress: '127.0.0.1' },
          responseElements: { 'x-amz-request-id': 'EXAMPLE123456789', 'x-amz-id-2': 'EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH' },
          s3: { s3SchemaVersion: '1.0', configurationId: 'testConfigRule', bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` }, object },
        },
      ],
    };
  };
}

const EVENTS: Record<string, Record<string, Builder>> = {
  s3: { put: s3('ObjectCreated:Put'), delete: s3('ObjectRemoved:Delete') },
  sqs: {
    'receive-message': (o, region, account) => {
      const body = o('body', 'Hello from SQS!');
      const sent = String(now().getTime());
      return { Records: [{ messageId: randomUUID(), receiptHandle: 'MessageReceiptHandle', body, attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: account, ApproximateFirstReceiveTimestamp: sent }, messageAttributes: {}, md5OfBody: md5(body), eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:${region}:${account}:${o('queue-name', 'MyQueue')}`, awsRegion: region }] };
    },
  },
  sns: {
    notification: (o, region, account) => {
      const topic = `arn:aws:sns:${region}:${account}:${o('topic', 'ExampleTopic')}`;
      return { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: `${topic}:${randomUUID()}`, Sns: { Type: 'Notification', MessageId: randomUUID(), TopicArn: topic, Subject: o('subject', 'example subject'), Message: o('message', 'example message'), Timestamp: now().toISOString(), SignatureVersion: '1', Signature: 'EXAMPLE', SigningCertUrl: 'EXAMPLE', UnsubscribeUrl: 'EXAMPLE', MessageAttributes: {} } }] };
    },
  },
  apigateway: {
    'aws-proxy': (o, _region, account) => v1Event(http(o), { accountId: account, apiId: '1234567890', domainName: o('host', 'example.execute-api.us-east-1.amazonaws.com'), stage: o('stage', 'prod'), resource: o('resource', '/{proxy+}'), path: o('path', '/hello'), pathParameters: { proxy: o('path', '/hello').replace(/^\//, '') }, stageVariables: null, resourceId: '123456' }),
    'http-api-proxy': (o, _region, account) => v2Event(http(o), { accountId: account, apiId: '1234567890', domainName: o('host', 'example.execute-api.us-east-1.amazonaws.com'), routeKey: o('route-key', '$default'), stage: o('stage', '$default') }),
  },
  alb: {
    request: (o, region, account) => albEvent(http(o), { targetGroupArn: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/lambda-target/abcdefg`, multiValueHeaders: false }),
  },
  eventbridge: {
    event: (o, region, account) => ({ version: '0', id: randomUUID(), 'detail-type': o('detail-type', 'Example Event'), source: o('source', 'com.example'), account, time: now().toISOString().replace(/\.\d{3}Z$/, 'Z'), region, resources: [], detail: JSON.parse(o('detail', '{}')) as unknown }),
  },
  schedule: {
    event: (o, region, account) => ({ version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account, time: now().toISOString().replace(/\.\d{3}Z$/, 'Z'), region, resources: [`arn:aws:events:${region}:${account}:rule/${o('rule', 'ExampleRule')}`], detail: {} }),
  },
  kinesis: {
    'get-records': (o, region, account) => {
      const seq = '49590338271490256608559692538361571095921575989136588898';
      return { Records: [{ kinesis: { kinesisSchemaVersion: '1.0', partitionKey: o('partition', '1'), sequenceNumber: seq, data: Buffer.from(o('data', 'Hello, this is a test.')).toString('base64'), approximateArrivalTimestamp: now().getTime() / 1000 }, eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${seq}`, eventName: 'aws:kinesis:record', invokeIdentityArn: `arn:aws:iam::${account}:role/lambda-role`, awsRegion: region, eventSourceARN: `arn:aws:kinesis:${region}:${account}:stream/${o('stream', 'example-stream')}` }] };
    },
  },
  dynamodb: {
    update: (o, region, account) => {
      const table = o('table', 'ExampleTableWithStream');
      const arn = `arn:aws:dynamodb:${region}:${account}:table/${table}/stream/2015-06-27T00:48:05.899`;
      const rec = (eventName: string, seq: string, images: Record<string, unknown>) => ({ eventID: md5(seq), eventName, eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: region, dynamodb: { ApproximateCreationDateTime: Math.floor(now().getTime() / 1000), Keys: { Id: { N: '101' } }, ...images, SequenceNumber: seq, SizeBytes: 26, StreamViewType: 'NEW_AND_OLD_IMAGES' }, eventSourceARN: arn });
      const item = (m: string) => ({ Message: { S: m }, Id: { N: '101' } });
      return { Records: [rec('INSERT', '111', { NewImage: item('New item!') }), rec('MODIFY', '222', { OldImage: item('New item!'), NewImage: item('This item has changed') }), rec('REMOVE', '333', { OldImage: item('This item has changed') })] };
    },
  },
  cloudwatch: {
    logs: (o, _region, account) => {
      const logs = { messageType: 'DATA_MESSAGE', owner: account, logGroup: o('group', '/aws/lambda/example'), logStream: o('stream', '2026/01/01/[$LATEST]abcdef'), subscriptionFilters: ['ExampleFilter'], logEvents: [{ id: '1', timestamp: now().getTime(), message: o('message', 'example log message') }] };
      return { awslogs: { data: gzipSync(JSON.stringify(logs)).toString('base64') } };
    },
  },
};

export function generateEvent(p: Parsed): number {
  const [service, event] = p.positional;
  const list = Object.entries(EVENTS).map(([s, e]) => `  ${s}: ${Object.keys(e).join(', ')}`).join('\n');
  if (p.flags.has('help') || !service) {
    process.stdout.write(`usage: selfless generate-event <service> <event> [--region R] [--account A] [--<field> value …]\n\n${list}\n`);
    return service ? 0 : p.flags.has('help') ? 0 : 2;
  }
  const b = EVENTS[service]?.[event ?? ''];
  if (!b) throw new UsageError(`no sample event '${service} ${event ?? ''}'; there are:\n${list}`);
  const o: Opt = (name, dflt) => str(p, name, undefined, dflt);
  const region = o('region', process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1');
  process.stdout.write(`${JSON.stringify(b(o, region, o('account', '123456789012')), null, 2)}\n`);
  return 0;
}
