// Unit tests: a package is accepted only if it unpacks whole: CRCs and sizes as declared, at least one file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeZip } from '../../src/services/lambda/code.js';
import { DiskBlobStore } from '../../src/store/blobs.js';
import { AwsError } from '../../src/lib/errors.js';
import { zipWith as build } from '../helpers/zip.js';

const AWS_MESSAGE = 'Could not unzip uploaded file. Please check your file, then try to upload again.';


/** A zip of one stored (uncompressed) file, so that its bytes can be altered in place. */
const stored = (content: string): Promise<Buffer> => build((z) => z.addBuffer(Buffer.from(content), 'index.js', { compress: false, mtime: new Date(2024, 0, 1) }));

const fresh = (): { blobs: DiskBlobStore; dir: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-zip-'));
  return { blobs: new DiskBlobStore(dir), dir };
};

async function refused(buf: Buffer): Promise<void> {
  const { blobs, dir } = fresh();
  await assert.rejects(storeZip(blobs, buf), (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValueException' && e.message === AWS_MESSAGE && e.status === 400);
  // Nothing half-unpacked is left behind under the blob store.
  const leftovers = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.js'));
  assert.deepEqual(leftovers, []);
}

test('Zip integrity: an entry whose bytes do not match its CRC-32 is refused with AWS\'s message', async () => {
  const buf = await stored('exports.handler = async () => 1;');
  const at = buf.indexOf('exports.handler');
  buf[at] = 'E'.charCodeAt(0);
  await refused(buf);
});

test('Zip integrity: an entry longer than the size its headers declare is refused (not a 500)', async () => {
  const content = 'exports.handler = async () => 1;';
  const buf = await stored(content);
  // Declared uncompressed and compressed sizes: local header at 18/22, central directory entry at 20/24.
  const cd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  buf.writeUInt32LE(4, 22);
  buf.writeUInt32LE(4, cd + 24);
  await refused(buf);
});

test('Zip integrity: an empty archive and one holding only a directory are refused', async () => {
  await refused(await build(() => undefined));
  await refused(await build((z) => z.addEmptyDirectory('lib/', { mtime: new Date(2024, 0, 1) })));
});

test('Zip integrity: a sound archive with a directory and a file is accepted', async () => {
  const { blobs } = fresh();
  const buf = await build((z) => {
    z.addEmptyDirectory('lib/', { mtime: new Date(2024, 0, 1) });
    z.addBuffer(Buffer.from('module.exports = 1;'), 'lib/a.js', { mtime: new Date(2024, 0, 1) });
  });
  const pkg = await storeZip(blobs, buf);
  assert.equal(pkg.size, buf.length);
  assert.equal(pkg.unzippedSize, 'module.exports = 1;'.length);
});
