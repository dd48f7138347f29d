// One process per data dir, locked by a pid file: a second process on the same SQLite file would serve from its own
// caches and hand out the same work twice, and two nodes of a cluster sharing a data dir would share an identity.
// The node's identity (the owner of its claims and leases) is kept in the data dir, so that a node restarted after
// a crash takes its own claims and leases back at once instead of waiting for them to lapse.
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { hex } from '../lib/ids.js';
import { join } from 'node:path';
import { StoreOpenError } from './schema.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir's lock (a stale one, of a process that is gone, is taken over); returns its release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'selfless.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new StoreOpenError(`the data directory ${dataDir} is in use by another selfless (pid ${holder}); give each node its own --data (and share a --store postgres://… to run several nodes as one region)`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new StoreOpenError(`cannot lock the data directory ${dataDir}`);
}

/** This data dir's node id: made once, then read back at every start. */
export async function nodeIdentity(dataDir: string): Promise<string> {
  const path = join(dataDir, 'node-id');
  const known = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{16}$/.test(known)) return known;
  const id = hex(8);
  await writeFile(path, `${id}\n`);
  return id;
}
