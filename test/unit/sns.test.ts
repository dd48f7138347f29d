// SNS's pure parts: delivery-policy retry schedules, publish checks, form reading, the self-signed certificate and
// AWS's canonical signing string, filter policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { HTTP_DEFAULT_RETRY, MANAGED_RETRY, retryDelayMs, addPermission, defaultPolicy, removePermission } from '../../src/services/sns/model.js';
import { preparePublish } from '../../src/services/sns/publish.js';
import { canonicalString, selfSignedCert } from '../../src/services/sns/signing.js';
import { list, map, messageAttributes, structs } from '../../src/services/sns/query.js';
import { matchesFilterPolicy, validateFilterPolicy } from '../../src/lib/filter-policy.js';
import type { Topic } from '../../src/services/sns/model.js';

const topic = (fifo = false, cbd = false): Topic => ({ arn: 'arn:aws:sns:us-east-1:000000000000:t', region: 'us-east-1', name: 't', fifo, attributes: cbd ? { ContentBasedDeduplication: 'true' } : {}, tags: [], deleted: 0 });

test('SNS retries: the HTTP default is 3 retries 20 s apart; managed endpoints retry at once, then back off to 20 s', () => {
  assert.deepEqual([1, 2, 3, 4].map((r) => retryDelayMs(HTTP_DEFAULT_RETRY, r)), [20_000, 20_000, 20_000, undefined]);
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => retryDelayMs(MANAGED_RETRY, r)), [0, 0, 0, 1000, 1000]);
  assert.equal(retryDelayMs(MANAGED_RETRY, 6), 1000);
  assert.equal(retryDelayMs(MANAGED_RETRY, 15), 20_000);
  assert.equal(retryDelayMs(MANAGED_RETRY, 100_015), 20_000);
  assert.equal(retryDelayMs(MANAGED_RETRY, 100_016), undefined);
  const linear = { ...HTTP_DEFAULT_RETRY, minDelayTarget: 1, maxDelayTarget: 5, numRetries: 5 };
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => retryDelayMs(linear, r)), [1000, 2000, 3000, 4000, 5000]);
});

test('SNS publish: FIFO needs a group id and a dedup id (or content-based deduplication); standard topics refuse dedup ids', () => {
  assert.throws(() => preparePublish(topic(true), { message: 'm' }), /MessageGroupId parameter is required/);
  assert.throws(() => preparePublish(topic(true), { message: 'm', messageGroupId: 'g' }), /ContentBasedDeduplication enabled/);
  assert.equal(preparePublish(topic(true, true), { message: 'm', messageGroupId: 'g' }).dedupId, '62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a');
  assert.throws(() => preparePublish(topic(), { message: 'm', messageDeduplicationId: 'd' }), /not valid for this topic type/);
  assert.throws(() => preparePublish(topic(), { message: '' }), /Empty message/);
  assert.throws(() => preparePublish(topic(), { message: 'm', subject: 'a\nb' }), /Invalid parameter: Subject/);
  assert.throws(() => preparePublish(topic(), { message: 'm', messageAttributes: { n: { DataType: 'Number', StringValue: '1x' } } }), /Could not cast message attribute 'n' value to number\./);
  assert.throws(() => preparePublish(topic(), { message: 'm', messageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } }), /Invalid attribute name/);
  const s = preparePublish(topic(), { message: '{"default":"d","sqs":"q"}', messageStructure: 'json' });
  assert.deepEqual(s.structured, { default: 'd', sqs: 'q' });
  assert.throws(() => preparePublish(topic(), { message: '{"sqs":"q"}', messageStructure: 'json' }), /No default entry/);
});

test('SNS query forms: lists, maps, message attributes and batch entries read as botocore writes them', () => {
  const f = new URLSearchParams(
    'AWSAccountId.member.1=1&AWSAccountId.member.2=2&Attributes.entry.1.key=A&Attributes.entry.1.value=x&MessageAttributes.entry.1.Name=b&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=AQI%3D&E.member.1.Id=i1&E.member.1.Message=m1&E.member.2.Id=i2',
  );
  assert.deepEqual(list(f, 'AWSAccountId'), ['1', '2']);
  assert.deepEqual(map(f, 'Attributes'), { A: 'x' });
  assert.deepEqual(messageAttributes(f, 'MessageAttributes'), { b: { DataType: 'Binary', StringValue: undefined, BinaryValue: Buffer.from([1, 2]) } });
  assert.deepEqual(structs(f, 'E').map((s) => s.get('Id')), ['i1', 'i2']);
});

test('SNS signing: the self-signed certificate parses and verifies; the canonical string follows AWS’s field order', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = selfSignedCert(privateKey, publicKey.export({ type: 'spki', format: 'der' }), 'sns.amazonaws.com', Date.UTC(2026, 0, 1), Buffer.from([1, 2, 3]));
  const cert = new X509Certificate(pem);
  assert.ok(cert.verify(publicKey));
  assert.equal(cert.subject, 'CN=sns.amazonaws.com');
  const c = canonicalString({ Type: 'Notification', MessageId: 'id', TopicArn: 'arn', Message: 'hi', Timestamp: 'ts' });
  assert.equal(c, 'Message\nhi\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n');
  assert.ok(verify('sha1', Buffer.from(c), cert.publicKey, sign('sha1', Buffer.from(c), privateKey)));
});

test('SNS policies: AddPermission adds a labelled statement (duplicates refused), RemovePermission takes it out', () => {
  const p = addPermission(defaultPolicy('arn:t', '000000000000'), 'arn:t', 'L', ['111122223333'], ['Publish']);
  const doc = JSON.parse(p) as { Statement: { Sid: string; Action: unknown }[] };
  assert.deepEqual(doc.Statement.map((s) => s.Sid), ['__default_statement_ID', 'L']);
  assert.equal(doc.Statement[1]!.Action, 'SNS:Publish');
  assert.throws(() => addPermission(p, 'arn:t', 'L', ['1'], ['Publish']), /Statement already exists/);
  assert.deepEqual((JSON.parse(removePermission(p, 'L')) as { Statement: unknown[] }).Statement.length, 1);
});

test('SNS filter policies: exact, numeric, prefix, anything-but and exists on attributes; nested keys on the body', () => {
  const attrs = { color: { DataType: 'String', StringValue: 'red' }, n: { DataType: 'Number', StringValue: '7' } };
  const m = { attributes: attrs, body: '{"a":{"b":"xyz"}}' };
  assert.ok(matchesFilterPolicy({ color: ['red', 'blue'] }, 'MessageAttributes', m));
  assert.ok(!matchesFilterPolicy({ color: ['green'] }, 'MessageAttributes', m));
  assert.ok(matchesFilterPolicy({ n: [{ numeric: ['>', 5, '<=', 7] }] }, 'MessageAttributes', m));
  assert.ok(matchesFilterPolicy({ color: [{ prefix: 're' }], missing: [{ exists: false }] }, 'MessageAttributes', m));
  assert.ok(!matchesFilterPolicy({ color: [{ 'anything-but': ['red'] }] }, 'MessageAttributes', m));
  assert.ok(matchesFilterPolicy({ a: { b: [{ prefix: 'x' }] } }, 'MessageBody', m));
  assert.equal(validateFilterPolicy('{"a":{"b":["x"]}}', 'MessageAttributes'), 'Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy');
  assert.match(validateFilterPolicy('{"a":"b"}', 'MessageAttributes') ?? '', /^Invalid parameter: FilterPolicy: /);
  assert.equal(validateFilterPolicy('{"a":["b"]}', 'MessageAttributes'), undefined);
});
