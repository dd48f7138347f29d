// MD5OfMessageAttributes against digests that AWS returned (as pinned by moto's SQS test suite), since the JS SDK
// only verifies body digests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md5Hex, md5OfAttributes } from '../../src/services/sqs/md5.js';

test('SQS MD5: a Number attribute digests as on AWS', () => {
  assert.equal(md5OfAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } }), '235c5c510d26fb653d073faed50ae77c');
  assert.equal(md5OfAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359901' } }), '994258b45346a2cc3f9cbb611aa7af30');
  assert.equal(md5OfAttributes({ 'SOME_Valid.attribute-Name': { DataType: 'Number', StringValue: '1493147359900' } }), '36655e7e9d7c0e8479fa3f3f42247ae7');
});

test('SQS MD5: String, Binary, Number and non-ASCII names digest in name order as on AWS', () => {
  const digest = md5OfAttributes({
    ccc: { DataType: 'String', StringValue: 'testjunk' },
    aaa: { DataType: 'Binary', BinaryValue: Buffer.from([2, 3, 4]) },
    zzz: { DataType: 'Number', StringValue: '0230.01' },
    öther_encodings: { DataType: 'String', StringValue: 'Tüst' },
  });
  assert.equal(digest, '8ae21a7957029ef04146b42aeaa18a22');
  assert.equal(md5Hex('derp'), '58fd9edd83341c29f1aebba81c31e257');
});

test('SQS MD5: no attributes means no digest', () => {
  assert.equal(md5OfAttributes({}), undefined);
  assert.equal(md5OfAttributes(undefined), undefined);
});
