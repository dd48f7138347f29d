// Content-addressed blobs on local disk: `<dir>/<aa>/<sha256hex>`, written via temp file + fsync + rename.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from './store.js';
import { hex } from '../lib/ids.js';
import { DiskObjectBlobs } from './object-blobs.js';

export class DiskBlobStore implements BlobStore {
  readonly objects: DiskObjectBlobs;
  constructor(private readonly dir: string) {
    this.objects = new DiskObjectBlobs(join(dir, 'objects'));
  }

  async localPath(sha: string): Promise<string> {
    return this.path(sha);
  }

  path(sha: string): string {
    return join(this.dir, 'sha256', sha.slice(0, 2), sha);
  }

  derivedDir(kind: string, sha: string): string {
    return join(this.dir, kind, sha.slice(0, 2), sha);
  }

  async has(sha: string): Promise<boolean> {
    try {
      await stat(this.path(sha));
      return true;
    } catch {
      return false;
    }
  }

  async read(sha: string): Promise<Buffer> {
    return readFile(this.path(sha));
  }

  async put(data: Buffer): Promise<string> {
    const sha = createHash('sha256').update(data).digest('hex');
    if (await this.has(sha)) return sha;
    const final = this.path(sha);
    const parent = join(final, '..');
    await mkdir(parent, { recursive: true });
    const tmp = `${final}.${hex(6)}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      // A full volume (ENOSPC) leaves no partial temp file behind.
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    try {
      await rename(tmp, final);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    const dh = await open(parent, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    return sha;
  }
}
