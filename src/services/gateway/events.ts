// Builds AWS's Lambda events for HTTP front doors: payload 2.0 (function URLs, HTTP APIs), payload 1.0 (REST
// APIs) and ALB target events, field by field as AWS's samples show them.
import { clfTime, headerValue, isTextBody, queryPairs, type HttpRequestInfo } from './request.js';

export interface V2Context {
  accountId: string;
  apiId: string;
  domainName: string;
  routeKey: string;
  stage: string;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
  /** Function URL with AWS_IAM: the caller's identity. */
  iam?: { accessKey: string; accountId: string; callerId: string; userArn: string; userId: string };
}

function body(info: HttpRequestInfo): { body?: string; isBase64Encoded: boolean } {
  if (info.body.length === 0) return { isBase64Encoded: false };
  const text = isTextBody(headerValue(info.headerPairs, 'content-type'), info.body);
  return text ? { body: info.body.toString('utf8'), isBase64Encoded: false } : { body: info.body.toString('base64'), isBase64Encoded: true };
}

/** Payload format 2.0: lower-cased headers joined with commas, cookies split out, query values joined. */
export function v2Event(info: HttpRequestInfo, c: V2Context): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of info.headerPairs) {
    const n = k.toLowerCase();
    if (n === 'cookie') {
      cookies.push(...v.split(';').map((s) => s.trim()).filter((s) => s !== ''));
      continue;
    }
    headers[n] = headers[n] === undefined ? v : `${headers[n]},${v}`;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(info.rawQuery, true)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const path = info.rawPath;
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: c.routeKey,
    rawPath: path,
    rawQueryString: info.rawQuery,
  };
  if (cookies.length > 0) event['cookies'] = cookies;
  event['headers'] = headers;
  if (Object.keys(query).length > 0) event['queryStringParameters'] = query;
  if (c.pathParameters && Object.keys(c.pathParameters).length > 0) event['pathParameters'] = c.pathParameters;
  if (c.stageVariables && Object.keys(c.stageVariables).length > 0) event['stageVariables'] = c.stageVariables;
  event['requestContext'] = {
    accountId: c.accountId,
    apiId: c.apiId,
    ...(c.iam ? { authorizer: { iam: c.iam } } : {}),
    domainName: c.domainName,
    domainPrefix: c.domainName.split('.')[0],
    http: { method: info.method, path: decodePath(path), protocol: info.protocol, sourceIp: info.sourceIp, userAgent: info.userAgent },
    requestId: info.requestId,
    routeKey: c.routeKey,
    stage: c.stage,
    time: clfTime(info.timeEpoch),
    timeEpoch: info.timeEpoch,
  };
  Object.assign(event, body(info));
  return event;
}

function decodePath(p: string): string {
  try {
    return decodeURI(p);
  } catch {
    return p;
  }
}

export interface V1Context {
  accountId: string;
  apiId: string;
  domainName: string;
  stage: string;
  /** The resource template, e.g. `/pets/{id}` or `/{proxy+}`. */
  resource: string;
  /** The path after the stage, decoded. */
  path: string;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  resourceId: string;
}

/** Payload format 1.0 (REST APIs): headers as sent (last value wins) beside multiValueHeaders; nulls for absent maps. */
export function v1Event(info: HttpRequestInfo, c: V1Context): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const mvHeaders: Record<string, string[]> = {};
  for (const [k, v] of info.headerPairs) {
    headers[k] = v;
    (mvHeaders[k] ??= []).push(v);
  }
  const qs: Record<string, string> = {};
  const mvQs: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(info.rawQuery, true)) {
    qs[k] = v;
    (mvQs[k] ??= []).push(v);
  }
  const hasQs = Object.keys(qs).length > 0;
  const b = body(info);
  const stagePath = c.stage === '$default' ? c.path : `/${c.stage}${c.path}`;
  return {
    resource: c.resource,
    path: c.path,
    httpMethod: info.method,
    headers,
    multiValueHeaders: mvHeaders,
    queryStringParameters: hasQs ? qs : null,
    multiValueQueryStringParameters: hasQs ? mvQs : null,
    pathParameters: c.pathParameters,
    stageVariables: c.stageVariables,
    requestContext: {
      accountId: c.accountId,
      resourceId: c.resourceId,
      path: stagePath,
      stage: c.stage,
      domainName: c.domainName,
      domainPrefix: c.domainName.split('.')[0],
      requestId: info.requestId,
      extendedRequestId: info.requestId,
      protocol: info.protocol,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        apiKey: null,
        apiKeyId: null,
        accessKey: null,
        sourceIp: info.sourceIp,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: info.userAgent,
        user: null,
        clientCert: null,
      },
      resourcePath: c.resource,
      httpMethod: info.method,
      requestTime: clfTime(info.timeEpoch),
      requestTimeEpoch: info.timeEpoch,
      apiId: c.apiId,
    },
    body: b.body ?? null,
    isBase64Encoded: b.isBase64Encoded,
  };
}

/** ALB target event: lower-cased headers, query values kept as sent (ALB does not decode them). */
export function albEvent(info: HttpRequestInfo, c: { targetGroupArn: string; multiValueHeaders: boolean }): Record<string, unknown> {
  const event: Record<string, unknown> = { requestContext: { elb: { targetGroupArn: c.targetGroupArn } }, httpMethod: info.method, path: info.rawPath };
  const q = queryPairs(info.rawQuery, false);
  if (c.multiValueHeaders) {
    const mvQs: Record<string, string[]> = {};
    for (const [k, v] of q) (mvQs[k] ??= []).push(v);
    const mvHeaders: Record<string, string[]> = {};
    for (const [k, v] of info.headerPairs) (mvHeaders[k.toLowerCase()] ??= []).push(v);
    event['multiValueQueryStringParameters'] = mvQs;
    event['multiValueHeaders'] = mvHeaders;
  } else {
    const qs: Record<string, string> = {};
    for (const [k, v] of q) qs[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of info.headerPairs) headers[k.toLowerCase()] = v;
    event['queryStringParameters'] = qs;
    event['headers'] = headers;
  }
  const b = body(info);
  event['body'] = b.body ?? '';
  event['isBase64Encoded'] = b.isBase64Encoded;
  return event;
}
