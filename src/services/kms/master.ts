// The node master key: 32 bytes in a file outside the store (mode 0600, made at first start) that wraps every KMS
// key's material with AES-256-GCM, so that a copy of the database alone reveals no key.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StartupError } from '../../server/service.js';

export class MasterKey {
  private constructor(private readonly key: Buffer, readonly file: string) {}

  /** Reads the key file, or creates it (exclusively, 0600) when absent. */
  static async load(file: string): Promise<MasterKey> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StartupError(`cannot read the KMS master key file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      bytes = randomBytes(32);
      try {
        await mkdir(dirname(file), { recursive: true });
        const h = await open(file, 'wx', 0o600);
        try {
          await h.writeFile(bytes.toString('base64') + '\n');
          await h.sync();
        } finally {
          await h.close();
        }
        await chmod(file, 0o600);
      } catch (x) {
        if ((x as NodeJS.ErrnoException).code === 'EEXIST') return MasterKey.load(file);
        throw new StartupError(`cannot create the KMS master key file ${file} (${(x as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      return new MasterKey(bytes, file);
    }
    const text = bytes.toString('utf8').trim();
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32 || key.toString('base64') !== text) throw new StartupError(`the KMS master key file ${file} does not hold a base64 32-byte key`);
    return new MasterKey(key, file);
  }

  /** Names the key without revealing it: stored beside the wrapped keys to detect a different master key at start. */
  fingerprint(): string {
    return createHash('sha256').update('selfless-kms-master-v1').update(this.key).digest('hex').slice(0, 32);
  }

  wrap(material: Buffer): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(material), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), ct]);
  }

  unwrap(wrapped: Buffer): Buffer {
    const d = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, 12));
    d.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([d.update(wrapped.subarray(28)), d.final()]);
  }
}
