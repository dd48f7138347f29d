// Compatibility: Step Functions' sqs:sendMessage integration onto the server's own queues, driven by the real SDK clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { liveServer } from '../helpers/server.js';
import { finished, sfnClient, SM_ROLE } from '../helpers/states.js';
import { sqsClient } from '../helpers/sqs.js';

const server = liveServer();
let client: SFNClient | undefined;
/** Made on first use: liveServer()'s server exists only once the file's hooks ran (hooks do not run in order). */
const sfn = { send: (cmd: never) => (client ??= sfnClient(server().url)).send(cmd) } as unknown as SFNClient;


async function run(name: string, definition: object, input: object): Promise<{ status: string; output?: unknown; error?: string; cause?: string; arn: string }> {
  const sm = await sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: SM_ROLE }));
  const s = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: JSON.stringify(input) }));
  const d = await finished(sfn, s.executionArn);
  return { status: d.status!, output: d.output ? JSON.parse(d.output) : undefined, error: d.error, cause: d.cause, arn: s.executionArn! };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

test('sqs:sendMessage sends an object MessageBody as JSON text, with attributes, and returns the SendMessage result', async () => {
  const sqs = sqsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-orders' }));
  const r = await run(
    'send-orders',
    {
      StartAt: 'Send',
      States: {
        Send: {
          Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true,
          Parameters: { 'QueueUrl.$': '$.queue', MessageBody: { 'order.$': '$.order', kind: 'new' }, MessageAttributes: { source: { DataType: 'String', StringValue: 'sfn' } } },
        },
      },
    },
    { queue: QueueUrl, order: 42 },
  );
  assert.equal(r.status, 'SUCCEEDED', r.cause);
  const out = r.output as Record<string, any>;
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
  const m = got.Messages![0]!;
  assert.equal(m.Body, '{"order":42,"kind":"new"}');
  assert.equal(m.MessageAttributes!['source']!.StringValue, 'sfn');
  assert.equal(out.MessageId, m.MessageId);
  assert.equal(out.MD5OfMessageBody, md5(m.Body!));
  assert.equal(out.MD5OfMessageAttributes, m.MD5OfMessageAttributes);
  assert.equal(out.SdkHttpMetadata.HttpStatusCode, 200);
  assert.equal(out.SdkResponseMetadata.RequestId, out.SdkHttpMetadata.HttpHeaders['x-amzn-RequestId']);
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: r.arn }));
  const sched = h.events!.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!;
  assert.deepEqual({ resource: sched.resource, resourceType: sched.resourceType }, { resource: 'sendMessage', resourceType: 'sqs' });
});

test('sqs:sendMessage to a FIFO queue passes MessageGroupId and MessageDeduplicationId and returns the SequenceNumber', async () => {
  const sqs = sqsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-jobs.fifo', Attributes: { FifoQueue: 'true' } }));
  const def = { StartAt: 'Send', States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true, Parameters: { QueueUrl, MessageBody: 'job', MessageGroupId: 'g1', MessageDeduplicationId: 'd1' } } } };
  const r = await run('send-fifo', def, {});
  assert.equal(r.status, 'SUCCEEDED', r.cause);
  const out = r.output as Record<string, any>;
  assert.match(out.SequenceNumber, /^\d+$/);
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 1 }));
  assert.equal(got.Messages![0]!.Attributes!['MessageGroupId'], 'g1');
  assert.equal(got.Messages![0]!.Attributes!['MessageDeduplicationId'], 'd1');
  assert.equal(got.Messages![0]!.MessageId, out.MessageId);
});

test('sqs:sendMessage failures are SQS.QueueDoesNotExistException and SQS.AmazonSQSException, catchable like any task error', async () => {
  const missingQueue = `${server().url}/000000000000/no-such-queue`;
  const caught = await run(
    'send-missing',
    { StartAt: 'Send', States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: missingQueue, MessageBody: 'x' }, Catch: [{ ErrorEquals: ['SQS.QueueDoesNotExistException'], Next: 'Caught' }], End: true }, Caught: { Type: 'Pass', End: true } } },
    {},
  );
  assert.equal(caught.status, 'SUCCEEDED');
  const err = caught.output as { Error: string; Cause: string };
  assert.equal(err.Error, 'SQS.QueueDoesNotExistException');
  assert.match(err.Cause, /^The specified queue does not exist\. \(Service: AmazonSQS; Status Code: 400; Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: [\w-]+; Proxy: null\)$/);
  const { QueueUrl } = await sqsClient(server().url).send(new CreateQueueCommand({ QueueName: 'sfn-empty-body' }));
  const failed = await run('send-no-body', { StartAt: 'Send', States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl, 'MessageBody.$': '$.nothing' }, End: true } } }, { nothing: null });
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.error, 'SQS.AmazonSQSException');
  assert.match(failed.cause!, /^The request must contain the parameter MessageBody\. \(Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter;/);
});

test('sqs:sendMessage.waitForTaskToken waits until a consumer of the message calls SendTaskSuccess with its token', async () => {
  const sqs = sqsClient(server().url);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-approvals' }));
  const sm = await sfn.send(
    new CreateStateMachineCommand({
      name: 'approve-by-queue',
      roleArn: SM_ROLE,
      definition: JSON.stringify({
        StartAt: 'Ask',
        States: { Ask: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl, MessageBody: { 'token.$': '$$.Task.Token', 'item.$': '$.item' } }, ResultPath: '$.answer', End: true } },
      }),
    }),
  );
  const s = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: '{"item":"book"}' }));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  const body = JSON.parse(got.Messages![0]!.Body!) as { token: string; item: string };
  assert.equal(body.item, 'book');
  assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }))).status, 'RUNNING');
  await sfn.send(new SendTaskSuccessCommand({ taskToken: body.token, output: '{"ok":true}' }));
  const d = await finished(sfn, s.executionArn);
  assert.equal(d.status, 'SUCCEEDED', d.cause);
  assert.deepEqual(JSON.parse(d.output!), { item: 'book', answer: { ok: true } });
  const types = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn }))).events!.map((e) => e.type);
  assert.deepEqual(types, ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
});
