// What subscribers receive, pure: the SNS JSON envelope (SQS, HTTP/S), the Lambda SNS event, the confirmation
// messages, and message attributes in the envelope's `{Type, Value}` form and as SQS message attributes.
import type { Signable } from './signing.js';

/** A published message as a delivery carries it (JSON in the work item). */
export interface Delivered {
  id: string;
  topicArn: string;
  /** The message for this subscription's protocol. */
  message: string;
  subject?: string;
  /** ms since the epoch. */
  timestamp: number;
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string /* base64 */ }>;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** The publisher's X-Ray trace header (Lambda's recursive loop detection; SQS's AWSTraceHeader). */
  trace?: string;
}

export interface Urls {
  signingCertUrl: string;
  unsubscribeUrl: string;
}

export type SignFn = (m: Signable) => string;

/** AWS's timestamp form: ISO 8601 with milliseconds. */
export const isoTimestamp = (ms: number): string => new Date(ms).toISOString();

/** Message attributes as the envelope carries them: `{Type, Value}`, binary values in base64. */
export function envelopeAttributes(a: Delivered['attributes']): Record<string, { Type: string; Value: string }> {
  const out: Record<string, { Type: string; Value: string }> = {};
  for (const [k, v] of Object.entries(a)) out[k] = { Type: v.DataType, Value: v.BinaryValue ?? v.StringValue ?? '' };
  return out;
}

/** The notification JSON for SQS and HTTP/S subscribers, fields in AWS's order (Subject and MessageAttributes only
 *  when present; SequenceNumber for FIFO topics). */
export function notificationEnvelope(d: Delivered, version: string, urls: Urls, sign: SignFn): Record<string, unknown> {
  const timestamp = isoTimestamp(d.timestamp);
  const signed: Signable = { Type: 'Notification', MessageId: d.id, TopicArn: d.topicArn, Message: d.message, Timestamp: timestamp, ...(d.subject !== undefined ? { Subject: d.subject } : {}) };
  const out: Record<string, unknown> = { Type: 'Notification', MessageId: d.id };
  if (d.sequenceNumber !== undefined) out['SequenceNumber'] = d.sequenceNumber;
  out['TopicArn'] = d.topicArn;
  if (d.subject !== undefined) out['Subject'] = d.subject;
  out['Message'] = d.message;
  out['Timestamp'] = timestamp;
  out['SignatureVersion'] = version;
  out['Signature'] = sign(signed);
  out['SigningCertURL'] = urls.signingCertUrl;
  out['UnsubscribeURL'] = urls.unsubscribeUrl;
  if (Object.keys(d.attributes).length > 0) out['MessageAttributes'] = envelopeAttributes(d.attributes);
  return out;
}

/** The event a Lambda subscriber is invoked with (as in AWS's sample: Subject null when absent). */
export function lambdaEvent(d: Delivered, subscriptionArn: string, version: string, urls: Urls, sign: SignFn): Record<string, unknown> {
  const timestamp = isoTimestamp(d.timestamp);
  const signed: Signable = { Type: 'Notification', MessageId: d.id, TopicArn: d.topicArn, Message: d.message, Timestamp: timestamp, ...(d.subject !== undefined ? { Subject: d.subject } : {}) };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: d.id,
          TopicArn: d.topicArn,
          Subject: d.subject ?? null,
          Message: d.message,
          Timestamp: timestamp,
          SignatureVersion: version,
          Signature: sign(signed),
          SigningCertUrl: urls.signingCertUrl,
          UnsubscribeUrl: urls.unsubscribeUrl,
          MessageAttributes: envelopeAttributes(d.attributes),
        },
      },
    ],
  };
}

/** SubscriptionConfirmation / UnsubscribeConfirmation for HTTP/S endpoints. */
export function confirmationMessage(
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  o: { id: string; topicArn: string; subscriptionArn: string; token: string; subscribeUrl: string; timestamp: number },
  version: string,
  signingCertUrl: string,
  sign: SignFn,
): Record<string, unknown> {
  const message =
    type === 'SubscriptionConfirmation'
      ? `You have chosen to subscribe to the topic ${o.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
      : `You have chosen to deactivate subscription ${o.subscriptionArn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
  const timestamp = isoTimestamp(o.timestamp);
  const signed: Signable = { Type: type, MessageId: o.id, Token: o.token, TopicArn: o.topicArn, Message: message, SubscribeURL: o.subscribeUrl, Timestamp: timestamp };
  return {
    Type: type,
    MessageId: o.id,
    Token: o.token,
    TopicArn: o.topicArn,
    Message: message,
    SubscribeURL: o.subscribeUrl,
    Timestamp: timestamp,
    SignatureVersion: version,
    Signature: sign(signed),
    SigningCertURL: signingCertUrl,
  };
}

/** Raw delivery to SQS: the message attributes as SQS message attributes (String.Array travels as String). */
export function sqsAttributes(a: Delivered['attributes']): Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> {
  const out: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v.BinaryValue !== undefined) out[k] = { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue, 'base64') };
    else out[k] = { DataType: v.DataType.startsWith('String.Array') ? 'String' : v.DataType, StringValue: v.StringValue ?? '' };
  }
  return out;
}
