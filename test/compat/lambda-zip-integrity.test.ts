// Compatibility: broken zips are refused by CreateFunction, UpdateFunctionCode and PublishLayerVersion with AWS's
// error; a function's errors and logs show Lambda's paths (/var/task, /var/runtime), never the server's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { liveServer } from '../helpers/server.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';

const server = liveServer();
const AWS_MESSAGE = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

function build(add: (z: yazl.ZipFile) => void): Promise<Buffer> {
  const z = new yazl.ZipFile();
  add(z);
  z.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function broken(): Promise<Record<string, Buffer>> {
  const code = 'exports.handler = async () => 1;';
  const badCrc = await build((z) => z.addBuffer(Buffer.from(code), 'index.js', { compress: false }));
  badCrc[badCrc.indexOf('exports')] = 0x45;
  const lying = await build((z) => z.addBuffer(Buffer.from(code), 'index.js', { compress: false }));
  const cd = lying.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  lying.writeUInt32LE(4, 22);
  lying.writeUInt32LE(4, cd + 24);
  return {
    'bad CRC': badCrc,
    'sizes that lie': lying,
    empty: await build(() => undefined),
    'only a directory': await build((z) => z.addEmptyDirectory('lib/')),
  };
}

const refused = (e: unknown): boolean => {
  const x = e as { name: string; message: string; $metadata: { httpStatusCode: number } };
  assert.equal(x.name, 'InvalidParameterValueException');
  assert.equal(x.message, AWS_MESSAGE);
  assert.equal(x.$metadata.httpStatusCode, 400);
  return true;
};

test('Zips: bad CRC, lying sizes, an empty archive or only a directory are refused by CreateFunction, UpdateFunctionCode and PublishLayerVersion', async () => {
  const lambda = lambdaClient(server().url);
  await createFunction(lambda, 'zip-ok', { 'index.js': 'exports.handler = async () => 1;' });
  for (const [what, zip] of Object.entries(await broken())) {
    await assert.rejects(lambda.send(new CreateFunctionCommand({ FunctionName: `zip-${what.replace(/\W/g, '')}`, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip } })), refused, what);
    await assert.rejects(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'zip-ok', ZipFile: zip })), refused, what);
    await assert.rejects(lambda.send(new PublishLayerVersionCommand({ LayerName: 'zip-layer', Content: { ZipFile: zip } })), refused, what);
  }
});

test('Zips: the error of a function that throws, and its log, name /var/task and /var/runtime, not the server\'s directories', async () => {
  const lambda = lambdaClient(server().url);
  await createFunction(lambda, 'zip-throws', { 'index.js': 'exports.handler = async () => { null.x; };' });
  await createFunction(lambda, 'zip-missing', { 'other.js': 'module.exports = 1;' });
  for (const name of ['zip-throws', 'zip-missing']) {
    const r = await lambda.send(new InvokeCommand({ FunctionName: name, LogType: 'Tail' }));
    assert.equal(r.FunctionError, 'Unhandled');
    const text = `${Buffer.from(r.Payload!).toString()}\n${Buffer.from(r.LogResult ?? '', 'base64').toString()}`;
    assert.doesNotMatch(text, /\/(?:tmp|work|home|root)\/|blobs\/code|dist\/src/, text);
    if (name === 'zip-throws') assert.match(text, /\/var\/task\/index\.js/);
  }
});
