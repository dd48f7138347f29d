// SQS wire operations over the domain: JSON protocol (`AmazonSQS.*`) handlers, shared by the query protocol.
import { randomUUID } from 'node:crypto';
import { AwsError, toAwsError } from '../../lib/errors.js';
import type { ApiRequest, ServiceRoutes } from '../../server/types.js';
import { md5OfAttributes } from './md5.js';
import type { Msg } from './messages.js';
import { queryRoute } from './query.js';
import { attrStrings, checkQueueName, parseQueueUrl, QUEUE_ATTRIBUTE_NAMES } from './queues.js';
import { makeReceiptHandle, systemAttributes, type Queue, type SqsService } from './service.js';
import { checkBatch, intParam } from './validate.js';

export type Input = Record<string, unknown>;
export interface Ctx {
  region: string;
  baseUrl: string;
  /** The request path (the query protocol may address a queue by posting to its URL). */
  path: string;
  signal: AbortSignal;
  /** The request's X-Amzn-Trace-Id (SQS keeps it with sent messages as AWSTraceHeader). */
  traceHeader?: string;
}
export type Op = (s: SqsService, input: Input, ctx: Ctx) => Promise<Record<string, unknown>>;

const missing = (name: string): AwsError => new AwsError('MissingParameter', `The request must contain the parameter ${name}.`);
const str = (v: unknown, name: string): string => {
  if (v === undefined || v === null) throw missing(name);
  if (typeof v !== 'string') throw new AwsError('InvalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a string.`);
  // A message body has its own check of characters (InvalidMessageContents); no other parameter may hold U+0000.
  if (name !== 'MessageBody' && v.includes('\u0000')) throw invalidChars(name);
  return v;
};
const invalidChars = (name: string): AwsError =>
  new AwsError('InvalidParameterValue', `Value for parameter ${name} is invalid. Reason: Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`);
const strMap = (v: unknown, name: string): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AwsError('InvalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a map.`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>; // keys such as __proto__ are plain keys here
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = typeof x === 'string' ? x : String(x);
    if (k.includes('\u0000') || out[k]!.includes('\u0000')) throw invalidChars(name);
  }
  return out;
};
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

async function queueOf(s: SqsService, input: Input, ctx: Ctx): Promise<Queue> {
  let url = input['QueueUrl'];
  if ((url === undefined || url === '') && /^\/\d{12}\/[\w.-]+\/?$/.test(ctx.path)) url = `${ctx.baseUrl}${ctx.path}`;
  const u = parseQueueUrl(str(url, 'QueueUrl'));
  if (!u) throw new AwsError('InvalidAddress', `The address ${String(url)} is not valid for this endpoint.`);
  return s.require(u.region ?? ctx.region, u.name, u.accountId);
}

const SYSTEM_NAMES = new Set(['All', 'SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SequenceNumber', 'MessageDeduplicationId', 'MessageGroupId', 'AWSTraceHeader', 'DeadLetterQueueSourceArn']);

/** A received message on the wire: only the system and message attributes the caller asked for. */
function wireMessage(m: Msg, sysNames: Set<string>, attrFilter: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { MessageId: m.id, ReceiptHandle: makeReceiptHandle(m), MD5OfBody: m.md5Body, Body: m.body };
  if (sysNames.size > 0) {
    const all = systemAttributes(m);
    const picked: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (sysNames.has('All') || sysNames.has(k)) picked[k] = v;
    if (Object.keys(picked).length > 0) out['Attributes'] = picked;
  }
  if (attrFilter.length > 0) {
    const names = Object.keys(m.attrs).filter((n) =>
      attrFilter.some((f) => f === 'All' || f === '.*' || f === n || (f.endsWith('.*') && n.startsWith(f.slice(0, -1)))),
    );
    if (names.length > 0) {
      const sel = Object.fromEntries(names.map((n) => [n, m.attrs[n]!]));
      out['MD5OfMessageAttributes'] = md5OfAttributes(sel);
      out['MessageAttributes'] = Object.fromEntries(
        names.map((n) => {
          const a = m.attrs[n]!;
          return [n, a.BinaryValue !== undefined ? { DataType: a.DataType, BinaryValue: a.BinaryValue.toString('base64') } : { DataType: a.DataType, StringValue: a.StringValue }];
        }),
      );
    }
  }
  return out;
}

