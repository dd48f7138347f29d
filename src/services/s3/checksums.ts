// ETags and checksums as S3 computes them: MD5 (multipart: MD5 of the parts' binary MD5s + `-N`), and the flexible
// checksums CRC32, CRC32C, CRC64NVME, SHA1, SHA256 (base64 of the big-endian digest; composite for multipart).
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

export const ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(s: string): s is ChecksumAlgorithm {
  return (ALGORITHMS as readonly string[]).includes(s);
}

/** The header carrying an algorithm's value: `x-amz-checksum-crc32`, … */
export const checksumHeader = (a: ChecksumAlgorithm): string => `x-amz-checksum-${a.toLowerCase()}`;

export interface Digester {
  update(b: Uint8Array): void;
  /** Base64 of the digest. */
  digest(): Promise<string>;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function digester(a: ChecksumAlgorithm): Digester {
  switch (a) {
    case 'CRC32': {
      let v = 0;
      return { update: (b) => void (v = crc32(b, v)), digest: async () => u32(v).toString('base64') };
    }
    case 'CRC32C': {
      const c = new Crc32c();
      return { update: (b) => void c.update(b), digest: async () => u32(c.digest()).toString('base64') };
    }
    case 'CRC64NVME': {
      const c = new Crc64Nvme();
      return { update: (b) => c.update(b), digest: async () => Buffer.from(await c.digest()).toString('base64') };
    }
    case 'SHA1':
    case 'SHA256': {
      const h: Hash = createHash(a === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (b) => void h.update(b), digest: async () => h.digest('base64') };
    }
  }
}

/** A multipart object's composite checksum: the digest of the parts' binary digests, `-N` (CRC64NVME has none). */
export async function compositeChecksum(a: ChecksumAlgorithm, partsBase64: string[]): Promise<string> {
  const d = digester(a);
  for (const p of partsBase64) d.update(Buffer.from(p, 'base64'));
  return `${await d.digest()}-${partsBase64.length}`;
}

/** A multipart object's ETag (without quotes): MD5 of the parts' binary MD5s, `-N`. */
export function multipartEtag(partMd5Hex: string[]): string {
  const h = createHash('md5');
  for (const p of partMd5Hex) h.update(Buffer.from(p, 'hex'));
  return `${h.digest('hex')}-${partMd5Hex.length}`;
}

/** A checksum value's expected length in bytes (base64-decoded), for S3's "Value for x-amz-checksum-… header is invalid." */
export function digestBytes(a: ChecksumAlgorithm): number {
  return a === 'CRC32' || a === 'CRC32C' ? 4 : a === 'CRC64NVME' ? 8 : a === 'SHA1' ? 20 : 32;
}
