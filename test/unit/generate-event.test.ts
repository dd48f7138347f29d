// `selfless generate-event`: every sample event has the fields of AWS's published sample of that event (the corpus
// in ../shared, where present), and options change the fields they name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { MAIN, SHARED } from '../helpers/server.js';

const run = promisify(execFile);
const CORPUS = join(SHARED, 'corpus', 'lambda-events');
const noCorpus = existsSync(CORPUS) ? false : 'the AWS sample events are in ../shared/corpus, absent in this checkout';

const gen = async (...args: string[]): Promise<any> => JSON.parse((await run(process.execPath, [MAIN, 'generate-event', ...args])).stdout);

/** Key paths of a JSON value (list items through their first element). */
function paths(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.length ? paths(v[0], `${at}[]`) : [];
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [`${at}.${k}`, ...paths(x, `${at}.${k}`)]);
  return [];
}

// Fields of a sample that belong to a variant of the event (a versioned bucket, message attributes, a TTL delete),
// or that the sample shows for one particular request, not in every event of its kind.
const CASES: [string[], string, RegExp?][] = [
  [['s3', 'put'], 's3-event.json', /object\.versionId$/],
  [['sqs', 'receive-message'], 'sqs-event.json', /md5OfMessageAttributes|messageAttributes\./],
  [['sns', 'notification'], 'sns-event.json', /MessageAttributes\./],
  [['kinesis', 'get-records'], 'kinesis-event.json'],
  [['dynamodb', 'update'], 'dynamodb-event.json', /userIdentity|NewImage\.(val|asdf\d|key)|Keys\.(val|key)|OldImage\./],
  [['cloudwatch', 'logs'], 'cloudwatch-logs-event.json'],
  [['alb', 'request'], 'alb-lambda-target-request-headers-only.json', /headers\.|queryStringParameters\./],
  [['eventbridge', 'event'], 'autoscaling-event-launch-successful.json', /detail\./],
];

for (const [args, sample, optional] of CASES) {
  test(`generate-event ${args.join(' ')}: has every field of AWS's sample ${sample}`, { skip: noCorpus }, async () => {
    const ours = new Set(paths(await gen(...args)));
    const theirs = paths(JSON.parse(readFileSync(join(CORPUS, sample), 'utf8')) as unknown).filter((p) => !optional?.test(p));
    assert.deepEqual(theirs.filter((p) => !ours.has(p)), []);
  });
}

test('generate-event: options set the bucket and key, the queue and body, the log message; an unknown event lists the known ones', async () => {
  const s3 = await gen('s3', 'put', '--bucket', 'photos', '--key', 'a b/c.jpg', '--region', 'eu-west-1');
  assert.equal(s3.Records[0].s3.bucket.name, 'photos');
  assert.equal(s3.Records[0].s3.object.key, 'a%20b/c.jpg');
  assert.equal(s3.Records[0].awsRegion, 'eu-west-1');
  assert.equal(s3.Records[0].eventName, 'ObjectCreated:Put');
  const sqs = await gen('sqs', 'receive-message', '--body', 'hi', '--queue-name', 'jobs');
  assert.equal(sqs.Records[0].body, 'hi');
  assert.equal(sqs.Records[0].md5OfBody, '49f68a5c8493ec2c0bf489821c21fc3b');
  assert.match(sqs.Records[0].eventSourceARN, /:jobs$/);
  const logs = await gen('cloudwatch', 'logs', '--message', 'boom');
  assert.equal(JSON.parse(gunzipSync(Buffer.from(logs.awslogs.data, 'base64')).toString()).logEvents[0].message, 'boom');
  const v2 = await gen('apigateway', 'http-api-proxy', '--method', 'POST', '--path', '/items', '--body', '{"a":1}');
  assert.equal(v2.version, '2.0');
  assert.equal(v2.requestContext.http.method, 'POST');
  assert.equal(v2.rawPath, '/items');
  assert.equal(v2.body, '{"a":1}');
  await assert.rejects(run(process.execPath, [MAIN, 'generate-event', 's3', 'nope']), (e: { stderr: string }) => /no sample event 's3 nope'[\s\S]*sqs: receive-message/.test(e.stderr));
});
