// The API Gateway / ALB front door: `<api-id>.execute-api.localhost` and `/gateway/<api-id>/…` requests are matched
// against the route table and sent to functions as REST (1.0), HTTP API (2.0) or ALB events; answers mapped as AWS.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeResult } from '../../engine/types.js';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { uuid } from '../../lib/ids.js';
import { BodyTooLarge, readBody } from '../../server/body.js';
import type { RawRoute } from '../../server/types.js';
import type { LambdaInvoker } from '../lambda/index.js';
import { isPreflight, preflightHeaders, responseHeaders, withoutCors } from './cors.js';
import { albEvent, v1Event, v2Event } from './events.js';
import { locateDoor, requestInfo } from './request.js';
import { albError, jsonAnswer, mapAlb, mapV1, mapV2, send, type HttpAnswer } from './responses.js';
import { findRoute, type PayloadFormat, type RouteTable, type StoredApi } from './routes.js';

const HOST_RE = /^([a-z0-9][a-z0-9-]*)\.execute-api(?:\.[a-z0-9-]+)?\.localhost(?::\d+)?$/i;
const PATH_PREFIX = '/gateway/';
/** API Gateway's payload quota (10 MB); ALB's is 1 MB. */
const API_MAX_BODY = 10 * 1024 * 1024;
const ALB_MAX_BODY = 1024 * 1024;

export interface GatewayDoorDeps {
  table: RouteTable;
  invoker: LambdaInvoker;
  clock: Clock;
  accountId: string;
  onInternalError: (e: unknown, where: string) => void;
}

const locate = (req: IncomingMessage, url: URL): { id: string; rawPath: string } | undefined => locateDoor(req, url, HOST_RE, PATH_PREFIX);

/** AWS's error answers per front-door style. */
function errorAnswer(type: StoredApi['type'], kind: 'notFound' | 'noRoute' | 'failed' | 'throttled' | 'tooLarge' | 'forbidden' | 'timeout'): HttpAnswer {
  if (type === 'ALB') {
    const t: Record<typeof kind, [number, string]> = {
      timeout: [502, 'Bad Gateway'],
      notFound: [404, 'Not Found'],
      noRoute: [404, 'Not Found'],
      failed: [502, 'Bad Gateway'],
      throttled: [503, 'Service Temporarily Unavailable'],
      tooLarge: [413, 'Request Entity Too Large'],
      forbidden: [403, 'Forbidden'],
    };
    return albError(...t[kind]);
  }
  const rest = type === 'REST';
  switch (kind) {
    case 'notFound':
    case 'noRoute':
      // REST APIs answer unknown resources and methods as a missing-auth 403; HTTP APIs say Not Found.
      return rest ? jsonAnswer(403, { message: 'Missing Authentication Token' }, [['x-amzn-errortype', 'MissingAuthenticationTokenException']]) : jsonAnswer(404, { message: 'Not Found' });
    case 'forbidden':
      return jsonAnswer(403, { message: 'Forbidden' }, [['x-amzn-errortype', 'ForbiddenException']]);
    case 'failed':
      return rest ? jsonAnswer(502, { message: 'Internal server error' }, [['x-amzn-errortype', 'InternalServerErrorException']]) : jsonAnswer(500, { message: 'Internal Server Error' });
    case 'throttled':
      return jsonAnswer(429, { message: 'Too Many Requests' });
    case 'tooLarge':
      return jsonAnswer(413, { message: 'Request Too Long' });
    case 'timeout':
      return rest ? jsonAnswer(504, { message: 'Endpoint request timed out' }) : jsonAnswer(503, { message: 'Service Unavailable' });
  }
}

export function gatewayDoor(d: GatewayDoorDeps): RawRoute {
  return {
    name: 'gateway',
    claims: (req, url) => HOST_RE.test(req.headers.host ?? '') || url.pathname.startsWith(PATH_PREFIX),
    handle: (req, res, url) => handle(d, req, res, url),
  };
}

