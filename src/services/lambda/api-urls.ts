// Function URL control plane: Create/Get/Update/Delete/ListFunctionUrlConfigs, with AWS's checks and wire shapes.
import { z } from 'zod';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { functionArn, parseFunctionRef, validationError } from './arn.js';
import type { FunctionRegistry } from './functions.js';
import type { FunctionRecord } from './model.js';
import { newUrlId, UrlCorsShape, type UrlConfig, type UrlCors, type UrlRegistry } from './urls.js';
import { checkMaxItems, Constraints } from './validate.js';
import { notReachable, resourceMissing, urlFunctionMissing } from './errors.js';
import { parseJsonBody, shape } from '../../lib/validate.js';

const QUALIFIER_PATTERN = '((?!^\\d+$)^[0-9a-zA-Z-_]+$)';
const CreateShape = z.object({ AuthType: z.string().optional(), Cors: UrlCorsShape.optional(), InvokeMode: z.string().optional() });
const UpdateShape = CreateShape;

/** Host name of a URL: `<id>.lambda-url.<region>.localhost` (names under .localhost resolve to loopback). */
export function urlHost(id: string, region: string): string {
  return `${id}.lambda-url.${region}.localhost`;
}

function checkCors(c: Constraints, cors: UrlCors | undefined): void {
  if (!cors) return;
  const list = (field: string, xs: string[] | undefined, max: number, maxLen: number): void => {
    if (!xs) return;
    if (xs.length > max) c.custom(`cors.${field}`, xs, `Member must have length less than or equal to ${max}`);
    xs.forEach((x) => c.len(`cors.${field}.member`, x, 1, maxLen));
  };
  list('allowHeaders', cors.AllowHeaders, 100, 1024);
  list('allowMethods', cors.AllowMethods, 6, 6);
  list('allowOrigins', cors.AllowOrigins, 100, 253);
  list('exposeHeaders', cors.ExposeHeaders, 100, 1024);
  c.int('cors.maxAge', cors.MaxAge, 0, 86400);
  for (const m of cors.AllowMethods ?? []) c.pattern('cors.allowMethods.member', m, '.*');
}

