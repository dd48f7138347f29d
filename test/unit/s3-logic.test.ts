// Unit tests of S3's pure parts: ranges, conditional headers, bucket names, listing pages, aws-chunked decoding,
// ETags and checksums, notification configurations and key encodings, XML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkConditions, parseRange, validateBucketName, urlEncodeKey, eventKey } from '../../src/services/s3/http-rules.js';
import { listPage, pastPrefix } from '../../src/services/s3/listing.js';
import { dechunk } from '../../src/services/s3/upload.js';
import { compositeChecksum, digester, multipartEtag } from '../../src/services/s3/checksums.js';
import { destinationsFor, parseNotification } from '../../src/services/s3/notify-config.js';
import { parseXml, xmlDoc } from '../../src/services/s3/xml.js';
import { locate } from '../../src/services/s3/door.js';
import { sliceSegs } from '../../src/services/s3/api-multipart.js';

test('S3 ranges: closed, open and suffix ranges; past the end is unsatisfiable; garbage is ignored', () => {
  assert.deepEqual(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
  assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=5-2', 10), undefined);
  assert.equal(parseRange('items=0-1', 10), undefined);
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
});

test('S3 conditions: If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since; copy conditions are 412s', () => {
  const t = Date.UTC(2026, 0, 1, 12);
  const before = new Date(t - 3600_000).toUTCString();
  const later = new Date(t + 3600_000).toUTCString();
  assert.equal(checkConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, 'abc', t), 'ok');
  assert.throws(() => checkConditions({ ifMatch: '"x"' }, 'abc', t), { code: 'PreconditionFailed' });
  assert.throws(() => checkConditions({ ifUnmodifiedSince: before }, 'abc', t), { code: 'PreconditionFailed' });
  assert.equal(checkConditions({ ifNoneMatch: '"abc"' }, 'abc', t), 'not-modified');
  assert.equal(checkConditions({ ifNoneMatch: '"x"', ifModifiedSince: later }, 'abc', t), 'ok');
  assert.equal(checkConditions({ ifModifiedSince: later }, 'abc', t), 'not-modified');
  assert.equal(checkConditions({ ifNoneMatch: '*' }, 'abc', t), 'not-modified');
  assert.throws(() => checkConditions({ ifNoneMatch: '"abc"' }, 'abc', t, true), { code: 'PreconditionFailed' });
});

test('S3 bucket names: AWS’s rules', () => {
  for (const ok of ['abc', 'my.bucket-1', 'a'.repeat(63)]) validateBucketName(ok);
  for (const bad of ['ab', 'a'.repeat(64), 'Upper', 'under_score', '-start', 'end-', 'two..dots', '192.168.1.1', 'xn--abc', 'a-.b', 'x-s3alias']) {
    assert.throws(() => validateBucketName(bad), { code: 'InvalidBucketName' }, bad);
  }
});

test('S3 listing: delimiter rolls keys into common prefixes, pages resume after a prefix without repeating it', async () => {
  const keys = ['a/1', 'a/2', 'a/3', 'b', 'c/1', 'd'].map((key) => ({ key }));
  let fetches = 0;
  const fetch = async (after: string, n: number) => {
    fetches++;
    return keys.filter((k) => k.key > after).slice(0, n);
  };
  const p1 = await listPage(fetch, { prefix: '', delimiter: '/', after: '', maxKeys: 2 });
  assert.deepEqual([p1.commonPrefixes, p1.contents.map((c) => c.key), p1.truncated, p1.last], [['a/'], ['b'], true, 'b']);
  const p2 = await listPage(fetch, { prefix: '', delimiter: '/', after: p1.last!, maxKeys: 2 });
  assert.deepEqual([p2.commonPrefixes, p2.contents.map((c) => c.key), p2.truncated], [['c/'], ['d'], false]);
  const resumed = await listPage(fetch, { prefix: '', delimiter: '/', after: 'a/', maxKeys: 10 });
  assert.deepEqual(resumed.commonPrefixes, ['c/']);
  assert.equal(pastPrefix('a/'), 'a/\u{10FFFF}');
  const none = await listPage(fetch, { prefix: '', after: '', maxKeys: 0 });
  assert.equal(none.truncated, true);
  assert.ok(fetches > 0);
});

async function* chunks(parts: string[]): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p, 'latin1');
}

test('S3 aws-chunked: signed and unsigned chunks decode across any split, trailers are read', async () => {
  const body = '5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n';
  for (let split = 1; split < body.length; split += 7) {
    const trailers = new Map<string, string>();
    let out = '';
    for await (const c of dechunk(chunks([body.slice(0, split), body.slice(split)]), trailers)) out += c.toString();
    assert.equal(out, 'hello world');
    assert.equal(trailers.get('x-amz-checksum-crc32'), 'AAAA');
  }
  const trailers = new Map<string, string>();
  let out = '';
  for await (const c of dechunk(chunks(['3\r\nabc\r\n0\r\n\r\n']), trailers)) out += c.toString();
  assert.equal(out, 'abc');
  await assert.rejects(async () => {
    for await (const _ of dechunk(chunks(['5\r\nab']), new Map())) void _;
  }, { code: 'IncompleteBody' });
});

