// The QueueBroker module API over the SQS domain: queues by ARN for other services, with no HTTP involved.
import { uuid } from '../../lib/ids.js';
import type { OutgoingMessage, QueueBroker, QueueInfo, ReceivedMessage } from './broker.js';
import type { Msg } from './messages.js';
import { parseQueueUrl } from './queues.js';
import { makeReceiptHandle, systemAttributes, type SqsService } from './service.js';

function toReceived(m: Msg): ReceivedMessage {
  return {
    messageId: m.id,
    receiptHandle: makeReceiptHandle(m),
    body: m.body,
    md5OfBody: m.md5Body,
    ...(m.md5Attrs ? { md5OfMessageAttributes: m.md5Attrs } : {}),
    attributes: systemAttributes(m),
    messageAttributes: m.attrs,
  };
}

export function createBroker(svc: SqsService): QueueBroker {
  // queue() is synchronous: it answers from the node's queue cache (kept current through the notifier).
  const queue = (arn: string): QueueInfo | undefined => {
    const q = svc.byArn(arn);
    return q ? { arn: q.arn, url: svc.queueUrl(svc.endpointUrl(), q), fifo: q.fifo, visibilityTimeoutSeconds: q.attrs.VisibilityTimeout, ...(q.attrs.Policy !== undefined ? { policy: q.attrs.Policy } : {}) } : undefined;
  };
  return {
    queue,
    queueByUrl: (url, region) => {
      const u = parseQueueUrl(url);
      return u ? queue(`arn:aws:sqs:${u.region ?? region}:${u.accountId}:${u.name}`) : undefined;
    },
    send: async (arn: string, msg: OutgoingMessage) => {
      const q = await svc.requireArn(arn);
      const r = await svc.sendOne(
        q,
        {
          body: msg.body,
          messageAttributes: msg.messageAttributes,
          delaySeconds: msg.delaySeconds,
          groupId: msg.messageGroupId,
          // Internal senders to a FIFO queue without content-based deduplication get a fresh id (never deduplicated).
          dedupId: msg.messageDeduplicationId ?? (q.fifo && !q.attrs.ContentBasedDeduplication ? uuid() : undefined),
          ...(msg.traceHeader !== undefined ? { traceHeader: msg.traceHeader } : {}),
        },
        svc.accountId,
      );
      return {
        messageId: r.messageId,
        md5OfBody: r.md5Body,
        ...(r.md5Attrs ? { md5OfMessageAttributes: r.md5Attrs } : {}),
        ...(r.seqNumber ? { sequenceNumber: r.seqNumber } : {}),
      };
    },
    receive: async (arn, max, opts) => {
      const q = await svc.requireArn(arn);
      const vt = opts?.visibilityTimeoutSeconds ?? q.attrs.VisibilityTimeout;
      const msgs = await svc.receive(q, Math.max(1, Math.min(max, 10_000)), vt * 1000, opts?.waitMs ?? 0);
      return msgs.map(toReceived);
    },
    deleteMessages: async (arn, handles) => {
      const q = await svc.requireArn(arn);
      const errs = await svc.deleteMessages(q, handles);
      const bad = errs.find((e) => e !== undefined);
      if (bad) throw bad;
    },
    changeVisibility: async (arn, handle, seconds) => {
      const q = await svc.requireArn(arn);
      await svc.changeVisibility(q, handle, seconds);
    },
    moveToDeadLetter: async (arn, handles) => svc.deadLetterNow(await svc.requireArn(arn), handles),
    onAvailable: (arn, listener) => svc.onAvailable(arn, listener),
  };
}
