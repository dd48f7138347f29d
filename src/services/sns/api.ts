// SNS's wire handlers (query protocol): read the form, call the domain, answer AWS's XML; plus the GET links that
// deliveries carry (SubscribeURL, UnsubscribeURL) and the signing certificate.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../lib/errors.js';
import { uuid } from '../../lib/ids.js';
import { credentialScope } from '../../server/sigv4.js';
import type { ApiRequest, ApiResponse, RawRoute, ServiceRoutes } from '../../server/types.js';
import { sendError } from '../../server/wire.js';
import { batchIdsNotDistinct, batchTooLong, emptyBatch, invalidAction, invalidBatchEntryId, invalidParameter, notImplemented, tooManyEntries } from './errors.js';
import type { Intake } from './intake.js';
import { parseTopicArn, type Subscription } from './model.js';
import { MAX_MESSAGE_BYTES, preparePublish, type Prepared, type PublishRequest } from './publish.js';
import { bool, el, list, map, messageAttributes, str, structs, tags, xmlList, xmlMap, xmlResponse, type Form } from './query.js';
import type { Registry } from './registry.js';
import type { Signer } from './signing.js';
import type { Subscriptions } from './subscriptions.js';
import type { Topics } from './topics.js';

export interface ApiDeps {
  registry: Registry;
  topics: Topics;
  subscriptions: Subscriptions;
  intake: Intake;
  signer: Signer;
  accountId: string;
}

interface Ctx {
  region: string;
  requestId: string;
  /** The request's X-Amzn-Trace-Id: deliveries carry it on (recursive loop detection counts its Lineage). */
  traceHeader?: string;
}

type Op = (d: ApiDeps, form: Form, c: Ctx) => Promise<string | undefined>;

const traced = (p: Prepared, c: Ctx): Prepared => (c.traceHeader !== undefined ? { ...p, traceHeader: c.traceHeader } : p);

const PAGE = 100;

/** A page of items after the NextToken (the last key of the previous page, base64). */
function page<T>(items: T[], key: (t: T) => string, token: string | undefined): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    let after: string;
    try {
      after = Buffer.from(token, 'base64url').toString('utf8');
    } catch {
      throw invalidParameter('Invalid parameter: NextToken');
    }
    if (!after) throw invalidParameter('Invalid parameter: NextToken');
    start = items.findIndex((t) => key(t) > after);
    if (start < 0) start = items.length;
  }
  const out = items.slice(start, start + PAGE);
  const more = start + PAGE < items.length;
  return { items: out, ...(more ? { next: Buffer.from(key(out[out.length - 1]!)).toString('base64url') } : {}) };
}

const subscriptionXml = (s: Subscription): string =>
  `${el('SubscriptionArn', s.confirmed ? s.arn : 'PendingConfirmation')}${el('Owner', s.owner)}${el('Protocol', s.protocol)}${el('Endpoint', s.endpoint)}${el('TopicArn', s.topicArn)}`;

const byArn = (a: { arn: string }, b: { arn: string }): number => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0);

function publishRequest(form: Form): PublishRequest {
  return {
    message: str(form, 'Message'),
    subject: str(form, 'Subject'),
    messageStructure: str(form, 'MessageStructure'),
    messageAttributes: messageAttributes(form, 'MessageAttributes'),
    messageGroupId: str(form, 'MessageGroupId'),
    messageDeduplicationId: str(form, 'MessageDeduplicationId'),
  };
}

