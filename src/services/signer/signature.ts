// selfless's own code-package signature: an ECDSA P-384 / SHA-384 signature over the unsigned zip's SHA-256 and the
// signing facts, carried in the zip's end-of-central-directory comment (AWS Signer embeds its own format; this is not it).
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

/** The comment of a signed package starts with this; the rest is base64 of the JSON envelope. */
const MARK = 'SELFLESS-SIGNATURE/1 ';
const EOCD = 0x06054b50;
const EOCD_SIZE = 22;

/** What a signature states, besides the signature bytes. */
export interface SignedFacts {
  profileVersionArn: string;
  jobArn: string;
  /** Epoch milliseconds. */
  signedAt: number;
  expiresAt: number;
}

interface Envelope extends SignedFacts {
  sig: string;
}

/** Where a zip's end-of-central-directory record starts, or -1 when the bytes are not a zip. */
function eocdOffset(zip: Buffer): number {
  const min = Math.max(0, zip.length - EOCD_SIZE - 0xffff);
  for (let i = zip.length - EOCD_SIZE; i >= min; i--) {
    if (zip.readUInt32LE(i) === EOCD && i + EOCD_SIZE + zip.readUInt16LE(i + 20) === zip.length) return i;
  }
  return -1;
}

/** The zip with its archive comment removed: the bytes a signature covers. Undefined when `zip` is not a zip. */
export function unsignedBytes(zip: Buffer): Buffer | undefined {
  const at = eocdOffset(zip);
  if (at < 0) return undefined;
  const out = Buffer.from(zip.subarray(0, at + EOCD_SIZE));
  out.writeUInt16LE(0, at + 20);
  return out;
}

function payload(digestHex: string, f: SignedFacts): Buffer {
  return Buffer.from(['selfless-signer/1', digestHex, f.profileVersionArn, f.jobArn, String(f.signedAt), String(f.expiresAt)].join('\n'));
}

/** Signs a zip: the result is the zip with the signature as its archive comment (any previous comment is replaced). */
export function signZip(zip: Buffer, facts: SignedFacts, privateKeyDer: Buffer): Buffer | undefined {
  const base = unsignedBytes(zip);
  if (!base) return undefined;
  const digest = createHash('sha256').update(base).digest('hex');
  const key = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
  const sig = sign('sha384', payload(digest, facts), key).toString('base64');
  const comment = Buffer.from(MARK + Buffer.from(JSON.stringify({ ...facts, sig } satisfies Envelope)).toString('base64'));
  const out = Buffer.concat([base, comment]);
  out.writeUInt16LE(comment.length, base.length - 2);
  return out;
}

/** The signature a zip carries, if its comment is one (undefined: unsigned, or not a zip). */
export function readSignature(zip: Buffer): (SignedFacts & { sig: Buffer }) | undefined {
  const at = eocdOffset(zip);
  if (at < 0) return undefined;
  const comment = zip.subarray(at + EOCD_SIZE).toString('latin1');
  if (!comment.startsWith(MARK)) return undefined;
  try {
    const e = JSON.parse(Buffer.from(comment.slice(MARK.length), 'base64').toString('utf8')) as Partial<Envelope>;
    if (typeof e.profileVersionArn !== 'string' || typeof e.jobArn !== 'string' || typeof e.signedAt !== 'number' || typeof e.expiresAt !== 'number' || typeof e.sig !== 'string') {
      return { profileVersionArn: '', jobArn: '', signedAt: 0, expiresAt: 0, sig: Buffer.alloc(0) };
    }
    return { profileVersionArn: e.profileVersionArn, jobArn: e.jobArn, signedAt: e.signedAt, expiresAt: e.expiresAt, sig: Buffer.from(e.sig, 'base64') };
  } catch {
    // A comment that claims to be a signature but does not parse fails the integrity check.
    return { profileVersionArn: '', jobArn: '', signedAt: 0, expiresAt: 0, sig: Buffer.alloc(0) };
  }
}

/** Whether the signature matches these bytes and facts under the profile version's public key. */
export function signatureHolds(zip: Buffer, s: SignedFacts & { sig: Buffer }, publicKeyDer: Buffer): boolean {
  const base = unsignedBytes(zip);
  if (!base || s.sig.length === 0) return false;
  const digest = createHash('sha256').update(base).digest('hex');
  try {
    return verify('sha384', payload(digest, s), createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' }), s.sig);
  } catch {
    return false;
  }
}
