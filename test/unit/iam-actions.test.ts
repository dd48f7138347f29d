// Spot checks of the authorization table against the Service Authorization Reference: for ~60 operations across the
// services, the IAM action and the resource ARNs a request's members make, condition keys, and the unmapped answer.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { authzTarget, queueArnOfUrl, resourceAccount, s3Input, s3Operation, type AuthzScope } from '../../src/services/iam/actions/index.js';

const scope: AuthzScope = { region: 'us-east-1', account: '123456789012' };
const A = 'arn:aws:';
const R = 'us-east-1:123456789012';

// [service, operation, input, expected action, expected resources]
const CASES: [string, string, Record<string, unknown>, string, string[]][] = [
  ['lambda', 'Invoke', { FunctionName: 'f' }, 'lambda:InvokeFunction', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'Invoke', { FunctionName: 'f', Qualifier: 'live' }, 'lambda:InvokeFunction', [`${A}lambda:${R}:function:f:live`]],
  ['lambda', 'InvokeWithResponseStream', { FunctionName: `${A}lambda:eu-west-1:111122223333:function:g:3` }, 'lambda:InvokeFunction', [`${A}lambda:eu-west-1:111122223333:function:g:3`]],
  ['lambda', 'Invoke', { FunctionName: '123456789012:function:h' }, 'lambda:InvokeFunction', [`${A}lambda:${R}:function:h`]],
  ['lambda', 'InvokeAsync', { FunctionName: 'f' }, 'lambda:InvokeAsync', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'ListFunctions', {}, 'lambda:ListFunctions', ['*']],
  ['lambda', 'GetAccountSettings', {}, 'lambda:GetAccountSettings', ['*']],
  ['lambda', 'CreateFunction', { FunctionName: 'f' }, 'lambda:CreateFunction', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'UpdateFunctionCode', { FunctionName: 'f' }, 'lambda:UpdateFunctionCode', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'GetFunction', { FunctionName: 'f', Qualifier: '2' }, 'lambda:GetFunction', [`${A}lambda:${R}:function:f:2`]],
  ['lambda', 'DeleteFunction', { FunctionName: 'f' }, 'lambda:DeleteFunction', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'PublishVersion', { FunctionName: 'f' }, 'lambda:PublishVersion', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'CreateAlias', { FunctionName: 'f', Name: 'live' }, 'lambda:CreateAlias', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'AddPermission', { FunctionName: 'f' }, 'lambda:AddPermission', [`${A}lambda:${R}:function:f`]],
  ['lambda', 'GetLayerVersion', { LayerName: 'l', VersionNumber: '4' }, 'lambda:GetLayerVersion', [`${A}lambda:${R}:layer:l:4`]],
  ['lambda', 'GetLayerVersionByArn', { Arn: `${A}lambda:${R}:layer:l:4` }, 'lambda:GetLayerVersion', [`${A}lambda:${R}:layer:l:4`]],
  ['lambda', 'PublishLayerVersion', { LayerName: 'l' }, 'lambda:PublishLayerVersion', [`${A}lambda:${R}:layer:l`]],
  ['lambda', 'ListLayerVersions', { LayerName: 'l' }, 'lambda:ListLayerVersions', [`${A}lambda:${R}:layer:l`]],
  ['lambda', 'GetEventSourceMapping', { UUID: 'u-1' }, 'lambda:GetEventSourceMapping', [`${A}lambda:${R}:event-source-mapping:u-1`]],
  ['lambda', 'CreateEventSourceMapping', { FunctionName: 'f' }, 'lambda:CreateEventSourceMapping', ['*']],
  ['lambda', 'PutProvisionedConcurrencyConfig', { FunctionName: 'f', Qualifier: 'live' }, 'lambda:PutProvisionedConcurrencyConfig', [`${A}lambda:${R}:function:f:live`]],
  ['lambda', 'TagResource', { Resource: `${A}lambda:${R}:function:f` }, 'lambda:TagResource', [`${A}lambda:${R}:function:f`]],
  ['sqs', 'SendMessage', { QueueUrl: 'http://127.0.0.1:4566/123456789012/q1' }, 'sqs:SendMessage', [`${A}sqs:${R}:q1`]],
  ['sqs', 'SendMessageBatch', { QueueUrl: 'http://localhost/123456789012/q1' }, 'sqs:SendMessage', [`${A}sqs:${R}:q1`]],
  ['sqs', 'DeleteMessageBatch', { QueueUrl: 'http://localhost/123456789012/q1' }, 'sqs:DeleteMessage', [`${A}sqs:${R}:q1`]],
  ['sqs', 'ChangeMessageVisibilityBatch', { QueueUrl: 'http://localhost/123456789012/q1' }, 'sqs:ChangeMessageVisibility', [`${A}sqs:${R}:q1`]],
  ['sqs', 'ReceiveMessage', { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/q2' }, 'sqs:ReceiveMessage', [`${A}sqs:eu-west-1:111122223333:q2`]],
  ['sqs', 'CreateQueue', { QueueName: 'q3' }, 'sqs:CreateQueue', [`${A}sqs:${R}:q3`]],
  ['sqs', 'GetQueueUrl', { QueueName: 'q4', QueueOwnerAWSAccountId: '111122223333' }, 'sqs:GetQueueUrl', [`${A}sqs:us-east-1:111122223333:q4`]],
  ['sqs', 'ListQueues', {}, 'sqs:ListQueues', ['*']],
  ['sns', 'Publish', { TopicArn: `${A}sns:${R}:t` }, 'sns:Publish', [`${A}sns:${R}:t`]],
  ['sns', 'PublishBatch', { TopicArn: `${A}sns:${R}:t` }, 'sns:Publish', [`${A}sns:${R}:t`]],
  ['sns', 'CreateTopic', { Name: 't' }, 'sns:CreateTopic', [`${A}sns:${R}:t`]],
  ['sns', 'Unsubscribe', { SubscriptionArn: `${A}sns:${R}:t:8a21d249-4329-4871-acc6-7be709c6ea7f` }, 'sns:Unsubscribe', ['*']],
  ['sns', 'ConfirmSubscription', { TopicArn: `${A}sns:${R}:t`, Token: 'x' }, 'sns:ConfirmSubscription', [`${A}sns:${R}:t`]],
  ['sns', 'ListTopics', {}, 'sns:ListTopics', ['*']],
  ['s3', 'ListBuckets', {}, 's3:ListAllMyBuckets', ['*']],
  ['s3', 'ListObjectsV2', { Bucket: 'b' }, 's3:ListBucket', [`${A}s3:::b`]],
  ['s3', 'HeadBucket', { Bucket: 'b' }, 's3:ListBucket', [`${A}s3:::b`]],
  ['s3', 'GetObject', { Bucket: 'b', Key: 'a/b.txt' }, 's3:GetObject', [`${A}s3:::b/a/b.txt`]],
  ['s3', 'GetObject', { Bucket: 'b', Key: 'k', versionId: 'v1' }, 's3:GetObjectVersion', [`${A}s3:::b/k`]],
  ['s3', 'HeadObject', { Bucket: 'b', Key: 'k' }, 's3:GetObject', [`${A}s3:::b/k`]],
  ['s3', 'DeleteObject', { Bucket: 'b', Key: 'k', versionId: 'v1' }, 's3:DeleteObjectVersion', [`${A}s3:::b/k`]],
  ['s3', 'CreateMultipartUpload', { Bucket: 'b', Key: 'k' }, 's3:PutObject', [`${A}s3:::b/k`]],
  ['s3', 'ListParts', { Bucket: 'b', Key: 'k' }, 's3:ListMultipartUploadParts', [`${A}s3:::b/k`]],
  ['s3', 'ListMultipartUploads', { Bucket: 'b' }, 's3:ListBucketMultipartUploads', [`${A}s3:::b`]],
  ['s3', 'DeleteBucketCors', { Bucket: 'b' }, 's3:PutBucketCORS', [`${A}s3:::b`]],
  ['s3', 'PutBucketNotificationConfiguration', { Bucket: 'b' }, 's3:PutBucketNotification', [`${A}s3:::b`]],
  ['s3', 'DeleteObjects', { Bucket: 'b', Delete: { Objects: [{ Key: 'x' }, { Key: 'y' }] } }, 's3:DeleteObject', [`${A}s3:::b/x`, `${A}s3:::b/y`]],
  ['states', 'StartExecution', { stateMachineArn: `${A}states:${R}:stateMachine:sm` }, 'states:StartExecution', [`${A}states:${R}:stateMachine:sm`]],
  ['states', 'StartSyncExecution', { stateMachineArn: `${A}states:${R}:stateMachine:sm` }, 'states:StartSyncExecution', [`${A}states:${R}:stateMachine:sm`]],
  ['states', 'DescribeExecution', { executionArn: `${A}states:${R}:execution:sm:e1` }, 'states:DescribeExecution', [`${A}states:${R}:execution:sm:e1`]],
  ['states', 'CreateStateMachine', { name: 'sm' }, 'states:CreateStateMachine', [`${A}states:${R}:stateMachine:sm`]],
  ['states', 'SendTaskSuccess', { taskToken: 't' }, 'states:SendTaskSuccess', ['*']],
  ['states', 'ListStateMachines', {}, 'states:ListStateMachines', ['*']],
  ['events', 'PutRule', { Name: 'r' }, 'events:PutRule', [`${A}events:${R}:rule/r`]],
  ['events', 'PutTargets', { Rule: 'r', EventBusName: 'orders' }, 'events:PutTargets', [`${A}events:${R}:rule/orders/r`]],
  ['events', 'PutEvents', { Entries: [{ Source: 's' }, { Source: 's', EventBusName: 'orders' }] }, 'events:PutEvents', [`${A}events:${R}:event-bus/default`, `${A}events:${R}:event-bus/orders`]],
  ['events', 'CreateEventBus', { Name: 'orders' }, 'events:CreateEventBus', [`${A}events:${R}:event-bus/orders`]],
  ['scheduler', 'CreateSchedule', { Name: 's1' }, 'scheduler:CreateSchedule', [`${A}scheduler:${R}:schedule/default/s1`]],
  ['scheduler', 'GetSchedule', { Name: 's1', GroupName: 'g' }, 'scheduler:GetSchedule', [`${A}scheduler:${R}:schedule/g/s1`]],
  ['scheduler', 'DeleteSchedule', { Name: 's1', groupName: 'g' }, 'scheduler:DeleteSchedule', [`${A}scheduler:${R}:schedule/g/s1`]],
  ['scheduler', 'CreateScheduleGroup', { Name: 'g' }, 'scheduler:CreateScheduleGroup', [`${A}scheduler:${R}:schedule-group/g`]],
  ['pipes', 'StartPipe', { Name: 'p' }, 'pipes:StartPipe', [`${A}pipes:${R}:pipe/p`]],
  ['logs', 'PutLogEvents', { logGroupName: '/aws/lambda/f', logStreamName: 's' }, 'logs:PutLogEvents', [`${A}logs:${R}:log-group:/aws/lambda/f:log-stream:s`]],
  ['logs', 'CreateLogGroup', { logGroupName: 'g' }, 'logs:CreateLogGroup', [`${A}logs:${R}:log-group:g`]],
  ['logs', 'DescribeLogGroups', {}, 'logs:DescribeLogGroups', [`${A}logs:${R}:log-group:*`]],
  ['logs', 'GetLogEvents', { logGroupName: 'g', logStreamName: 's' }, 'logs:GetLogEvents', [`${A}logs:${R}:log-group:g:log-stream:s`]],
  ['logs', 'FilterLogEvents', { logGroupName: 'g' }, 'logs:FilterLogEvents', [`${A}logs:${R}:log-group:g`]],
  ['kinesis', 'PutRecord', { StreamName: 's' }, 'kinesis:PutRecord', [`${A}kinesis:${R}:stream/s`]],
  ['kinesis', 'GetRecords', { StreamARN: `${A}kinesis:${R}:stream/s` }, 'kinesis:GetRecords', [`${A}kinesis:${R}:stream/s`]],
  ['kinesis', 'ListStreams', {}, 'kinesis:ListStreams', ['*']],
  ['dynamodb', 'GetItem', { TableName: 't' }, 'dynamodb:GetItem', [`${A}dynamodb:${R}:table/t`]],
  ['dynamodb', 'Query', { TableName: 't', IndexName: 'i' }, 'dynamodb:Query', [`${A}dynamodb:${R}:table/t/index/i`]],
  ['dynamodb', 'BatchGetItem', { RequestItems: { a: {}, b: {} } }, 'dynamodb:BatchGetItem', [`${A}dynamodb:${R}:table/a`, `${A}dynamodb:${R}:table/b`]],
  ['dynamodb', 'ListTables', {}, 'dynamodb:ListTables', ['*']],
  ['dynamodbstreams', 'DescribeStream', { StreamArn: `${A}dynamodb:${R}:table/t/stream/2026-01-01T00:00:00.000` }, 'dynamodb:DescribeStream', [`${A}dynamodb:${R}:table/t/stream/2026-01-01T00:00:00.000`]],
  ['kms', 'Encrypt', { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }, 'kms:Encrypt', [`${A}kms:${R}:key/1234abcd-12ab-34cd-56ef-1234567890ab`]],
  ['kms', 'CreateKey', {}, 'kms:CreateKey', ['*']],
  ['kms', 'ListKeys', {}, 'kms:ListKeys', ['*']],
  ['ssm', 'GetParameter', { Name: '/app/db' }, 'ssm:GetParameter', [`${A}ssm:${R}:parameter/app/db`]],
  ['ssm', 'GetParameters', { Names: ['a', '/b/c'] }, 'ssm:GetParameters', [`${A}ssm:${R}:parameter/a`, `${A}ssm:${R}:parameter/b/c`]],
  ['ssm', 'DescribeParameters', {}, 'ssm:DescribeParameters', ['*']],
  ['secretsmanager', 'GetSecretValue', { SecretId: `${A}secretsmanager:${R}:secret:db-AbCdEf` }, 'secretsmanager:GetSecretValue', [`${A}secretsmanager:${R}:secret:db-AbCdEf`]],
  ['secretsmanager', 'ListSecrets', {}, 'secretsmanager:ListSecrets', ['*']],
  ['cloudformation', 'ValidateTemplate', {}, 'cloudformation:ValidateTemplate', ['*']],
  ['cloudformation', 'CreateStack', { StackName: 's' }, 'cloudformation:CreateStack', [`${A}cloudformation:${R}:stack/s/*`]],
  ['iam', 'CreateUser', { UserName: 'u', Path: '/ops/' }, 'iam:CreateUser', ['arn:aws:iam::123456789012:user/ops/u']],
  ['iam', 'AttachRolePolicy', { RoleName: 'r', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, 'iam:AttachRolePolicy', ['arn:aws:iam::123456789012:role/r']],
  ['iam', 'ListRoles', {}, 'iam:ListRoles', ['*']],
  ['iam', 'GetRolePolicy', { RoleName: 'r', PolicyName: 'p' }, 'iam:GetRolePolicy', ['arn:aws:iam::123456789012:role/r']],
  ['iam', 'CreateInstanceProfile', { InstanceProfileName: 'ip' }, 'iam:CreateInstanceProfile', ['arn:aws:iam::123456789012:instance-profile/ip']],
  ['iam', 'GetPolicy', { PolicyArn: 'arn:aws:iam::123456789012:policy/p' }, 'iam:GetPolicy', ['arn:aws:iam::123456789012:policy/p']],
  ['sts', 'AssumeRole', { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's' }, 'sts:AssumeRole', ['arn:aws:iam::123456789012:role/r']],
  ['sts', 'GetCallerIdentity', {}, 'sts:GetCallerIdentity', ['*']],
];

test(`IAM actions: ${CASES.length} operations across the services authorize the Service Authorization Reference's action on the resource ARN the request names`, () => {
  const wrong: string[] = [];
  for (const [service, op, input, action, resources] of CASES) {
    const t = authzTarget(service, op, input, scope);
    if (!t.mapped) wrong.push(`${service} ${op}: unmapped`);
    else if (t.action !== action || JSON.stringify(t.resources) !== JSON.stringify(resources)) wrong.push(`${service} ${op}: ${t.action} ${JSON.stringify(t.resources)}, expected ${action} ${JSON.stringify(resources)}`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(CASES.length >= 60);
});

test('IAM actions: service-specific condition keys come from the request (lambda:FunctionArn, s3:prefix, s3:max-keys, dynamodb:LeadingKeys, kms:EncryptionContext…)', () => {
  const esm = authzTarget('lambda', 'CreateEventSourceMapping', { FunctionName: 'f:live' }, scope);
  assert.ok(esm.mapped);
  assert.equal(esm.context['lambda:FunctionArn'], `${A}lambda:${R}:function:f`);
  const list = authzTarget('s3', 'ListObjectsV2', { Bucket: 'b', prefix: 'home/', 'max-keys': '10', delimiter: '/' }, scope);
  assert.ok(list.mapped);
  assert.deepEqual(list.context, { 's3:prefix': 'home/', 's3:delimiter': '/', 's3:max-keys': '10' });
  const item = authzTarget('dynamodb', 'GetItem', { TableName: 't', Key: { pk: { S: 'user-1' } } }, scope);
  assert.ok(item.mapped);
  assert.deepEqual(item.context['dynamodb:LeadingKeys'], ['user-1']);
  // With a sort key, the partition key attribute must come from the table's schema.
  const resolve = (kind: string, id: string) => (kind === 'dynamodb-hash-key' && id === 't' ? 'pk' : undefined);
  const composite = authzTarget('dynamodb', 'PutItem', { TableName: 't', Item: { sk: { S: 'x' }, pk: { S: 'user-2' }, v: { N: '1' } } }, { ...scope, resolve });
  assert.ok(composite.mapped);
  assert.deepEqual(composite.context['dynamodb:LeadingKeys'], ['user-2']);
  const enc = authzTarget('kms', 'Decrypt', { KeyId: 'k1', EncryptionContext: { app: 'billing', env: 'prod' } }, scope);
  assert.ok(enc.mapped);
  assert.equal(enc.context['kms:EncryptionContext:app'], 'billing');
  assert.deepEqual(enc.context['kms:EncryptionContextKeys'], ['app', 'env']);
  const sub = authzTarget('sns', 'Subscribe', { TopicArn: `${A}sns:${R}:t`, Protocol: 'sqs', Endpoint: `${A}sqs:${R}:q` }, scope);
  assert.ok(sub.mapped);
  assert.deepEqual(sub.context, { 'sns:Protocol': 'sqs', 'sns:Endpoint': `${A}sqs:${R}:q` });
});

test('IAM actions: requests that need more than one action carry the further checks (CopyObject reads its source, ReEncrypt, transactions per table)', () => {
  const copy = authzTarget('s3', 'CopyObject', { Bucket: 'dst', Key: 'k2', 'x-amz-copy-source': '/src/a%20b.txt?versionId=v9' }, scope);
  assert.ok(copy.mapped);
  assert.equal(copy.action, 's3:PutObject');
  assert.deepEqual(copy.resources, [`${A}s3:::dst/k2`]);
  assert.deepEqual(copy.also, [{ action: 's3:GetObjectVersion', resources: [`${A}s3:::src/a b.txt`] }]);
  const re = authzTarget('kms', 'ReEncrypt', { SourceKeyId: 'k1', DestinationKeyId: 'k2' }, scope);
  assert.ok(re.mapped);
  assert.equal(re.action, 'kms:ReEncryptFrom');
  assert.deepEqual(re.also, [{ action: 'kms:ReEncryptTo', resources: [`${A}kms:${R}:key/k2`] }]);
  const tx = authzTarget('dynamodb', 'TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a' } }, { Update: { TableName: 'b' } }, { Put: { TableName: 'c' } }] }, scope);
  assert.ok(tx.mapped);
  assert.equal(tx.action, 'dynamodb:PutItem');
  assert.deepEqual(tx.resources, [`${A}dynamodb:${R}:table/a`, `${A}dynamodb:${R}:table/c`]);
  assert.deepEqual(tx.also, [{ action: 'dynamodb:UpdateItem', resources: [`${A}dynamodb:${R}:table/b`] }]);
});

test('IAM actions: an unknown operation or service is answered unmapped, never thrown', () => {
  assert.deepEqual(authzTarget('lambda', 'NoSuchOperation', {}, scope), { mapped: false, service: 'lambda', operation: 'NoSuchOperation', reason: 'unknown-operation' });
  assert.deepEqual(authzTarget('nosuch', 'Invoke', {}, scope), { mapped: false, service: 'nosuch', operation: 'Invoke', reason: 'unknown-service' });
  // Inherited object properties are no operations.
  assert.equal(authzTarget('sqs', 'constructor', {}, scope).mapped, false);
  // Hostile member types do not throw: non-strings are absent.
  const t = authzTarget('lambda', 'Invoke', { FunctionName: { toString: null }, Qualifier: 7 }, scope);
  assert.ok(t.mapped);
  assert.deepEqual(t.resources, ['*']);
});

test('IAM actions: services are found by their SigV4 name, botocore model name or JSON target prefix', () => {
  const byTarget = authzTarget('AWSStepFunctions', 'StartExecution', { stateMachineArn: `${A}states:${R}:stateMachine:sm` }, scope);
  const byModel = authzTarget('stepfunctions', 'StartExecution', { stateMachineArn: `${A}states:${R}:stateMachine:sm` }, scope);
  assert.ok(byTarget.mapped && byModel.mapped);
  assert.equal(byTarget.action, 'states:StartExecution');
  assert.deepEqual(byTarget, byModel);
  assert.equal(queueArnOfUrl('not a url', 'us-east-1', '1'), undefined);
  // The resource's account: the ARN's, else the node's (S3 ARNs and `*` name none).
  assert.equal(resourceAccount(`${A}sqs:us-east-1:111122223333:q`, scope), '111122223333');
  assert.equal(resourceAccount(`${A}s3:::b/k`, scope), '123456789012');
  assert.equal(resourceAccount('*', scope), '123456789012');
});

test('IAM actions: the S3 operation of a request is decided as the door dispatches it, and its input gives the ARN', () => {
  const q = (s: string) => new URLSearchParams(s);
  const none = () => undefined;
  assert.equal(s3Operation('GET', undefined, undefined, q(''), none), 'ListBuckets');
  assert.equal(s3Operation('GET', 'b', undefined, q('list-type=2&prefix=a'), none), 'ListObjectsV2');
  assert.equal(s3Operation('GET', 'b', undefined, q('versions'), none), 'ListObjectVersions');
  assert.equal(s3Operation('HEAD', 'b', 'k', q(''), none), 'HeadObject');
  assert.equal(s3Operation('PUT', 'b', 'k', q('partNumber=1&uploadId=u'), (n) => (n === 'x-amz-copy-source' ? 'x/y' : undefined)), 'UploadPartCopy');
  assert.equal(s3Operation('DELETE', 'b', undefined, q('cors'), none), 'DeleteBucketCors');
  assert.equal(s3Operation('OPTIONS', 'b', 'k', q(''), none), undefined);
  const input = s3Input('b', 'dir/k', q('versionId=v2'), none);
  const t = authzTarget('s3', s3Operation('GET', 'b', 'dir/k', q('versionId=v2'), none)!, input, scope);
  assert.ok(t.mapped);
  assert.equal(t.action, 's3:GetObjectVersion');
  assert.deepEqual(t.resources, [`${A}s3:::b/dir/k`]);
  assert.deepEqual(t.context, { 's3:versionid': 'v2' });
});

test('IAM actions: GetRecords by shard iterator alone acts on the stream the iterator was issued for (Kinesis and DynamoDB Streams)', async () => {
  const { encodeIterator } = await import('../../src/services/kinesis/keys.js');
  const stream = `${A}kinesis:${R}:stream/orders`;
  const k = authzTarget('kinesis', 'GetRecords', { ShardIterator: encodeIterator({ streamArn: stream, shardId: 'shardId-000000000000', from: 0, issuedMs: 0 }) }, scope);
  assert.ok(k.mapped);
  assert.deepEqual(k.resources, [stream]);
  const ddb = `${A}dynamodb:${R}:table/t/stream/2026-01-01T00:00:00.000`;
  const d = authzTarget('dynamodbstreams', 'GetRecords', { ShardIterator: Buffer.from(JSON.stringify({ a: ddb, s: 'shard-1', i: 0, t: 0 })).toString('base64url') }, scope);
  assert.ok(d.mapped);
  assert.deepEqual(d.resources, [ddb]);
  const opaque = authzTarget('kinesis', 'GetRecords', { ShardIterator: 'AAAAAAAAAAF' }, scope);
  assert.ok(opaque.mapped);
  assert.deepEqual(opaque.resources, ['*']);
});

test('IAM actions: names that only the store can complete go through scope.resolve (secret suffix, KMS alias and ciphertext key, IAM path, stack id)', () => {
  const known: Record<string, string> = {
    'secret:db': `${A}secretsmanager:${R}:secret:db-AbCdEf`,
    'kms-alias:alias/app': `${A}kms:${R}:key/k-app`,
    'kms-ciphertext:Y2lwaGVy': `${A}kms:${R}:key/k-blob`,
    'iam-user:alice': 'arn:aws:iam::123456789012:user/staff/alice',
    'stack:web': `${A}cloudformation:${R}:stack/web/7d3c2b1a-0000-4000-8000-000000000000`,
  };
  const s: AuthzScope = { ...scope, resolve: (kind, id) => known[`${kind}:${id}`] };
  const first = (service: string, op: string, input: Record<string, unknown>, sc: AuthzScope = s): string => {
    const t = authzTarget(service, op, input, sc);
    assert.ok(t.mapped);
    return t.resources[0]!;
  };
  assert.equal(first('secretsmanager', 'GetSecretValue', { SecretId: 'db' }), known['secret:db']);
  assert.equal(first('secretsmanager', 'GetSecretValue', { SecretId: 'db' }, scope), `${A}secretsmanager:${R}:secret:db`);
  assert.equal(first('kms', 'Encrypt', { KeyId: 'alias/app' }), known['kms-alias:alias/app']);
  assert.equal(first('kms', 'Encrypt', { KeyId: 'alias/app' }, scope), `${A}kms:${R}:alias/app`);
  assert.equal(first('kms', 'Decrypt', { CiphertextBlob: 'Y2lwaGVy' }), known['kms-ciphertext:Y2lwaGVy']);
  assert.equal(first('kms', 'Decrypt', { CiphertextBlob: 'Y2lwaGVy' }, scope), '*');
  assert.equal(first('iam', 'GetUser', { UserName: 'alice' }), known['iam-user:alice']);
  assert.equal(first('iam', 'GetUser', {}, { ...scope, principalArn: 'arn:aws:iam::123456789012:user/bob' }), 'arn:aws:iam::123456789012:user/bob');
  assert.equal(first('cloudformation', 'DescribeStackEvents', { StackName: 'web' }), known['stack:web']);
});