const sendInput = (e: Input, ctx: Ctx) => ({
  ...(ctx.traceHeader !== undefined ? { traceHeader: ctx.traceHeader } : {}),
  body: e['MessageBody'],
  messageAttributes: e['MessageAttributes'],
  systemAttributes: e['MessageSystemAttributes'],
  delaySeconds: e['DelaySeconds'],
  groupId: e['MessageGroupId'],
  dedupId: e['MessageDeduplicationId'],
});

const batchFailure = (id: string, e: unknown) => {
  const err = toAwsError(e);
  return { Id: id, SenderFault: err.status < 500, Code: err.queryCode ?? err.code, Message: err.message };
};

export const OPERATIONS: Record<string, Op> = {
  CreateQueue: async (s, input, ctx) => {
    const name = str(input['QueueName'], 'QueueName');
    const attrs = strMap(input['Attributes'], 'Attributes');
    const fifo = checkQueueName(name, attrs['FifoQueue']);
    const q = await s.createQueue(ctx.region, name, fifo, attrs, strMap(input['tags'], 'tags'));
    return { QueueUrl: s.queueUrl(ctx.baseUrl, q) };
  },
  GetQueueUrl: async (s, input, ctx) => {
    const name = str(input['QueueName'], 'QueueName');
    const owner = input['QueueOwnerAWSAccountId'];
    const q = await s.require(ctx.region, name, typeof owner === 'string' && owner !== '' ? owner : s.accountId);
    return { QueueUrl: s.queueUrl(ctx.baseUrl, q) };
  },
  DeleteQueue: async (s, input, ctx) => {
    await s.deleteQueue((await queueOf(s, input, ctx)));
    return {};
  },
  ListQueues: async (s, input, ctx) => {
    const prefix = typeof input['QueueNamePrefix'] === 'string' ? input['QueueNamePrefix'] : '';
    const max = intParam('MaxResults', input['MaxResults'], 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
    const token = typeof input['NextToken'] === 'string' ? input['NextToken'] : undefined;
    let after = '';
    if (token !== undefined) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (!after) throw new AwsError('InvalidParameterValue', 'Invalid NextToken value.');
    }
    const all = (await s.list(ctx.region)).filter((q) => q.name.startsWith(prefix) && q.name > after);
    const page = max !== undefined ? all.slice(0, max) : all.slice(0, 1000);
    const out: Record<string, unknown> = {};
    if (page.length > 0) out['QueueUrls'] = page.map((q) => s.queueUrl(ctx.baseUrl, q));
    if (max !== undefined && all.length > page.length) out['NextToken'] = Buffer.from(page[page.length - 1]!.name).toString('base64url');
    return out;
  },
  GetQueueAttributes: async (s, input, ctx) => {
    const queue = await queueOf(s, input, ctx);
    const names = strList(input['AttributeNames']);
    for (const n of names) if (n !== 'All' && !(QUEUE_ATTRIBUTE_NAMES as readonly string[]).includes(n)) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
    // Attributes as committed (another node may have changed them), counts computed by the store.
    const q = (await s.refresh(queue.arn)) ?? queue;
    const counts = await s.counts(q);
    const all: Record<string, string> = {
      QueueArn: q.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inflight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(q.created),
      LastModifiedTimestamp: String(q.modified),
      ...attrStrings(q.attrs),
    };
    const want = names.includes('All') ? Object.keys(all) : names;
    const out: Record<string, string> = {};
    for (const n of want) if (all[n] !== undefined) out[n] = all[n]!;
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  },
  SetQueueAttributes: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    await s.setAttributes(q, strMap(input['Attributes'], 'Attributes'));
    return {};
  },
  SendMessage: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const r = await s.sendOne(q, sendInput(input, ctx), s.accountId);
    return {
      MessageId: r.messageId,
      MD5OfMessageBody: r.md5Body,
      ...(r.md5Attrs ? { MD5OfMessageAttributes: r.md5Attrs } : {}),
      ...(r.md5Sys ? { MD5OfMessageSystemAttributes: r.md5Sys } : {}),
      ...(r.seqNumber ? { SequenceNumber: r.seqNumber } : {}),
    };
  },
  SendMessageBatch: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const entries = checkBatch<Input>(input['Entries'], 'SendMessageBatchRequestEntry');
    let total = 0;
    for (const e of entries) if (typeof e['MessageBody'] === 'string') total += Buffer.byteLength(e['MessageBody']);
    if (total > q.attrs.MaximumMessageSize)
      throw new AwsError('BatchRequestTooLong', `Batch requests cannot be longer than ${q.attrs.MaximumMessageSize} bytes. You have sent ${total} bytes.`);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    // One group (one statement on a standard queue) for every valid entry.
    const results = await s.send(q, entries.map((e) => sendInput(e, ctx)), s.accountId);
    entries.forEach((e, i) => {
      const id = e['Id'] as string;
      const r = results[i]!;
      if (r instanceof AwsError) Failed.push(batchFailure(id, r));
      else
        Successful.push({
          Id: id,
          MessageId: r.messageId,
          MD5OfMessageBody: r.md5Body,
          ...(r.md5Attrs ? { MD5OfMessageAttributes: r.md5Attrs } : {}),
          ...(r.md5Sys ? { MD5OfMessageSystemAttributes: r.md5Sys } : {}),
          ...(r.seqNumber ? { SequenceNumber: r.seqNumber } : {}),
        });
    });
    return { Successful, Failed };
  },
  ReceiveMessage: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const max = intParam('MaxNumberOfMessages', input['MaxNumberOfMessages'], 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
    const vt = intParam('VisibilityTimeout', input['VisibilityTimeout'], 0, 43200, 'Must be >= 0 and <= 43200, if provided.') ?? q.attrs.VisibilityTimeout;
    const wait = intParam('WaitTimeSeconds', input['WaitTimeSeconds'], 0, 20, 'Must be >= 0 and <= 20, if provided.') ?? q.attrs.ReceiveMessageWaitTimeSeconds;
    const sysNames = new Set([...strList(input['AttributeNames']), ...strList(input['MessageSystemAttributeNames'])].filter((n) => SYSTEM_NAMES.has(n)));
    const attrFilter = strList(input['MessageAttributeNames']);
    const attemptId = input['ReceiveRequestAttemptId'];
    if (attemptId !== undefined && (typeof attemptId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(attemptId))) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${String(attemptId)} for parameter ReceiveRequestAttemptId is invalid. Reason: it must be 1 to 128 alphanumeric or punctuation characters.`,
      );
    }
    const msgs = await s.receive(q, max, vt * 1000, wait * 1000, wait > 0 ? ctx.signal : undefined, attemptId);
    return msgs.length > 0 ? { Messages: msgs.map((m) => wireMessage(m, sysNames, attrFilter)) } : {};
  },
  DeleteMessage: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    await s.deleteMessage(q, str(input['ReceiptHandle'], 'ReceiptHandle'));
    return {};
  },
  DeleteMessageBatch: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const entries = checkBatch<Input>(input['Entries'], 'DeleteMessageBatchRequestEntry');
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    const handles: (string | AwsError)[] = entries.map((e) => {
      try {
        return str(e['ReceiptHandle'], 'ReceiptHandle');
      } catch (err) {
        return toAwsError(err);
      }
    });
    // One statement for the batch (standard queues).
    const valid = handles.filter((h): h is string => typeof h === 'string');
    const errs = await s.deleteMessages(q, valid);
    let k = 0;
    entries.forEach((e, i) => {
      const h = handles[i]!;
      const err = typeof h === 'string' ? errs[k++] : h;
      if (err) Failed.push(batchFailure(e['Id'] as string, err));
      else Successful.push({ Id: e['Id'] });
    });
    return { Successful, Failed };
  },
  ChangeMessageVisibility: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const vt = intParam('VisibilityTimeout', input['VisibilityTimeout'], 0, 43200, 'Must be >= 0 and <= 43200.');
    if (vt === undefined) throw missing('VisibilityTimeout');
    await s.changeVisibility(q, str(input['ReceiptHandle'], 'ReceiptHandle'), vt);
    return {};
  },
  ChangeMessageVisibilityBatch: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const entries = checkBatch<Input>(input['Entries'], 'ChangeMessageVisibilityBatchRequestEntry');
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    const parsed: ({ handle: string; seconds: number } | AwsError)[] = entries.map((e) => {
      try {
        const vt = intParam('VisibilityTimeout', e['VisibilityTimeout'], 0, 43200, 'Must be >= 0 and <= 43200.');
        if (vt === undefined) throw missing('VisibilityTimeout');
        return { handle: str(e['ReceiptHandle'], 'ReceiptHandle'), seconds: vt };
      } catch (err) {
        return toAwsError(err);
      }
    });
    const errs = await s.changeVisibilities(q, parsed.filter((p): p is { handle: string; seconds: number } => !(p instanceof AwsError)));
    let k = 0;
    entries.forEach((e, i) => {
      const p = parsed[i]!;
      const err = p instanceof AwsError ? p : errs[k++];
      if (err) Failed.push(batchFailure(e['Id'] as string, err));
      else Successful.push({ Id: e['Id'] });
    });
    return { Successful, Failed };
  },
  PurgeQueue: async (s, input, ctx) => {
    await s.purge((await queueOf(s, input, ctx)));
    return {};
  },
  TagQueue: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const tags = strMap(input['Tags'], 'Tags');
    const merged = { ...q.tags, ...tags };
    if (Object.keys(merged).length > 50) throw new AwsError('InvalidParameterValue', 'Too many tags added for queue. The maximum number of tags for a queue is 50.');
    await s.setTags(q, merged);
    return {};
  },
  UntagQueue: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const keys = new Set(strList(input['TagKeys']));
    await s.setTags(q, Object.fromEntries(Object.entries(q.tags).filter(([k]) => !keys.has(k))));
    return {};
  },
  ListQueueTags: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
  },
  AddPermission: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const label = str(input['Label'], 'Label');
    const accounts = strList(input['AWSAccountIds']);
    const actions = strList(input['Actions']);
    if (accounts.length === 0) throw missing('AWSAccountIds');
    if (actions.length === 0) throw missing('Actions');
    const policy = q.attrs.Policy ? (JSON.parse(q.attrs.Policy) as { Version: string; Id?: string; Statement: { Sid?: string }[] }) : { Version: '2012-10-17', Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
    if (policy.Statement.some((st) => st.Sid === label)) throw new AwsError('InvalidParameterValue', `Value ${label} for parameter Label is invalid. Reason: Already exists.`);
    policy.Statement.push({
      Sid: label,
      Effect: 'Allow',
      Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
      Action: actions.map((a) => (a === '*' ? 'SQS:*' : `SQS:${a}`)),
      Resource: q.arn,
    } as { Sid: string });
    await s.setAttributes(q, { Policy: JSON.stringify(policy) });
    return {};
  },
  RemovePermission: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const label = str(input['Label'], 'Label');
    const policy = q.attrs.Policy ? (JSON.parse(q.attrs.Policy) as { Statement: { Sid?: string }[] }) : { Statement: [] };
    const kept = policy.Statement.filter((st) => st.Sid !== label);
    if (kept.length === policy.Statement.length) throw new AwsError('InvalidParameterValue', `Value ${label} for parameter Label is invalid. Reason: can't find label.`);
    await s.setAttributes(q, { Policy: kept.length > 0 ? JSON.stringify({ ...policy, Statement: kept }) : '' });
    return {};
  },
  StartMessageMoveTask: async (s, input) => {
    const sourceArn = str(input['SourceArn'], 'SourceArn');
    const src = await s.load(sourceArn);
    if (!src) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the SourceArn parameter does not exist.');
    if (!(await s.list(src.region)).some((x) => x.redrive?.deadLetterTargetArn === src.arn))
      throw new AwsError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
    const destArn = input['DestinationArn'];
    const dest = typeof destArn === 'string' && destArn !== '' ? await s.load(destArn) : undefined;
    if (typeof destArn === 'string' && destArn !== '' && !dest) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the DestinationArn parameter does not exist.');
    const started = s.now();
    const moved = await s.redriveMessages(src, dest);
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64');
    await s.recordMoveTask(src.arn, handle, {
      TaskHandle: handle, Status: 'COMPLETED', SourceArn: src.arn, ...(dest ? { DestinationArn: dest.arn } : {}), ApproximateNumberOfMessagesMoved: moved, ApproximateNumberOfMessagesToMove: moved, StartedTimestamp: started,
    });
    return { TaskHandle: handle };
  },
  ListMessageMoveTasks: async (s, input) => {
    const sourceArn = str(input['SourceArn'], 'SourceArn');
    if (!(await s.load(sourceArn))) throw new AwsError('ResourceNotFoundException', 'The resource that you specified for the SourceArn parameter does not exist.');
    const max = intParam('MaxResults', input['MaxResults'], 1, 10, 'MaxResults must be between 1 and 10.') ?? 1;
    return { Results: await s.moveTasks(sourceArn, max) };
  },
  CancelMessageMoveTask: async (_s, input) => {
    str(input['TaskHandle'], 'TaskHandle');
    // Moves complete within the StartMessageMoveTask call, so there is never a running task to cancel.
    throw new AwsError('ResourceNotFoundException', 'Task does not exist or is not running.');
  },
  ListDeadLetterSourceQueues: async (s, input, ctx) => {
    const q = (await queueOf(s, input, ctx));
    const sources = (await s.list(ctx.region)).filter((x) => x.redrive?.deadLetterTargetArn === q.arn);
    return { queueUrls: sources.map((x) => s.queueUrl(ctx.baseUrl, x)) };
  },
};

