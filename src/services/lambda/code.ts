// Code packages: base64 decoding, zip checks (sizes, CRCs, at least one file, zip slip, symlinks leaving the
// package), and one unpacking per hash.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { mkdir, rename, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import yauzl from 'yauzl';
import { AwsError } from '../../lib/errors.js';
import { hex } from '../../lib/ids.js';
import type { BlobStore } from '../../store/store.js';

export const MAX_ZIPPED = 52_428_800;
export const MAX_UNZIPPED = 262_144_000;

export interface CodePackage {
  shaHex: string;
  /** base64 of the SHA-256, as Lambda reports `CodeSha256`. */
  sha256: string;
  size: number;
  unzippedSize: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeZipField(value: unknown, field = 'ZipFile'): Buffer {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Could not decode base64 value of field ${field}`);
  }
  return Buffer.from(value, 'base64');
}

/** AWS's answer for a package it cannot unpack; the detail (entries escaping the package) is selfless's addition. */
function unzipError(detail?: string): AwsError {
  const base = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
  return new AwsError('InvalidParameterValueException', detail ? `${base} (${detail})` : base);
}

interface Entry {
  name: string;
  dir: boolean;
  link: boolean;
  mode: number;
  entry: yauzl.Entry;
}

function openZip(buf: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true }, (err, zf) => (err || !zf ? rej(err) : res(zf))),
  );
}

function listEntries(zf: yauzl.ZipFile): Promise<Entry[]> {
  return new Promise((res, rej) => {
    const out: Entry[] = [];
    zf.on('entry', (e: yauzl.Entry) => {
      const unixMode = (e.externalFileAttributes >>> 16) & 0xffff;
      const type = unixMode & 0o170000;
      out.push({ name: e.fileName, dir: e.fileName.endsWith('/') || type === 0o040000, link: type === 0o120000, mode: unixMode & 0o777, entry: e });
      zf.readEntry();
    });
    zf.on('end', () => res(out));
    zf.on('error', rej);
    zf.readEntry();
  });
}

/** An entry's bytes, checked against the sizes (yauzl's validateEntrySizes) and the CRC-32 its headers declare. */
function readEntry(zf: yauzl.ZipFile, e: yauzl.Entry): Promise<Buffer> {
  return new Promise<Buffer>((res, rej) =>
    zf.openReadStream(e, (err, s) => {
      if (err || !s) return rej(err ?? new Error('no stream'));
      const chunks: Buffer[] = [];
      let crc = 0;
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        crc = crc32(c, crc);
      });
      s.on('end', () => (crc >>> 0 === e.crc32 >>> 0 ? res(Buffer.concat(chunks)) : rej(new Error(`CRC-32 mismatch in '${e.fileName}'`))));
      s.on('error', rej);
    }),
  ).catch(() => {
    // Sizes or CRC other than declared, or a stream that does not inflate: AWS's plain answer.
    throw unzipError();
  });
}

/** Checks a zip as Lambda does before accepting it; returns its entries. Throws AWS's error naming the problem. */
async function inspect(buf: Buffer): Promise<{ zf: yauzl.ZipFile; entries: Entry[]; unzipped: number }> {
  let zf: yauzl.ZipFile;
  let entries: Entry[];
  try {
    zf = await openZip(buf);
    entries = await listEntries(zf);
  } catch {
    throw unzipError();
  }
  // An empty archive, or one of directories only, has nothing to run: AWS cannot unzip it either.
  if (!entries.some((e) => !e.dir)) throw unzipError();
  let unzipped = 0;
  for (const e of entries) {
    unzipped += e.entry.uncompressedSize;
    const n = normalize(e.name);
    if (isAbsolute(e.name) || n.startsWith(`..${sep}`) || n === '..') throw unzipError(`entry '${e.name}' is outside the package`);
  }
  if (unzipped > MAX_UNZIPPED) {
    throw new AwsError('InvalidParameterValueException', `Unzipped size must be smaller than ${MAX_UNZIPPED} bytes`);
  }
  return { zf, entries, unzipped };
}

/** Validates and stores a zip (content-addressed) and unpacks it once; returns its identity. */
export async function storeZip(blobs: BlobStore, buf: Buffer): Promise<CodePackage> {
  if (buf.length > MAX_ZIPPED) {
    throw new AwsError('RequestEntityTooLargeException', `Zipped size must be smaller than ${MAX_ZIPPED} bytes`);
  }
  const { zf, entries, unzipped } = await inspect(buf);
  const digest = createHash('sha256').update(buf).digest();
  const shaHex = digest.toString('hex');
  const dir = blobs.derivedDir('code', shaHex);
  // Unpacking reads every entry and checks its sizes and CRC, so a package is accepted only once it unpacked whole;
  // an unpacked directory of this hash means these very bytes passed before.
  if (!(await exists(dir))) await unpack(zf, entries, dir);
  else zf.close();
  await blobs.put(buf);
  return { shaHex, sha256: digest.toString('base64'), size: buf.length, unzippedSize: unzipped };
}

/** The directory holding the unpacked code of a stored zip, unpacking it again if it was lost. */
export async function codeDir(blobs: BlobStore, shaHex: string): Promise<string> {
  const dir = blobs.derivedDir('code', shaHex);
  if (await exists(dir)) return dir;
  const { zf, entries } = await inspect(await blobs.read(shaHex));
  await unpack(zf, entries, dir);
  return dir;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Moves a finished temp dir into place; if another request built the same content-addressed dir first, keeps theirs. */
export async function renameIntoPlace(tmp: string, dir: string): Promise<void> {
  await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') await rm(tmp, { recursive: true, force: true });
    else throw err;
  });
}

/** Unpacks into a temp dir then renames it into place, so a crash never leaves a half-unpacked package in use. */
async function unpack(zf: yauzl.ZipFile, entries: Entry[], dir: string): Promise<void> {
  const tmp = `${dir}.${hex(6)}.tmp`;
  await mkdir(tmp, { recursive: true });
  const root = resolve(tmp);
  try {
    for (const e of entries) {
      const target = resolve(root, e.name);
      if (target !== root && !target.startsWith(root + sep)) throw unzipError(`entry '${e.name}' is outside the package`);
      if (e.dir) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const data = await readEntry(zf, e.entry);
      if (e.link) {
        const linkTarget = data.toString('utf8');
        const resolved = resolve(dirname(target), linkTarget);
        if (isAbsolute(linkTarget) || (resolved !== root && !resolved.startsWith(root + sep))) {
          throw unzipError(`symbolic link '${e.name}' points outside the package`);
        }
        await symlink(linkTarget, target);
        continue;
      }
      await writeFile(target, data);
      await chmod(target, e.mode & 0o111 ? 0o755 : 0o644);
    }
    await mkdir(dirname(dir), { recursive: true });
    await renameIntoPlace(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    zf.close();
  }
}