export function urlRoutes(registry: FunctionRegistry, urls: UrlRegistry): RestRoute[] {
  /** The function and the qualifier the URL hangs on ($LATEST or an alias; never a version number). */
  /**
   * The function and the qualifier the URL hangs on (an alias, or none for $LATEST). `absent`: AWS's answer when the
   * function or alias is missing, which differs between the operations that write a config and those that read one.
   */
  const target = (req: ApiRequest, absent: () => AwsError): { fn: FunctionRecord; qualifier: string | undefined } => {
    const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 140);
    const q = req.query.get('Qualifier') ?? undefined;
    if (q !== undefined && ref.qualifier !== undefined && q !== ref.qualifier) {
      throw new AwsError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
    }
    const qualifier = q ?? ref.qualifier;
    if (qualifier !== undefined) {
      if (qualifier.length < 1 || qualifier.length > 128) throw validationError('qualifier', qualifier, 'Member must have length less than or equal to 128');
      if (!new RegExp(QUALIFIER_PATTERN).test(qualifier)) throw validationError('qualifier', qualifier, `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`);
    }
    if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
    const fn = registry.find(req.region, ref.name);
    if (!fn || (qualifier !== undefined && !fn.aliases.has(qualifier))) throw absent();
    return { fn, qualifier };
  };
  const port = (req: ApiRequest): string => {
    try {
      return new URL(req.baseUrl).port;
    } catch {
      return '';
    }
  };
  /**
   * A URL config on the wire. AWS's answers differ by operation: GetFunctionUrlConfig and the list carry
   * LastModifiedTime and InvokeMode; CreateFunctionUrlConfig neither, UpdateFunctionUrlConfig LastModifiedTime; both
   * echo an InvokeMode the call gave (`withMode`).
   */
  const wire = (req: ApiRequest, c: UrlConfig, withModified: boolean, withMode = true): Record<string, unknown> => ({
    FunctionUrl: `http://${urlHost(c.urlId, c.region)}${port(req) ? `:${port(req)}` : ''}/`,
    FunctionArn: functionArn(c.region, registry.accountId, c.functionName, c.qualifier),
    AuthType: c.AuthType,
    ...(c.Cors ? { Cors: c.Cors } : {}),
    CreationTime: c.CreationTime,
    ...(withModified ? { LastModifiedTime: c.LastModifiedTime } : {}),
    ...(withMode ? { InvokeMode: c.InvokeMode } : {}),
  });
  const check = (input: z.infer<typeof CreateShape>, requireAuth: boolean): void => {
    const c = new Constraints();
    if (requireAuth && input.AuthType === undefined) c.custom('authType', null, 'Member must not be null');
    c.oneOf('authType', input.AuthType, ['NONE', 'AWS_IAM']).oneOf('invokeMode', input.InvokeMode, ['BUFFERED', 'RESPONSE_STREAM']);
    checkCors(c, input.Cors);
    c.throwIfAny();
  };

  return [
    {
      op: 'CreateFunctionUrlConfig',
      method: 'POST',
      path: '/2021-10-31/functions/{FunctionName}/url',
      handler: async (req) => {
        const { fn, qualifier } = target(req, urlFunctionMissing);
        const input = shape(CreateShape, parseJsonBody(req.body));
        check(input, true);
        if (urls.get(req.region, fn.name, qualifier)) {
          throw new AwsError(
            'ResourceConflictException',
            `Failed to create function url config for [functionArn = ${functionArn(req.region, registry.accountId, fn.name, qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
          );
        }
        const now = urls.now();
        const c: UrlConfig = {
          region: req.region,
          functionName: fn.name,
          qualifier,
          urlId: newUrlId(),
          AuthType: input.AuthType as UrlConfig['AuthType'],
          InvokeMode: (input.InvokeMode ?? 'BUFFERED') as UrlConfig['InvokeMode'],
          Cors: input.Cors,
          CreationTime: now,
          LastModifiedTime: now,
        };
        await urls.put(c);
        return { status: 201, body: wire(req, c, false, input.InvokeMode !== undefined) };
      },
    },
    {
      op: 'GetFunctionUrlConfig',
      method: 'GET',
      path: '/2021-10-31/functions/{FunctionName}/url',
      handler: async (req) => {
        const { fn, qualifier } = target(req, resourceMissing);
        const c = urls.get(req.region, fn.name, qualifier);
        if (!c) throw resourceMissing();
        return { body: wire(req, c, true) };
      },
    },
    {
      op: 'UpdateFunctionUrlConfig',
      method: 'PUT',
      path: '/2021-10-31/functions/{FunctionName}/url',
      handler: async (req) => {
        const { fn, qualifier } = target(req, urlFunctionMissing);
        const input = shape(UpdateShape, parseJsonBody(req.body));
        check(input, false);
        const c = urls.get(req.region, fn.name, qualifier);
        if (!c) throw resourceMissing();
        const next: UrlConfig = {
          ...c,
          AuthType: (input.AuthType ?? c.AuthType) as UrlConfig['AuthType'],
          InvokeMode: (input.InvokeMode ?? c.InvokeMode) as UrlConfig['InvokeMode'],
          Cors: input.Cors !== undefined ? input.Cors : c.Cors,
          LastModifiedTime: urls.now(),
        };
        await urls.put(next);
        return { body: wire(req, next, true, input.InvokeMode !== undefined) };
      },
    },
    {
      op: 'DeleteFunctionUrlConfig',
      method: 'DELETE',
      path: '/2021-10-31/functions/{FunctionName}/url',
      handler: async (req) => {
        const { fn, qualifier } = target(req, resourceMissing);
        const c = urls.get(req.region, fn.name, qualifier);
        if (!c) throw resourceMissing();
        await urls.delete(c);
        return { status: 204 };
      },
    },
    {
      op: 'ListFunctionUrlConfigs',
      method: 'GET',
      path: '/2021-10-31/functions/{FunctionName}/urls',
      handler: async (req) => {
        const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 140);
        if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
        const fn = registry.find(req.region, ref.name);
        if (!fn) throw urlFunctionMissing();
        const max = checkMaxItems(req.query.get('MaxItems'), 50) ?? 50;
        const all = urls.list(req.region, fn.name);
        const marker = req.query.get('Marker');
        const start = marker ? Math.max(0, all.findIndex((c) => c.urlId === marker)) : 0;
        const page = all.slice(start, start + max);
        const next = all[start + max];
        return { body: { FunctionUrlConfigs: page.map((c) => wire(req, c, true)), ...(next ? { NextMarker: next.urlId } : {}) } };
      },
    },
  ];
}
