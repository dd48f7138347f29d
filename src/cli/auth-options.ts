// `selfless start`'s auth options: the mode (dev on loopback, enforce elsewhere) and the account root's key, which is
// never the well-known test/test off loopback (one is generated and stored in the data dir instead).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { StartupError } from '../app.js';
import { DEFAULT_ROOT_KEY, type AuthMode, type RootKey } from '../server/auth.js';
import { str, type Parsed } from './options.js';

export const ROOT_KEY_FILE = 'root-key.json';

/** Only this machine can reach a loopback listener. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key id shaped as AWS's (`AKIA` + 16 characters) and a 40-character secret. */
export function generateRootKey(): RootKey {
  const id = [...randomBytes(16)].map((b) => ALNUM[b % 32]).join('');
  const secret = randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: secret };
}

async function storedKey(dataDir: string, print: (s: string) => void): Promise<RootKey> {
  const file = join(resolve(dataDir), ROOT_KEY_FILE);
  try {
    const k = JSON.parse(await readFile(file, 'utf8')) as Partial<RootKey>;
    if (typeof k.accessKeyId === 'string' && typeof k.secretAccessKey === 'string') return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
    throw new StartupError(`${file} is not a root key file ({"accessKeyId": …, "secretAccessKey": …}); fix or remove it`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof StartupError) throw e;
      throw new StartupError(`cannot read the root key file ${file}: ${(e as Error).message}`);
    }
  }
  const key = generateRootKey();
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(file, `${JSON.stringify(key)}\n`, { mode: 0o600, flag: 'wx' });
  // Shown this once; afterwards it is only in the file (mode 0600).
  print(
    `selfless: generated the root key of this node (stored in ${file}, shown only now):\n` +
      `  AWS_ACCESS_KEY_ID=${key.accessKeyId}\n  AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}\n`,
  );
  return key;
}

export async function authOptions(p: Parsed, host: string, dataDir: string, print: (s: string) => void): Promise<{ mode: AuthMode; rootKey: RootKey }> {
  const loopback = isLoopback(host);
  const mode = str(p, 'auth', 'SELFLESS_AUTH', loopback ? 'dev' : 'enforce');
  if (mode !== 'dev' && mode !== 'enforce') throw new StartupError(`--auth must be dev or enforce (got '${mode}')`);
  const accessKeyId = str(p, 'root-access-key', 'SELFLESS_ROOT_ACCESS_KEY', '');
  const secretAccessKey = str(p, 'root-secret-key', 'SELFLESS_ROOT_SECRET_KEY', '');
  if ((accessKeyId === '') !== (secretAccessKey === '')) {
    throw new StartupError('--root-access-key and --root-secret-key (SELFLESS_ROOT_ACCESS_KEY / SELFLESS_ROOT_SECRET_KEY) go together: set both or neither');
  }
  let rootKey: RootKey;
  if (accessKeyId !== '') rootKey = { accessKeyId, secretAccessKey };
  else if (loopback) rootKey = DEFAULT_ROOT_KEY;
  else rootKey = await storedKey(dataDir, print);
  if (!loopback && rootKey.accessKeyId === DEFAULT_ROOT_KEY.accessKeyId && rootKey.secretAccessKey === DEFAULT_ROOT_KEY.secretAccessKey) {
    throw new StartupError(
      `refusing to listen on ${host} with the well-known root key test/test: anyone who can reach this address could use it. ` +
        `Set a key of your own with --root-access-key and --root-secret-key (or SELFLESS_ROOT_ACCESS_KEY and SELFLESS_ROOT_SECRET_KEY), ` +
        `or set neither to have one generated and stored in ${join(resolve(dataDir), ROOT_KEY_FILE)}`,
    );
  }
  return { mode, rootKey };
}
