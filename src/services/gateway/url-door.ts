// The function URL front door: `<url-id>.lambda-url.<region>.localhost` and `/lambda-url/<url-id>/…` requests become
// payload 2.0 events; buffered responses are mapped as AWS does, RESPONSE_STREAM URLs relay chunks as they come.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeResult } from '../../engine/types.js';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { uuid } from '../../lib/ids.js';
import { BodyTooLarge, readBody } from '../../server/body.js';
import type { Caller } from '../../server/auth.js';
import type { RawRoute } from '../../server/types.js';
import { MAX_SYNC_PAYLOAD, type LambdaInvoker, type UrlConfig, type UrlRegistry } from '../lambda/index.js';
import { isPreflight, preflightHeaders, responseHeaders, withoutCors } from './cors.js';
import { v2Event } from './events.js';
import { locateDoor, requestInfo } from './request.js';
import { jsonAnswer, mapV2, send, type HttpAnswer } from './responses.js';
import { PreludeSplitter, HTTP_INTEGRATION } from './prelude.js';
import { preludeHeaders, StreamRelay } from './stream-relay.js';

const HOST_RE = /^([a-z0-9]{32})\.lambda-url\.([a-z0-9-]+)\.localhost(?::\d+)?$/i;
const PATH_PREFIX = '/lambda-url/';

export interface UrlDoorDeps {
  urls: UrlRegistry;
  invoker: LambdaInvoker;
  clock: Clock;
  accountId: string;
  onInternalError: (e: unknown, where: string) => void;
}

const locate = (req: IncomingMessage, url: URL): { id: string; rawPath: string } | undefined => locateDoor(req, url, HOST_RE, PATH_PREFIX);

/** AWS's answers for invocation failures as a function URL reports them. */
function failure(e: unknown): HttpAnswer {
  if (e instanceof AwsError) {
    if (e.code === 'TooManyRequestsException') return jsonAnswer(429, { Message: 'Rate Exceeded.' });
    if (e.code === 'ResourceNotFoundException') return jsonAnswer(404, { Message: null });
    if (e.code === 'RequestTooLargeException' || e.code === 'RequestEntityTooLargeException') return jsonAnswer(413, { Message: 'Request Entity Too Large' });
  }
  return { status: 502, headers: [['content-type', 'text/plain']], body: Buffer.from('Internal Server Error') };
}

export function urlDoor(d: UrlDoorDeps): RawRoute {
  return {
    name: 'function-url',
    claims: (req, url) => HOST_RE.test(req.headers.host ?? '') || url.pathname.startsWith(PATH_PREFIX),
    handle: async (req, res, url, auth) => {
      const requestId = uuid();
      const loc = locate(req, url);
      const cfg = loc ? d.urls.byUrlId(loc.id) : undefined;
      const base: [string, string][] = [['x-amzn-requestid', requestId]];
      if (!loc || !cfg) {
        req.resume();
        return send(res, jsonAnswer(404, { Message: null }), base);
      }
      const origin = req.headers.origin;
      const acrm = req.headers['access-control-request-method'];
      if (cfg.Cors && isPreflight(req.method ?? '', { origin, acrm: typeof acrm === 'string' ? acrm : undefined })) {
        req.resume();
        const h = preflightHeaders(cfg.Cors, origin!, String(acrm), req.headers['access-control-request-headers']);
        return send(res, { status: 200, headers: h, body: Buffer.alloc(0) }, base);
      }
      const cors = cfg.Cors ? responseHeaders(cfg.Cors, origin) : [];
      const finish = (a: HttpAnswer): void => send(res, cfg.Cors ? { ...a, headers: [...withoutCors(a.headers), ...cors] } : a, base);
      // AWS_IAM: an unsigned request is refused before its body is read; a signed one is verified against the body.
      if (cfg.AuthType === 'AWS_IAM' && !signed(req, url)) {
        req.resume();
        return finish(jsonAnswer(403, { Message: 'Forbidden' }));
      }
      let body: Buffer;
      try {
        body = await readBody(req, MAX_SYNC_PAYLOAD);
      } catch (e) {
        if (e instanceof BodyTooLarge) return finish(jsonAnswer(413, { Message: 'Request Entity Too Large' }));
        res.destroy();
        return;
      }
      let iam: Caller | undefined;
      if (cfg.AuthType === 'AWS_IAM') {
        try {
          iam = await auth.caller(req, { family: 'url', body, service: 'lambda', operation: 'InvokeFunctionUrl', region: cfg.region });
        } catch (e) {
          if (!(e instanceof AwsError)) d.onInternalError(e, 'function url auth');
          return finish(jsonAnswer(403, { Message: 'Forbidden' }));
        }
      }
      const info = requestInfo(req, url, loc.rawPath, body, requestId, d.clock.now());
      const event = v2Event(info, {
        accountId: d.accountId,
        apiId: cfg.urlId,
        domainName: `${cfg.urlId}.lambda-url.${cfg.region}.on.aws`,
        routeKey: '$default',
        stage: '$default',
        iam: iam ? { accessKey: iam.accessKeyId ?? '', callerId: iam.userId, userId: iam.userId, accountId: iam.accountId, userArn: iam.arn } : undefined,
      });
      const payload = Buffer.from(JSON.stringify(event));
      if (cfg.InvokeMode === 'RESPONSE_STREAM') return streamed(d, cfg, payload, requestId, res, cors, base, finish);
      let result: InvokeResult;
      try {
        result = await d.invoker.invoke({ region: cfg.region, functionName: cfg.functionName, qualifier: cfg.qualifier, payload, requestId });
      } catch (e) {
        if (!(e instanceof AwsError)) d.onInternalError(e, 'function url');
        return finish(failure(e));
      }
      finish(bufferedAnswer(result));
    },
  };
}

/** Whether the request carries a SigV4 signature at all (header or presigned); the server verifies it. */
function signed(req: IncomingMessage, url: URL): boolean {
  return /^AWS4-HMAC-SHA256\s/.test(req.headers.authorization ?? '') || url.searchParams.has('X-Amz-Signature');
}

/** A finished (non-streamed) invocation as a function URL answers it. */
function bufferedAnswer(r: InvokeResult): HttpAnswer {
  if (r.functionError) return failure(undefined);
  if (r.contentType === HTTP_INTEGRATION) {
    // A streaming handler behind a BUFFERED URL: its prelude carries status and headers.
    const split = new PreludeSplitter();
    const p = split.push(r.payload) ?? split.end();
    return { status: p.prelude.statusCode ?? 200, headers: preludeHeaders(p.prelude), body: p.body };
  }
  return mapV2(r.payload) ?? failure(undefined);
}

/** RESPONSE_STREAM: bytes reach the client as the function writes them. */
async function streamed(
  d: UrlDoorDeps,
  cfg: UrlConfig,
  payload: Buffer,
  requestId: string,
  res: ServerResponse,
  cors: [string, string][],
  base: [string, string][],
  finish: (a: HttpAnswer) => void,
): Promise<void> {
  const relay = new StreamRelay(res, (h) => [...(cors.length > 0 ? withoutCors(h) : h), ...cors, ...base]);
  let result: InvokeResult;
  try {
    result = await d.invoker.invoke({ region: cfg.region, functionName: cfg.functionName, qualifier: cfg.qualifier, payload, requestId, stream: relay.sink });
  } catch (e) {
    if (relay.streamed) return relay.abort();
    if (!(e instanceof AwsError)) d.onInternalError(e, 'function url stream');
    return finish(failure(e));
  }
  await relay.finish();
  if (!relay.streamed) finish(bufferedAnswer(result));
}