const OPS: Record<string, Op> = {
  async CreateTopic(d, f, c) {
    const t = await d.topics.create(c.region, str(f, 'Name'), map(f, 'Attributes'), tags(f, 'Tags'));
    return el('TopicArn', t.arn);
  },
  async DeleteTopic(d, f) {
    await d.topics.delete(str(f, 'TopicArn'));
    return undefined;
  },
  async ListTopics(d, f, c) {
    const p = page(d.registry.listTopics(c.region), (t) => t.arn, str(f, 'NextToken'));
    return xmlList('Topics', p.items.map((t) => el('TopicArn', t.arn))) + el('NextToken', p.next);
  },
  async GetTopicAttributes(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    return xmlMap('Attributes', d.topics.attributes(t));
  },
  async SetTopicAttributes(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    await d.topics.setAttribute(t, str(f, 'AttributeName'), str(f, 'AttributeValue'));
    return undefined;
  },
  async AddPermission(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    await d.topics.addPermission(t, str(f, 'Label'), list(f, 'AWSAccountId'), list(f, 'ActionName'));
    return undefined;
  },
  async RemovePermission(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    await d.topics.removePermission(t, str(f, 'Label'));
    return undefined;
  },
  async TagResource(d, f) {
    await d.topics.tag(await d.topics.resource(str(f, 'ResourceArn')), tags(f, 'Tags'));
    return '';
  },
  async UntagResource(d, f) {
    await d.topics.untag(await d.topics.resource(str(f, 'ResourceArn')), list(f, 'TagKeys'));
    return '';
  },
  async ListTagsForResource(d, f) {
    const t = await d.topics.resource(str(f, 'ResourceArn'));
    return xmlList('Tags', t.tags.map((x) => el('Key', x.Key) + el('Value', x.Value)));
  },
  async Subscribe(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    const s = await d.subscriptions.subscribe(t, str(f, 'Protocol'), str(f, 'Endpoint'), map(f, 'Attributes'));
    return el('SubscriptionArn', s.confirmed || bool(f, 'ReturnSubscriptionArn') ? s.arn : 'pending confirmation');
  },
  async ConfirmSubscription(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    const s = await d.subscriptions.confirm(t, str(f, 'Token'));
    return el('SubscriptionArn', s.arn);
  },
  async Unsubscribe(d, f) {
    await d.subscriptions.unsubscribe(str(f, 'SubscriptionArn'));
    return undefined;
  },
  async ListSubscriptions(d, f, c) {
    const p = page(d.registry.listSubscriptions(c.region).sort(byArn), (s) => s.arn, str(f, 'NextToken'));
    return xmlList('Subscriptions', p.items.map(subscriptionXml)) + el('NextToken', p.next);
  },
  async ListSubscriptionsByTopic(d, f) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    const p = page((await d.registry.currentSubscriptionsOf(t.arn)).sort(byArn), (s) => s.arn, str(f, 'NextToken'));
    return xmlList('Subscriptions', p.items.map(subscriptionXml)) + el('NextToken', p.next);
  },
  async GetSubscriptionAttributes(d, f) {
    const s = await d.subscriptions.require(str(f, 'SubscriptionArn'));
    return xmlMap('Attributes', d.subscriptions.attributes(s, await d.registry.topic(s.topicArn)));
  },
  async SetSubscriptionAttributes(d, f) {
    const s = await d.subscriptions.require(str(f, 'SubscriptionArn'));
    await d.subscriptions.setAttribute(s, str(f, 'AttributeName'), str(f, 'AttributeValue'));
    return undefined;
  },
  async Publish(d, f, c) {
    const topicArn = str(f, 'TopicArn');
    const targetArn = str(f, 'TargetArn');
    const phone = str(f, 'PhoneNumber');
    if (topicArn !== undefined && targetArn !== undefined) throw invalidParameter('Invalid parameter: TopicArn Reason: Only one of TopicArn or TargetArn may be specified');
    if (topicArn === undefined && targetArn === undefined) {
      if (phone === undefined) throw invalidParameter('Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
      // SMS is accepted and never sent (selfless has no telephone network).
      if (!/^\+?[0-9]{1,15}$/.test(phone)) throw invalidParameter('Invalid parameter: PhoneNumber Reason: input incorrectly formatted');
      if (!str(f, 'Message')) throw invalidParameter('Invalid parameter: Empty message');
      return el('MessageId', uuid());
    }
    const arn = (topicArn ?? targetArn)!;
    if (targetArn !== undefined && !parseTopicArn(arn)) throw invalidParameter('Invalid parameter: TargetArn Reason: ARN is not a topic or endpoint');
    const t = await d.topics.require(arn, topicArn !== undefined ? 'TopicArn' : 'TargetArn');
    const r = await d.intake.publish(t, traced(preparePublish(t, publishRequest(f)), c));
    return el('MessageId', r.messageId) + el('SequenceNumber', r.sequenceNumber);
  },
  async PublishBatch(d, f, c) {
    const t = await d.topics.require(str(f, 'TopicArn'));
    const entries = structs(f, 'PublishBatchRequestEntries');
    if (entries.length === 0) throw emptyBatch();
    if (entries.length > 10) throw tooManyEntries();
    const ids = entries.map((e) => str(e, 'Id') ?? '');
    if (new Set(ids).size !== ids.length) throw batchIdsNotDistinct();
    if (ids.some((id) => !/^[A-Za-z0-9_-]{1,80}$/.test(id))) throw invalidBatchEntryId();
    let total = 0;
    for (const e of entries) total += Buffer.byteLength(str(e, 'Message') ?? '');
    if (total > MAX_MESSAGE_BYTES) throw batchTooLong();
    if (t.fifo && entries.some((e) => !str(e, 'MessageGroupId'))) throw invalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
    const results = await Promise.all(
      entries.map(async (e, i) => {
        try {
          const r = await d.intake.publish(t, traced(preparePublish(t, publishRequest(e)), c));
          return { ok: true as const, id: ids[i]!, ...r };
        } catch (err) {
          if (!(err instanceof AwsError) || err.status >= 500) throw err;
          return { ok: false as const, id: ids[i]!, code: err.code, message: err.message };
        }
      }),
    );
    const ok = results.filter((r) => r.ok).map((r) => el('Id', r.id) + el('MessageId', r.messageId) + el('SequenceNumber', r.sequenceNumber));
    const failed = results.filter((r) => !r.ok).map((r) => el('Id', r.id) + el('Code', r.code) + el('Message', r.message) + el('SenderFault', true));
    return xmlList('Successful', ok) + xmlList('Failed', failed);
  },
};

