// Message signatures: an RSA key and a self-signed X.509 certificate made at first start and kept in the store (shared
// by the nodes of a cluster), served at the SigningCertURL; SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA)
// over AWS's canonical string of the message.
import { createHash, createPrivateKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Store } from '../../store/store.js';

const generate = promisify(generateKeyPair);

// A minimal DER writer: enough for one certificate.
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => der(0x31, Buffer.concat(parts));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const v of rest) {
    const chunk: number[] = [];
    let x = v;
    do {
      chunk.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
const integer = (b: Buffer): Buffer => der(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const utcTime = (d: Date): Buffer => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const bitString = (b: Buffer): Buffer => der(0x03, Buffer.concat([Buffer.from([0]), b]));
const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), der(0x05, Buffer.alloc(0)));

/** A self-signed certificate (SHA256withRSA) for the key, valid for ten years from `now`. */
export function selfSignedCert(key: KeyObject, publicDer: Buffer, commonName: string, now: number, serial: Buffer): string {
  const name = seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_RSA,
    name,
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 10 * 365 * 86_400_000))),
    name,
    publicDer,
  );
  const cert = seq(tbs, SHA256_RSA, bitString(sign('sha256', tbs, key)));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** The fields of a message that its signature covers, in AWS's order. */
export interface Signable {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

/** AWS's canonical string: `Name\nvalue\n` for each signed field present, in its fixed order. */
export function canonicalString(m: Signable): string {
  const names: (keyof Signable)[] =
    m.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let out = '';
  for (const n of names) {
    const v = m[n];
    if (v !== undefined) out += `${n}\n${v}\n`;
  }
  return out;
}

export class Signer {
  private constructor(
    private readonly key: KeyObject,
    readonly certPem: string,
    /** The certificate's file name as AWS names it: SimpleNotificationService-<hex>.pem. */
    readonly certFile: string,
  ) {}

  /** The node's key: made (and stored) by the first node to start, read by every later start. */
  static async load(store: Store, now: number): Promise<Signer> {
    let row = await store.get<{ key_pem: string; cert_pem: string }>('SELECT key_pem, cert_pem FROM sns_keys WHERE id = ?', ['signing']);
    if (!row) {
      const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
      const cert = selfSignedCert(privateKey, publicKey.export({ type: 'spki', format: 'der' }), 'sns.amazonaws.com', now, createHash('sha256').update(String(now)).digest().subarray(0, 8));
      const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      await store.run('INSERT INTO sns_keys (id, key_pem, cert_pem) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', ['signing', keyPem, cert]);
      row = await store.get<{ key_pem: string; cert_pem: string }>('SELECT key_pem, cert_pem FROM sns_keys WHERE id = ?', ['signing']);
    }
    const cert = row!.cert_pem;
    const file = `SimpleNotificationService-${createHash('sha256').update(cert).digest('hex').slice(0, 32)}.pem`;
    return new Signer(createPrivateKey(row!.key_pem), cert, file);
  }

  /** The base64 signature of the message: version '1' SHA1withRSA, '2' SHA256withRSA. */
  sign(m: Signable, version: string): string {
    return sign(version === '2' ? 'sha256' : 'sha1', Buffer.from(canonicalString(m), 'utf8'), this.key).toString('base64');
  }
}
