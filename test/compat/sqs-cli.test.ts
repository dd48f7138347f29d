// Compatibility: SQS through the AWS CLI v1 (JSON protocol) and v2 2.9 (query protocol, XML) against a live server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { liveServer } from '../helpers/server.js';

const server = liveServer();

for (const v of [1, 2] as const) {
  test(`SQS CLI v${v}: queue lifecycle, messages with attributes, batches, FIFO and errors`, { skip: v === 2 && !hasV2() ? 'AWS CLI v2 is not installed at /usr/bin/aws' : false }, async () => {
    const cli = async (...args: string[]) => {
      const r = await awsCli(v, server().url, ['sqs', ...args]);
      assert.equal(r.code, 0, `aws sqs ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout.trim() ? r.json() : {};
    };
    const name = `cli-v${v}`;
    const { QueueUrl: url } = await cli('create-queue', '--queue-name', name, '--attributes', 'VisibilityTimeout=40,DelaySeconds=0', '--tags', 'team=core,env=dev');
    assert.equal(url, `${server().url}/000000000000/${name}`);
    assert.equal((await cli('get-queue-url', '--queue-name', name)).QueueUrl, url);
    assert.ok((await cli('list-queues', '--queue-name-prefix', 'cli-')).QueueUrls.includes(url));
    const attrs = (await cli('get-queue-attributes', '--queue-url', url, '--attribute-names', 'All')).Attributes;
    assert.equal(attrs.VisibilityTimeout, '40');
    assert.equal(attrs.QueueArn, `arn:aws:sqs:us-east-1:000000000000:${name}`);
    assert.deepEqual((await cli('list-queue-tags', '--queue-url', url)).Tags, { team: 'core', env: 'dev' });

    // The CLI checks MD5OfMessageBody and MD5OfMessageAttributes itself.
    const sent = await cli(
      'send-message', '--queue-url', url, '--message-body', 'hello <&> "world"',
      '--message-attributes', JSON.stringify({ s: { DataType: 'String', StringValue: 'v' }, n: { DataType: 'Number', StringValue: '42' }, b: { DataType: 'Binary', BinaryValue: 'AAEC/w==' } }),
    );
    assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
    const got = await cli('receive-message', '--queue-url', url, '--attribute-names', 'All', '--message-attribute-names', 'All', '--max-number-of-messages', '10');
    const m = got.Messages[0];
    assert.equal(m.Body, 'hello <&> "world"');
    assert.equal(m.MessageAttributes.n.StringValue, '42');
    // CLI v1 sends a blob argument's text as the bytes; v2 decodes it as base64 first.
    assert.equal(m.MessageAttributes.b.BinaryValue, v === 1 ? Buffer.from('AAEC/w==').toString('base64') : 'AAEC/w==');
    assert.equal(m.Attributes.ApproximateReceiveCount, '1');
    await cli('change-message-visibility', '--queue-url', url, '--receipt-handle', m.ReceiptHandle, '--visibility-timeout', '100');
    await cli('delete-message', '--queue-url', url, '--receipt-handle', m.ReceiptHandle);

    const batch = await cli('send-message-batch', '--queue-url', url, '--entries', 'Id=a,MessageBody=one', 'Id=b,MessageBody=two', 'Id=c,MessageBody=three,DelaySeconds=901');
    assert.deepEqual(batch.Successful.map((s: { Id: string }) => s.Id).sort(), ['a', 'b']);
    assert.equal(batch.Failed[0].Id, 'c');
    const two = await cli('receive-message', '--queue-url', url, '--max-number-of-messages', '10');
    assert.equal(two.Messages.length, 2);
    const cmv = await cli('change-message-visibility-batch', '--queue-url', url, '--entries', `Id=v0,ReceiptHandle=${two.Messages[0].ReceiptHandle},VisibilityTimeout=60`, 'Id=v1,ReceiptHandle=bogus,VisibilityTimeout=60');
    assert.deepEqual(cmv.Successful.map((x: { Id: string }) => x.Id), ['v0']);
    assert.equal(cmv.Failed[0].Code, 'ReceiptHandleIsInvalid');
    const del = await cli('delete-message-batch', '--queue-url', url, '--entries', ...two.Messages.map((x: { ReceiptHandle: string }, i: number) => `Id=m${i},ReceiptHandle=${x.ReceiptHandle}`));
    assert.equal(del.Successful.length, 2);
    await cli('tag-queue', '--queue-url', url, '--tags', 'owner=me');
    await cli('untag-queue', '--queue-url', url, '--tag-keys', 'env');
    assert.deepEqual((await cli('list-queue-tags', '--queue-url', url)).Tags, { team: 'core', owner: 'me' });
    await cli('set-queue-attributes', '--queue-url', url, '--attributes', 'MessageRetentionPeriod=120');
    assert.equal((await cli('get-queue-attributes', '--queue-url', url, '--attribute-names', 'MessageRetentionPeriod')).Attributes.MessageRetentionPeriod, '120');
    await cli('purge-queue', '--queue-url', url);

    const fifo = (await cli('create-queue', '--queue-name', `${name}.fifo`, '--attributes', 'FifoQueue=true,ContentBasedDeduplication=true')).QueueUrl;
    const f1 = await cli('send-message', '--queue-url', fifo, '--message-body', 'first', '--message-group-id', 'g');
    assert.match(f1.SequenceNumber, /^\d{20}$/);
    assert.equal((await cli('send-message', '--queue-url', fifo, '--message-body', 'first', '--message-group-id', 'g')).MessageId, f1.MessageId);
    const fr = await cli('receive-message', '--queue-url', fifo, '--attribute-names', 'All');
    assert.equal(fr.Messages[0].Attributes.MessageGroupId, 'g');

    const missing = await awsCli(v, server().url, ['sqs', 'get-queue-url', '--queue-name', 'does-not-exist']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /AWS\.SimpleQueueService\.NonExistentQueue/);
    assert.match(missing.stderr, /The specified queue does not exist/);
    const bad = await awsCli(v, server().url, ['sqs', 'create-queue', '--queue-name', `${name}-bad`, '--attributes', 'VisibilityTimeout=99999']);
    assert.match(bad.stderr, /InvalidAttributeValue/);

    await cli('delete-queue', '--queue-url', url);
    await cli('delete-queue', '--queue-url', fifo);
    assert.ok(!((await cli('list-queues', '--queue-name-prefix', name)).QueueUrls ?? []).includes(url));
    const recreated = await awsCli(v, server().url, ['sqs', 'create-queue', '--queue-name', name]);
    assert.notEqual(recreated.code, 0);
    assert.match(recreated.stderr, /AWS\.SimpleQueueService\.QueueDeletedRecently/);
    assert.match(recreated.stderr, /You must wait 60 seconds after deleting a queue before you can create another with the same name\./);
  });
}

test('SQS query protocol: nested batch entries with attributes, and XML answers as botocore reads them', async () => {
  const post = async (params: Record<string, string>) => {
    const r = await fetch(server().url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams({ Version: '2012-11-05', ...params }) });
    return { status: r.status, text: await r.text() };
  };
  const created = await post({ Action: 'CreateQueue', QueueName: 'query-raw', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '5', 'Tag.1.Key': 'k', 'Tag.1.Value': 'v' });
  assert.equal(created.status, 200);
  const url = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created.text)![1]!;
  const sent = await post({
    Action: 'SendMessageBatch',
    QueueUrl: url,
    'SendMessageBatchRequestEntry.1.Id': 'one',
    'SendMessageBatchRequestEntry.1.MessageBody': 'a & b',
    'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'color',
    'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
    'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'blue',
    'SendMessageBatchRequestEntry.2.Id': 'two',
    'SendMessageBatchRequestEntry.2.MessageBody': 'second',
    'SendMessageBatchRequestEntry.2.DelaySeconds': '0',
  });
  assert.equal(sent.status, 200, sent.text);
  assert.equal((sent.text.match(/<SendMessageBatchResultEntry>/g) ?? []).length, 2);
  assert.match(sent.text, /<Id>one<\/Id><MessageId>[0-9a-f-]{36}<\/MessageId><MD5OfMessageBody>[0-9a-f]{32}<\/MD5OfMessageBody><MD5OfMessageAttributes>[0-9a-f]{32}<\/MD5OfMessageAttributes>/);
  const got = await post({ Action: 'ReceiveMessage', QueueUrl: url, MaxNumberOfMessages: '10', 'AttributeName.1': 'All', 'MessageAttributeName.1': 'All' });
  assert.match(got.text, /<Body>a &amp; b<\/Body>/);
  assert.match(got.text, /<MessageAttribute><Name>color<\/Name><Value><StringValue>blue<\/StringValue><DataType>String<\/DataType><\/Value><\/MessageAttribute>/);
  assert.match(got.text, /<Attribute><Name>ApproximateReceiveCount<\/Name><Value>1<\/Value><\/Attribute>/);
  const bad = await post({ Action: 'ReceiveMessage', QueueUrl: url, MaxNumberOfMessages: 'lots' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /<Code>InvalidParameterValue<\/Code>/);
  const unknown = await post({ Action: 'NoSuchAction' });
  assert.equal(unknown.status, 400);
});