async function handle(d: GatewayDoorDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const requestId = uuid();
  const base: [string, string][] = [['x-amzn-requestid', requestId]];
  const loc = locate(req, url);
  const entry = loc ? d.table.get(loc.id) : undefined;
  if (!loc || !entry) {
    req.resume();
    return send(res, jsonAnswer(404, { message: 'Not Found' }), base);
  }
  const { api, routes } = entry;
  // Named stages are the first path segment (REST always; HTTP APIs unless $default).
  let routePath = loc.rawPath;
  if (api.type !== 'ALB' && api.stage !== '$default') {
    const prefix = `/${api.stage}`;
    if (routePath !== prefix && !routePath.startsWith(`${prefix}/`)) {
      req.resume();
      return send(res, errorAnswer(api.type, api.type === 'REST' ? 'forbidden' : 'notFound'), base);
    }
    routePath = routePath.slice(prefix.length) || '/';
  }
  const method = req.method ?? 'GET';
  const origin = req.headers.origin;
  const acrm = req.headers['access-control-request-method'];
  if (api.type === 'HTTP' && api.cors && isPreflight(method, { origin, acrm: typeof acrm === 'string' ? acrm : undefined })) {
    req.resume();
    return send(res, { status: 204, headers: preflightHeaders(api.cors, origin!, String(acrm), req.headers['access-control-request-headers']), body: Buffer.alloc(0) }, base);
  }
  const cors = api.type === 'HTTP' && api.cors ? responseHeaders(api.cors, origin) : [];
  const finish = (a: HttpAnswer): void => send(res, cors.length > 0 ? { ...a, headers: [...withoutCors(a.headers), ...cors] } : a, base);
  const found = findRoute(routes, method, routePath);
  if (!found.match) {
    req.resume();
    return finish(errorAnswer(api.type, found.pathMatched ? 'noRoute' : 'notFound'));
  }
  const { route, params } = found.match;
  let body: Buffer;
  try {
    body = await readBody(req, api.type === 'ALB' || route.format === 'alb' ? ALB_MAX_BODY : API_MAX_BODY);
  } catch (e) {
    if (e instanceof BodyTooLarge) return finish(errorAnswer(api.type, 'tooLarge'));
    res.destroy();
    return;
  }
  const info = requestInfo(req, url, loc.rawPath, body, requestId, d.clock.now());
  const domainName = `${api.id}.execute-api.${api.region}.amazonaws.com`;
  const event = buildEvent(route.format, api, info, routePath, route.def.path, route.method, params, d.accountId, domainName);
  let result: InvokeResult | 'timeout';
  // API Gateway stops waiting after its integration timeout (the function runs on); ALB waits for the function.
  let cancel: () => void = () => undefined;
  const limit = api.type === 'ALB' ? undefined : (route.def.timeoutInMillis ?? (api.type === 'REST' ? 29_000 : 30_000));
  const timedOut = new Promise<'timeout'>((r) => {
    if (limit !== undefined) cancel = d.clock.setTimer(limit, () => r('timeout'));
  });
  const invocation = d.invoker.invoke({ region: api.region, functionName: route.def.function, payload: Buffer.from(JSON.stringify(event)), requestId });
  invocation.catch(() => undefined);
  try {
    result = await Promise.race([invocation, timedOut]);
  } catch (e) {
    if (!(e instanceof AwsError)) d.onInternalError(e, 'gateway');
    const throttled = e instanceof AwsError && e.code === 'TooManyRequestsException';
    return finish(errorAnswer(api.type, throttled ? 'throttled' : 'failed'));
  } finally {
    cancel();
  }
  if (result === 'timeout') return finish(errorAnswer(api.type, 'timeout'));
  if (result.functionError) return finish(errorAnswer(api.type, 'failed'));
  // ALB refuses Lambda responses over 1 MB (502), as its documentation states.
  if (route.format === 'alb' && result.payload.length > ALB_MAX_BODY) return finish(errorAnswer(api.type, 'failed'));
  const mapped = route.format === '1.0' ? mapV1(result.payload) : route.format === '2.0' ? mapV2(result.payload) : mapAlb(result.payload, api.multiValueHeaders === true);
  finish(mapped ?? errorAnswer(api.type, 'failed'));
}

function buildEvent(
  format: PayloadFormat,
  api: StoredApi,
  info: ReturnType<typeof requestInfo>,
  routePath: string,
  template: string,
  method: string,
  params: Record<string, string>,
  accountId: string,
  domainName: string,
): Record<string, unknown> {
  const hasParams = Object.keys(params).length > 0;
  const stageVariables = api.stageVariables && Object.keys(api.stageVariables).length > 0 ? api.stageVariables : undefined;
  if (format === 'alb') {
    return albEvent(info, {
      targetGroupArn: `arn:aws:elasticloadbalancing:${api.region}:${accountId}:targetgroup/${api.id}/${api.id.padEnd(16, '0').slice(0, 16)}`,
      multiValueHeaders: api.multiValueHeaders === true,
    });
  }
  if (format === '1.0') {
    let path = routePath;
    try {
      path = decodeURI(routePath);
    } catch {
      /* keep as sent */
    }
    return v1Event(info, {
      accountId,
      apiId: api.id,
      domainName,
      stage: api.stage,
      resource: template === '$default' ? '$default' : template,
      path,
      pathParameters: hasParams ? params : null,
      stageVariables: stageVariables ?? null,
      resourceId: resourceId(template),
    });
  }
  const routeKey = template === '$default' ? '$default' : `${method} ${template}`;
  return v2Event(info, { accountId, apiId: api.id, domainName, routeKey, stage: api.stage, pathParameters: hasParams ? params : undefined, stageVariables });
}

/** A stable six-character id per resource path, as API Gateway shows resource ids. */
function resourceId(path: string): string {
  let h = 2166136261;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36).padStart(6, '0').slice(-6);
}