test('S3 ETags and checksums: multipart ETag is MD5 of binary MD5s with -N; CRC32 and composite checksums as AWS computes them', async () => {
  const a = createHash('md5').update('a').digest('hex');
  const b = createHash('md5').update('b').digest('hex');
  const want = createHash('md5').update(Buffer.concat([Buffer.from(a, 'hex'), Buffer.from(b, 'hex')])).digest('hex');
  assert.equal(multipartEtag([a, b]), `${want}-2`);
  const d = digester('CRC32');
  d.update(Buffer.from('hello world'));
  assert.equal(await d.digest(), 'DUoRhQ==');
  const s = digester('SHA256');
  s.update(Buffer.from('x'));
  assert.equal(await s.digest(), createHash('sha256').update('x').digest('base64'));
  const comp = await compositeChecksum('SHA256', [createHash('sha256').update('1').digest('base64'), createHash('sha256').update('2').digest('base64')]);
  assert.match(comp, /-2$/);
  const c64 = digester('CRC64NVME');
  c64.update(Buffer.from('hello world'));
  assert.equal(Buffer.from(await c64.digest(), 'base64').length, 8);
});

test('S3 notification configurations: filters select, overlapping configurations and bad rules are refused as AWS words it', () => {
  const id = (): string => 'gen';
  const cfg = parseNotification(
    {
      QueueConfiguration: [
        { Queue: 'arn:q', Event: ['s3:ObjectCreated:*'], Filter: { S3Key: { FilterRule: [{ Name: 'Prefix', Value: 'img/' }, { Name: 'suffix', Value: '.jpg' }] } } },
        { Id: 'del', Queue: 'arn:q', Event: ['s3:ObjectRemoved:Delete'] },
      ],
    },
    id,
  );
  assert.deepEqual(destinationsFor(cfg, 's3:ObjectCreated:Put', 'img/a.jpg').map((d) => d.id), ['gen']);
  assert.deepEqual(destinationsFor(cfg, 's3:ObjectCreated:Put', 'img/a.png'), []);
  assert.deepEqual(destinationsFor(cfg, 's3:ObjectRemoved:Delete', 'x').map((d) => d.id), ['del']);
  assert.deepEqual(destinationsFor(cfg, 's3:ObjectRemoved:DeleteMarkerCreated', 'x'), []);
  assert.throws(
    () => parseNotification({ QueueConfiguration: [{ Queue: 'a', Event: ['s3:ObjectCreated:*'] }, { Queue: 'b', Event: ['s3:ObjectCreated:Copy'], Filter: { S3Key: { FilterRule: [{ Name: 'prefix', Value: 'x' }] } } }] }, id),
    { message: 'Configurations overlap. Configurations on the same bucket cannot share a common event type.' },
  );
  // Disjoint prefixes do not overlap.
  parseNotification({ QueueConfiguration: [{ Queue: 'a', Event: ['s3:ObjectCreated:*'], Filter: { S3Key: { FilterRule: [{ Name: 'prefix', Value: 'a/' }] } } }, { Queue: 'b', Event: ['s3:ObjectCreated:*'], Filter: { S3Key: { FilterRule: [{ Name: 'prefix', Value: 'b/' }] } } }] }, id);
  assert.throws(() => parseNotification({ QueueConfiguration: [{ Queue: 'a', Event: ['s3:Nope'] }] }, id), { code: 'InvalidArgument' });
  assert.throws(() => parseNotification({ QueueConfiguration: [{ Queue: 'a', Event: ['s3:ObjectCreated:*'], Filter: { S3Key: { FilterRule: [{ Name: 'middle', Value: 'x' }] } } }] }, id), { code: 'InvalidArgument' });
});

test('S3 keys: url encoding for listings, form encoding for event records; bucket and key from path or virtual host', () => {
  assert.equal(urlEncodeKey('a b/c+d(é)'), 'a%20b/c%2Bd%28%C3%A9%29');
  assert.equal(eventKey('Happy Face.jpg'), 'Happy+Face.jpg');
  assert.deepEqual(locate('127.0.0.1:9000', '/bkt/a/b%20c'), { bucket: 'bkt', key: 'a/b c' });
  assert.deepEqual(locate('127.0.0.1:9000', '/bkt'), { bucket: 'bkt' });
  assert.deepEqual(locate('127.0.0.1:9000', '/'), {});
  assert.deepEqual(locate('my.bkt.s3.localhost:9000', '/k%2Fx'), { bucket: 'my.bkt', key: 'k/x' });
});

test('S3 XML: answers escape text; requests parse (repeated elements as lists) and broken XML is MalformedXML', () => {
  assert.equal(xmlDoc('R', [['A', 'x<&>'], ['B', undefined], ['C', [['D', 1]]], ['C', [['D', 2]]]]), '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>x&lt;&amp;&gt;</A><C><D>1</D></C><C><D>2</D></C></R>');
  const p = parseXml(Buffer.from('<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>'));
  assert.deepEqual(p, { root: 'Delete', value: { Object: [{ Key: 'a&b' }] } });
  assert.throws(() => parseXml(Buffer.from('<Delete><Object>')), { code: 'MalformedXML' });
  assert.equal(parseXml(Buffer.from('  ')), undefined);
});

test('S3 part copies: byte ranges of segmented objects map onto their blobs', () => {
  const segs = [{ sha: 'a', size: 10 }, { sha: 'b', size: 10, off: 5 }];
  assert.deepEqual(sliceSegs(segs, 8, 12), [{ sha: 'a', size: 2, off: 8 }, { sha: 'b', size: 3, off: 5 }]);
  assert.deepEqual(sliceSegs(segs, 12, 19), [{ sha: 'b', size: 8, off: 7 }]);
});