const parseJson = (req: ApiRequest): Input => {
  if (req.body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AwsError('SerializationException', 'Request body must be a JSON object.');
  return v as Input;
};

export const ctxOf = (req: ApiRequest): Ctx => ({
  region: req.region,
  baseUrl: req.baseUrl,
  path: req.path,
  ...(req.header('x-amzn-trace-id') !== undefined ? { traceHeader: req.header('x-amzn-trace-id')! } : {}),
  // Read only by long polls: the server makes the signal on first use.
  get signal() {
    return req.signal;
  },
});

export function sqsRoutes(s: SqsService): ServiceRoutes {
  const ops: Record<string, (req: ApiRequest) => Promise<{ body: unknown }>> = {};
  for (const [name, op] of Object.entries(OPERATIONS)) ops[name] = async (req) => ({ body: await op(s, parseJson(req), ctxOf(req)) });
  return {
    // Types are checked at the edge; SQS answers missing members and bad values with its own query-era errors
    // (MissingParameter, InvalidAttributeName, …), so required members and constraints are left to it.
    json: [{ targetPrefix: 'AmazonSQS', errorNamespace: 'com.amazonaws.sqs', ops, validation: { required: false, constraints: false } }],
    query: [queryRoute(s, OPERATIONS)],
  };
}
