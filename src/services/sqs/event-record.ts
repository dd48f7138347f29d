// A received message as the SQS record that Lambda's SQS event and EventBridge Pipes carry, and the view of it that
// event filters match (the body parsed when it is JSON).
import type { ReceivedMessage } from './broker.js';

/** One SQS record exactly as Lambda's SQS event carries it. */
export function sqsRecord(m: ReceivedMessage, queueArn: string): Record<string, unknown> {
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(m.messageAttributes)) {
    messageAttributes[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: a.DataType,
    };
  }
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: m.attributes,
    messageAttributes,
    md5OfBody: m.md5OfBody,
    ...(m.md5OfMessageAttributes ? { md5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

/** What filters see: the record with a JSON body parsed (a plain-text body stays a string). */
export function filterView(rec: Record<string, unknown>): Record<string, unknown> {
  const body = rec['body'] as string;
  try {
    return { ...rec, body: JSON.parse(body) as unknown };
  } catch {
    return rec;
  }
}