/** Actions of the model that selfless does not serve (mobile push, SMS sandbox, data protection). */
const UNSUPPORTED = new Set([
  'CheckIfPhoneNumberIsOptedOut',
  'CreatePlatformApplication',
  'CreatePlatformEndpoint',
  'CreateSMSSandboxPhoneNumber',
  'DeleteEndpoint',
  'DeletePlatformApplication',
  'DeleteSMSSandboxPhoneNumber',
  'GetDataProtectionPolicy',
  'GetEndpointAttributes',
  'GetPlatformApplicationAttributes',
  'GetSMSAttributes',
  'GetSMSSandboxAccountStatus',
  'ListEndpointsByPlatformApplication',
  'ListOriginationNumbers',
  'ListPhoneNumbersOptedOut',
  'ListPlatformApplications',
  'ListSMSSandboxPhoneNumbers',
  'OptInPhoneNumber',
  'PutDataProtectionPolicy',
  'SetEndpointAttributes',
  'SetPlatformApplicationAttributes',
  'SetSMSAttributes',
  'VerifySMSSandboxPhoneNumber',
]);
/** Actions only SNS has: an unsigned request with one of them is SNS's. */
const SNS_ONLY = new Set([...Object.keys(OPS), ...UNSUPPORTED].filter((a) => !['AddPermission', 'RemovePermission', 'TagResource', 'UntagResource', 'ListTagsForResource'].includes(a)));

async function run(d: ApiDeps, action: string, form: Form, c: Ctx): Promise<string> {
  const op = OPS[action];
  if (!op) throw UNSUPPORTED.has(action) ? notImplemented(action) : invalidAction(action);
  return xmlResponse(action, c.requestId, await op(d, form, c));
}

const CERT_PREFIX = '/_selfless/sns/';

/** GET `/?Action=ConfirmSubscription&TopicArn=…&Token=…` and `/?Action=Unsubscribe&SubscriptionArn=…` (the links in
 *  deliveries), and the signing certificate. */
function linksRoute(d: ApiDeps): RawRoute {
  return {
    name: 'sns-links',
    claims: (req, url) =>
      req.method === 'GET' && ((url.pathname === '/' && ['ConfirmSubscription', 'Unsubscribe'].includes(url.searchParams.get('Action') ?? '')) || url.pathname.startsWith(CERT_PREFIX)),
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      const requestId = uuid();
      if (url.pathname.startsWith(CERT_PREFIX)) {
        const ok = url.pathname === `${CERT_PREFIX}${d.signer.certFile}`;
        const body = ok ? d.signer.certPem : 'Not Found';
        res.writeHead(ok ? 200 : 404, { 'content-type': ok ? 'application/x-x509-ca-cert' : 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
        return;
      }
      const form = url.searchParams;
      const arn = form.get('TopicArn') ?? form.get('SubscriptionArn') ?? '';
      const region = parseTopicArn(arn.split(':').slice(0, 6).join(':'))?.region ?? 'us-east-1';
      try {
        const body = await run(d, form.get('Action')!, form, { region, requestId });
        res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-RequestId': requestId, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      } catch (e) {
        sendError(res, e instanceof AwsError ? e : new AwsError('InternalError', 'An internal error occurred.', { status: 500 }), 'query', requestId);
      }
      void req;
    },
  };
}

export function snsRoutes(d: ApiDeps): ServiceRoutes {
  return {
    raw: [linksRoute(d)],
    query: [
      {
        matches(form: URLSearchParams, req: IncomingMessage): boolean {
          const scope = credentialScope(req.headers, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
          if (scope) return scope.service === 'sns';
          return form.get('Version') === '2010-03-31' || SNS_ONLY.has(form.get('Action') ?? '');
        },
        handle: async (req: ApiRequest, form: URLSearchParams): Promise<ApiResponse> => {
          const body = await run(d, form.get('Action') ?? '', form, {
            region: req.region,
            requestId: req.requestId,
            ...(req.header('x-amzn-trace-id') !== undefined ? { traceHeader: req.header('x-amzn-trace-id')! } : {}),
          });
          return { status: 200, headers: { 'content-type': 'text/xml' }, body };
        },
      },
    ],
  };
}
