// The SQS optimized integration: arn:aws:states:::sqs:sendMessage (and .waitForTaskToken) onto the in-process queues.
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../../lib/errors.js';
import type { MessageAttribute, OutgoingMessage, SendResult } from '../../sqs/index.js';
import { StatesError, stringify, type Json } from '../asl/paths.js';
import { serviceTask, type TaskDeps, type TaskRun } from './tasks.js';

type Obj = Record<string, Json>;

/** How Step Functions reports an SQS error: `SQS.<Exception>` and the Java SDK's cause text. */
function sqsError(e: AwsError, requestId: string): StatesError {
  const name = e.code === 'QueueDoesNotExist' ? 'SQS.QueueDoesNotExistException' : 'SQS.AmazonSQSException';
  return new StatesError(name, `${e.message} (Service: AmazonSQS; Status Code: ${e.status}; Error Code: ${e.queryCode ?? e.code}; Request ID: ${requestId}; Proxy: null)`);
}

const missing = (param: string): AwsError => new AwsError('MissingParameter', `The request must contain the parameter ${param}.`);

/** The SendMessage request the task's Parameters describe; MessageBody that is not a string is sent as its JSON text. */
function outgoing(p: Obj): OutgoingMessage {
  const body = p['MessageBody'];
  if (body === undefined || body === null) throw missing('MessageBody');
  const msg: OutgoingMessage = { body: typeof body === 'string' ? body : stringify(body) };
  const attrs = p['MessageAttributes'];
  if (attrs !== undefined && attrs !== null) {
    if (typeof attrs !== 'object' || Array.isArray(attrs)) throw new AwsError('InvalidParameterValue', 'The request has an invalid MessageAttributes parameter.');
    const out: Record<string, MessageAttribute> = {};
    for (const [k, v] of Object.entries(attrs)) {
      const a = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Obj;
      out[k] = {
        DataType: typeof a['DataType'] === 'string' ? a['DataType'] : '',
        ...(a['StringValue'] !== undefined ? { StringValue: typeof a['StringValue'] === 'string' ? a['StringValue'] : stringify(a['StringValue']) } : {}),
        ...(typeof a['BinaryValue'] === 'string' ? { BinaryValue: Buffer.from(a['BinaryValue'], 'base64') } : {}),
      };
    }
    msg.messageAttributes = out;
  }
  if (p['DelaySeconds'] !== undefined) {
    if (typeof p['DelaySeconds'] !== 'number') throw new AwsError('InvalidParameterValue', `Value ${stringify(p['DelaySeconds'])} for parameter DelaySeconds is invalid. Reason: must be an integer.`);
    msg.delaySeconds = p['DelaySeconds'];
  }
  if (typeof p['MessageGroupId'] === 'string') msg.messageGroupId = p['MessageGroupId'];
  if (typeof p['MessageDeduplicationId'] === 'string') msg.messageDeduplicationId = p['MessageDeduplicationId'];
  return msg;
}

/** SendMessage's response as the Java SDK hands it to Step Functions (with its HTTP metadata). */
function response(r: SendResult, requestId: string, now: number): Obj {
  const body: Obj = {};
  if (r.md5OfMessageAttributes) body['MD5OfMessageAttributes'] = r.md5OfMessageAttributes;
  body['MD5OfMessageBody'] = r.md5OfBody;
  body['MessageId'] = r.messageId;
  if (r.sequenceNumber) body['SequenceNumber'] = r.sequenceNumber;
  const length = String(Buffer.byteLength(JSON.stringify(body)));
  const date = new Date(now).toUTCString();
  return {
    ...body,
    SdkHttpMetadata: {
      AllHttpHeaders: { 'x-amzn-RequestId': [requestId], connection: ['keep-alive'], 'Content-Length': [length], Date: [date], 'Content-Type': ['application/x-amz-json-1.0'] },
      HttpHeaders: { connection: 'keep-alive', 'Content-Length': length, 'Content-Type': 'application/x-amz-json-1.0', Date: date, 'x-amzn-RequestId': requestId },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

async function send(d: TaskDeps, p: Obj): Promise<Obj> {
  const requestId = randomUUID();
  const url = p['QueueUrl'];
  try {
    if (!d.queues) throw new StatesError('SQS.SdkClientException', 'SQS is not available in this server');
    if (typeof url !== 'string' || url === '') throw missing('QueueUrl');
    const msg = outgoing(p);
    const q = d.queues.queueByUrl(url, d.region);
    if (!q) {
      let host: string | undefined;
      try {
        host = new URL(url).hostname;
      } catch {
        host = undefined;
      }
      // Not a queue URL at all: the SDK fails before SQS answers, as AWS records it.
      if (!host || !/^\/\d{12}\/[\w.-]+\/?$/.test(new URL(url).pathname)) throw new StatesError('SQS.SdkClientException', `Unable to execute HTTP request: ${host ?? url}: Name or service not known`);
      throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    }
    return response(await d.queues.send(q.arn, msg), requestId, d.clock.now());
  } catch (e) {
    if (e instanceof AwsError) throw sqsError(e, requestId);
    throw e;
  }
}

export function sqsSendMessage(d: TaskDeps, t: TaskRun, callback: boolean): Promise<Json> {
  const details = { resource: callback ? 'sendMessage.waitForTaskToken' : 'sendMessage', resourceType: 'sqs' };
  return serviceTask(d, t, details, callback, (params) => send(d, params));
}
