// SNS benchmark: publish → SQS and publish → Lambda, messages per second delivered end to end (publish until the
// last one is received), beside moto_server measured the same way (moto delivers SNS → SQS in-process, synchronously;
// its Lambda needs Docker, so publish → Lambda has no peer figure here).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { removeServer, startServer } from '../test/helpers/server.js';
import { createFunction, lambdaClient } from '../test/helpers/lambda.js';
import { f2, ratio, type Section } from './lib.js';

const MESSAGES = 2000;
const PUBLISHERS = 32;
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

async function startMoto(port: number): Promise<ChildProcess> {
  const p = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return p;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  p.kill();
  throw new Error('moto_server did not start');
}

/** Publishes MESSAGES with PUBLISHERS callers while draining the queue; messages/s until the last one arrived. */
async function snsToSqs(url: string, account: string): Promise<number> {
  const sns = new SNSClient({ endpoint: url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const sqs = new SQSClient({ endpoint: url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  try {
    const arn = (await sns.send(new CreateTopicCommand({ Name: 'bench' }))).TopicArn!;
    const qurl = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-q' }))).QueueUrl!;
    await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:us-east-1:${account}:bench-q` }));
    let received = 0;
    let next = 0;
    const t0 = performance.now();
    const publishers = Array.from({ length: PUBLISHERS }, async () => {
      while (next < MESSAGES) {
        next++;
        await sns.send(new PublishCommand({ TopicArn: arn, Message: `message ${next}` }));
      }
    });
    const receivers = Array.from({ length: 4 }, async () => {
      const deadline = Date.now() + 300_000;
      while (received < MESSAGES && Date.now() < deadline) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: qurl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const ms = r.Messages ?? [];
        received += ms.length;
        if (ms.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: qurl, Entries: ms.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    });
    await Promise.all([...publishers, ...receivers]);
    return received >= MESSAGES ? MESSAGES / ((performance.now() - t0) / 1000) : NaN;
  } finally {
    sns.destroy();
    sqs.destroy();
  }
}

/** Publishes MESSAGES to a topic with one Lambda subscriber that counts into a file; messages/s until all ran. */
async function snsToLambda(url: string, out: string): Promise<number> {
  const sns = new SNSClient({ endpoint: url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const lambda = lambdaClient(url);
  try {
    await createFunction(lambda, 'bench-sns', { 'index.js': `const fs = require('fs'); exports.handler = async (e) => { fs.appendFileSync(${JSON.stringify(out)}, 'x\\n'); return {}; };` });
    const arn = (await sns.send(new CreateTopicCommand({ Name: 'bench-l' }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:bench-sns' }));
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (next < MESSAGES) {
          next++;
          await sns.send(new PublishCommand({ TopicArn: arn, Message: `message ${next}` }));
        }
      }),
    );
    const count = (): number => (existsSync(out) ? readFileSync(out, 'utf8').length / 2 : 0);
    const deadline = Date.now() + 300_000;
    while (count() < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return count() >= MESSAGES ? MESSAGES / ((performance.now() - t0) / 1000) : NaN;
  } finally {
    sns.destroy();
    lambda.destroy();
  }
}

export async function run(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-bench-sns-'));
  const server = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  let sqsRate = NaN;
  let lambdaRate = NaN;
  let motoRate = NaN;
  try {
    sqsRate = await snsToSqs(server.url, '000000000000');
    lambdaRate = await snsToLambda(server.url, join(dir, 'count.txt'));
  } finally {
    await server.stop();
    await removeServer(server);
  }
  const port = 5300 + Math.floor(Math.random() * 500);
  const moto = await startMoto(port).catch(() => undefined);
  if (moto) {
    try {
      motoRate = await snsToSqs(`http://127.0.0.1:${port}`, '123456789012');
    } finally {
      moto.kill();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const markdown = [
    `${MESSAGES} messages published by ${PUBLISHERS} concurrent SDK callers; the rate counts until the last message was received (SQS: 4 receivers, long polls, batch deletes) or ran (Lambda: the function appends a line to a file).`,
    '',
    '| flow | selfless (msg/s) | moto_server (msg/s) | ratio |',
    '|---|---:|---:|---:|',
    `| publish → SQS subscriber (envelope) | ${f2(sqsRate)} | ${f2(motoRate)} | ${ratio(sqsRate, motoRate)} |`,
    `| publish → Lambda subscriber (async invoke) | ${f2(lambdaRate)} | n/a (moto's Lambda needs Docker) | n/a |`,
  ].join('\n');
  return { title: 'SNS', markdown };
}
