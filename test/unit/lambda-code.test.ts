// Unit tests: code packages are checked as Lambda checks them before anything is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { decodeZipField, storeZip } from '../../src/services/lambda/code.js';
import { DiskBlobStore } from '../../src/store/blobs.js';
import { AwsError } from '../../src/lib/errors.js';
import { zip, zipWithRawName } from '../helpers/zip.js';

const blobs = (): DiskBlobStore => new DiskBlobStore(mkdtempSync(join(tmpdir(), 'blobs-')));
const rejects = async (p: Promise<unknown>, code: string, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof AwsError && e.code === code && re.test(e.message));
};

test('Code: a valid zip is stored by SHA-256, unpacked once, and keeps executable bits', async () => {
  const b = blobs();
  const buf = await zip([
    { name: 'index.js', content: 'exports.handler = 1' },
    { name: 'bootstrap', content: '#!/bin/sh\n', mode: 0o100755 },
    { name: 'lib/a.txt', content: 'a' },
  ]);
  const pkg = await storeZip(b, buf);
  assert.equal(pkg.size, buf.length);
  assert.match(pkg.sha256, /^[A-Za-z0-9+/]{43}=$/);
  assert.deepEqual(readFileSync(b.path(pkg.shaHex)), buf);
  const dir = b.derivedDir('code', pkg.shaHex);
  assert.deepEqual(readdirSync(dir).sort(), ['bootstrap', 'index.js', 'lib']);
  const { statSync } = await import('node:fs');
  assert.ok(statSync(join(dir, 'bootstrap')).mode & 0o100);
  const again = await storeZip(b, buf);
  assert.equal(again.shaHex, pkg.shaHex);
});

test('Code: malformed base64 is InvalidRequestContentException', () => {
  assert.throws(() => decodeZipField('not base64!'), (e: unknown) => e instanceof AwsError && e.code === 'InvalidRequestContentException');
});

test('Code: a file that is not a zip is refused with "Could not unzip uploaded file"', async () => {
  await rejects(storeZip(blobs(), Buffer.from('hello, not a zip')), 'InvalidParameterValueException', /Could not unzip uploaded file/);
});

test('Code: zip entries that climb out of the package (zip slip) or are absolute are refused, nothing is written', async () => {
  const b = blobs();
  await rejects(storeZip(b, await zipWithRawName('../evil.js', 'x')), 'InvalidParameterValueException', /Could not unzip uploaded file/);
  await rejects(storeZip(b, await zipWithRawName('/etc/evil', 'x')), 'InvalidParameterValueException', /Could not unzip uploaded file/);
  assert.equal(existsSync(join(b.path('00'), '..', '..')), false);
});

test('Code: symlinks pointing outside the package are refused; links inside are kept', async () => {
  const b = blobs();
  const outside = await zip([{ name: 'link', content: '../../../etc/passwd', mode: 0o120777 }]);
  await rejects(storeZip(b, outside), 'InvalidParameterValueException', /points outside the package/);
  const absolute = await zip([{ name: 'link', content: '/etc/passwd', mode: 0o120777 }]);
  await rejects(storeZip(b, absolute), 'InvalidParameterValueException', /points outside the package/);
  const inside = await zip([
    { name: 'real.js', content: 'x' },
    { name: 'alias.js', content: 'real.js', mode: 0o120777 },
  ]);
  const pkg = await storeZip(b, inside);
  assert.equal(readFileSync(join(b.derivedDir('code', pkg.shaHex), 'alias.js'), 'utf8'), 'x');
});

test('Code: packages over 250 MB unzipped are refused before anything is unpacked', async () => {
  // A hand-made zip whose single deflated entry expands to 251 MB of zeros (small on the wire).
  const size = 251 * 1024 * 1024;
  const data = deflateRawSync(Buffer.alloc(size), { level: 9 });
  const name = Buffer.from('big.bin');
  const crc = crc32Zeros(size);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  const buf = Buffer.concat([local, name, data, central, name, end]);
  await rejects(storeZip(blobs(), buf), 'InvalidParameterValueException', /Unzipped size must be smaller than 262144000 bytes/);
});

function crc32Zeros(n: number): number {
  let table: number[] = [];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table.push(c >>> 0);
  }
  let crc = 0xffffffff;
  for (let i = 0; i < n; i++) crc = table[(crc ^ 0) & 0xff]! ^ (crc >>> 8);
  table = [];
  return (crc ^ 0xffffffff) >>> 0;
}
