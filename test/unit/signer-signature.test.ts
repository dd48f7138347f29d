// Signer's signatures without a server: a signed zip stays a zip, any changed byte fails integrity, a foreign or
// missing signature is told apart, and a signature expires after the profile's validity period on the injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { expiryOf, SignerData } from '../../src/services/signer/profiles.js';
import { readSignature, signZip, unsignedBytes } from '../../src/services/signer/signature.js';
import type { KmsApi } from '../../src/services/kms/index.js';
import { zip } from '../helpers/zip.js';

/** A KMS double that seals by XOR with a fixed byte and checks the context, enough for the profiles' key handling. */
function kmsDouble(): KmsApi {
  const seal = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    keyArn: async () => 'arn:aws:kms:us-east-1:000000000000:key/test',
    awsManagedKey: async () => 'arn:aws:kms:us-east-1:000000000000:key/test',
    encrypt: async (_r, keyArn, plaintext, context) => ({ blob: Buffer.concat([Buffer.from(JSON.stringify(context ?? {}) + '\n'), seal(plaintext)]), keyArn }),
    decrypt: async (_r, blob, context) => {
      const nl = blob.indexOf('\n');
      assert.equal(blob.subarray(0, nl).toString(), JSON.stringify(context ?? {}), 'the encryption context binds the key to its version');
      return { plaintext: seal(blob.subarray(nl + 1)), keyArn: 'arn:aws:kms:us-east-1:000000000000:key/test' };
    },
    keyPolicy: async () => undefined,
  };
}

test('Signer: a signed package is the zip plus its signature; changed bytes fail integrity; an expired signature is reported on the fake clock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signer-unit-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  try {
    const data = new SignerData(store, clock, kmsDouble(), '000000000000');
    await data.init();
    await data.put('us-east-1', { name: 'unit', platformId: 'AWSLambda-SHA384-ECDSA', validity: { value: 1, type: 'DAYS' }, tags: {} });
    const key = await data.signingKey('us-east-1', 'unit');
    const code = await zip({ 'index.js': 'exports.handler = async () => 1;' });
    const now = clock.now();
    const facts = { profileVersionArn: key.versionArn, jobArn: data.jobArn('us-east-1', 'job-1'), signedAt: now, expiresAt: expiryOf(now, 1, 'DAYS') };
    const signed = signZip(code, facts, key.privateKeyDer)!;
    assert.deepEqual(unsignedBytes(signed), code, 'the signature covers the zip without its comment: the bytes as zipped');
    assert.equal(readSignature(signed)?.profileVersionArn, key.versionArn);
    assert.deepEqual(await data.inspect(code), { signed: false });

    const ok = await data.inspect(signed);
    assert.deepEqual(ok, { signed: true, known: true, intact: true, profileVersionArn: key.versionArn, jobArn: facts.jobArn, expired: false, revoked: false });
    const resigned = signZip(signed, { ...facts, jobArn: data.jobArn('us-east-1', 'job-2') }, key.privateKeyDer)!;
    assert.equal(readSignature(resigned)?.jobArn, data.jobArn('us-east-1', 'job-2'), 'signing again replaces the comment');

    for (const at of [0, Math.floor(code.length / 2), code.length - 3]) {
      const t = Buffer.from(signed);
      t[at] = t[at]! ^ 1;
      assert.equal(((await data.inspect(t)) as { intact?: boolean }).intact, false, `byte ${at} changed`);
    }
    // The facts are signed too: an envelope with a later expiry but the same signature fails integrity.
    const comment = signed.subarray(code.length).toString('latin1');
    const mark = 'SELFLESS-SIGNATURE/1 ';
    const envelope = JSON.parse(Buffer.from(comment.slice(mark.length), 'base64').toString('utf8')) as { expiresAt: number };
    const forgedComment = Buffer.from(mark + Buffer.from(JSON.stringify({ ...envelope, expiresAt: envelope.expiresAt + 1e9 })).toString('base64'));
    const forged = Buffer.concat([code, forgedComment]);
    forged.writeUInt16LE(forgedComment.length, code.length - 2);
    assert.equal(readSignature(forged)?.expiresAt, envelope.expiresAt + 1e9);
    assert.equal(((await data.inspect(forged)) as { intact?: boolean }).intact, false);
    const foreign = signZip(code, { ...facts, profileVersionArn: 'arn:aws:signer:us-east-1:111111111111:/signing-profiles/other/ABCDEFGHIJ' }, key.privateKeyDer)!;
    assert.deepEqual(await data.inspect(foreign), { signed: true, known: false, profileVersionArn: 'arn:aws:signer:us-east-1:111111111111:/signing-profiles/other/ABCDEFGHIJ' });
    assert.equal(signZip(Buffer.from('not a zip at all'), facts, key.privateKeyDer), undefined);

    clock.advance(2 * 86_400_000);
    assert.equal(((await data.inspect(signed)) as { expired?: boolean }).expired, true);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
