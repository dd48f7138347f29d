// One process per embedded store: the SQLite data dir is locked by a pid file, since a second node on the same file
// would serve from its own caches and hand out the same work twice. (A cluster shares a PostgreSQL store instead.)
import { open, readFile, unlink } from 'node:fs/promises';
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
      throw new StoreOpenError(`the data directory ${dataDir} is in use by another selfless (pid ${holder}); give each node its own --data, and share a --store postgres://… to run several nodes as one region`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new StoreOpenError(`cannot lock the data directory ${dataDir}`);
}
