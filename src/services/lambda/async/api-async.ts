// Lambda control-plane handlers for asynchronous invocation: Put/Get/Update/Delete/ListFunctionEventInvokeConfigs
// and the legacy InvokeAsync API.
import { z } from 'zod';
import { AwsError } from '../../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../../server/types.js';
import { checkPayload } from '../api-invoke.js';
import { combineQualifier, functionArn, parseFunctionRef } from '../arn.js';
import type { EventInvokeConfig, EventInvokeConfigs } from './event-invoke-config.js';
import type { LambdaInvoker } from '../invoker.js';
import { Constraints } from '../validate.js';
import { destinationConfigInvalid, destinationInvalid, destinationIsSelf, functionDoesntExist, noErrorHandlingOrDestination, noEventInvokeConfig, notReachable } from '../errors.js';
import { parseJsonBody, shape } from '../../../lib/validate.js';

const Dest = z.object({ Destination: z.string().optional() }).optional();
const ConfigShape = z.object({
  MaximumRetryAttempts: z.number().int().optional(),
  MaximumEventAgeInSeconds: z.number().int().optional(),
  DestinationConfig: z.object({ OnSuccess: Dest, OnFailure: Dest }).optional(),
});

const DESTINATION_PATTERN = '^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

export interface AsyncApiDeps {
  invoker: LambdaInvoker;
  configs: EventInvokeConfigs;
  accountId: string;
  enqueue(region: string, functionName: string, qualifier: string | undefined, payload: Buffer, requestId: string): Promise<void>;
}

/** Checks a destination ARN's form (the semantic checks need the function and run in `checkTargets`). */
function checkDestination(c: Constraints, field: string, arn: string | undefined): void {
  if (arn === undefined || arn === '') return;
  c.len(field, arn, 0, 350).pattern(field, arn, DESTINATION_PATTERN);
}

/** The services Lambda delivers async results to. */
const DESTINATION_SERVICES = new Set(['sqs', 'sns', 'lambda', 'events']);

export function asyncRoutes(d: AsyncApiDeps): RestRoute[] {
  /**
   * The function and qualifier a config hangs on. `absent(arn)`: AWS's answer for a missing function or qualifier,
   * which is "doesn't exist" where a config is written or listed and "doesn't have an EventInvokeConfig" where one is
   * read or deleted (`arn` carries the qualifier, `$LATEST` when none was named).
   */
  const target = (req: ApiRequest, absent: (arn: string) => AwsError) => {
    const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 140);
    const qualifier = combineQualifier(ref, req.query.get('Qualifier'));
    if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
    const q = qualifier ?? '$LATEST';
    const arn = functionArn(req.region, d.accountId, ref.name, q);
    try {
      d.invoker.resolve(req.region, ref.name, qualifier);
    } catch {
      throw absent(arn);
    }
    return { name: ref.name, qualifier: q, arn };
  };
  /** A destination must be a service Lambda delivers to, and a function destination another existing function. */
  const checkTargets = (req: ApiRequest, name: string, cfg: z.infer<typeof ConfigShape>['DestinationConfig']): void => {
    const arns = [cfg?.OnSuccess?.Destination, cfg?.OnFailure?.Destination];
    for (const arn of arns) {
      if (!arn) continue;
      const [, , service, , , type, target] = arn.split(':');
      if (!DESTINATION_SERVICES.has(service ?? '')) throw destinationConfigInvalid(arns[0] || undefined, arns[1] || undefined);
      if (service !== 'lambda') continue;
      if (type === 'function' && target === name) throw destinationIsSelf();
      try {
        d.invoker.resolve(req.region, arn);
      } catch {
        throw destinationInvalid(arn);
      }
    }
  };
  const wire = (arn: string, c: EventInvokeConfig) => ({
    LastModified: c.lastModified / 1000,
    FunctionArn: arn,
    ...(c.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: c.MaximumRetryAttempts } : {}),
    ...(c.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: c.MaximumEventAgeInSeconds } : {}),
    DestinationConfig: c.DestinationConfig,
  });
  const parse = (req: ApiRequest) => {
    const input = shape(ConfigShape, parseJsonBody(req.body));
    const c = new Constraints()
      .int('maximumRetryAttempts', input.MaximumRetryAttempts, 0, 2)
      .int('maximumEventAgeInSeconds', input.MaximumEventAgeInSeconds, 60, 21600);
    checkDestination(c, 'destinationConfig.onSuccess.destination', input.DestinationConfig?.OnSuccess?.Destination);
    checkDestination(c, 'destinationConfig.onFailure.destination', input.DestinationConfig?.OnFailure?.Destination);
    c.throwIfAny();
    return input;
  };
  const dest = (x: { Destination?: string } | undefined) => (x?.Destination ? { Destination: x.Destination } : {});
  const path = '/2019-09-25/functions/{FunctionName}/event-invoke-config';

  return [
    {
      op: 'PutFunctionEventInvokeConfig',
      method: 'PUT',
      path,
      handler: async (req) => {
        const input = parse(req);
        if (input.MaximumRetryAttempts === undefined && input.MaximumEventAgeInSeconds === undefined && input.DestinationConfig === undefined) {
          throw noErrorHandlingOrDestination();
        }
        const t = target(req, functionDoesntExist);
        checkTargets(req, t.name, input.DestinationConfig);
        const c = await d.configs.put(req.region, t.name, t.qualifier, {
          MaximumRetryAttempts: input.MaximumRetryAttempts,
          MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds,
          DestinationConfig: { OnSuccess: dest(input.DestinationConfig?.OnSuccess), OnFailure: dest(input.DestinationConfig?.OnFailure) },
        });
        return { body: wire(t.arn, c) };
      },
    },
    {
      op: 'UpdateFunctionEventInvokeConfig',
      method: 'POST',
      path,
      handler: async (req) => {
        const input = parse(req);
        const t = target(req, functionDoesntExist);
        checkTargets(req, t.name, input.DestinationConfig);
        const old = d.configs.get(req.region, t.name, t.qualifier);
        if (!old) throw noEventInvokeConfig(t.arn);
        const c = await d.configs.put(req.region, t.name, t.qualifier, {
          MaximumRetryAttempts: input.MaximumRetryAttempts ?? old.MaximumRetryAttempts,
          MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds ?? old.MaximumEventAgeInSeconds,
          DestinationConfig: {
            OnSuccess: input.DestinationConfig?.OnSuccess ? dest(input.DestinationConfig.OnSuccess) : old.DestinationConfig.OnSuccess,
            OnFailure: input.DestinationConfig?.OnFailure ? dest(input.DestinationConfig.OnFailure) : old.DestinationConfig.OnFailure,
          },
        });
        return { body: wire(t.arn, c) };
      },
    },
    {
      op: 'GetFunctionEventInvokeConfig',
      method: 'GET',
      path,
      handler: async (req) => {
        const t = target(req, noEventInvokeConfig);
        const c = d.configs.get(req.region, t.name, t.qualifier);
        if (!c) throw noEventInvokeConfig(t.arn);
        return { body: wire(t.arn, c) };
      },
    },
    {
      op: 'DeleteFunctionEventInvokeConfig',
      method: 'DELETE',
      path,
      handler: async (req) => {
        const t = target(req, noEventInvokeConfig);
        if (!d.configs.get(req.region, t.name, t.qualifier)) throw noEventInvokeConfig(t.arn);
        await d.configs.delete(req.region, t.name, t.qualifier);
        return { status: 204 };
      },
    },
    {
      op: 'ListFunctionEventInvokeConfigs',
      method: 'GET',
      path: `${path}/list`,
      handler: async (req) => {
        const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 140);
        if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
        let name: string;
        try {
          name = d.invoker.resolve(req.region, ref.name).fn.name;
        } catch {
          throw functionDoesntExist();
        }
        const maxRaw = req.query.get('MaxItems');
        const max = maxRaw === null ? 50 : Number(maxRaw);
        new Constraints().int('maxItems', Number.isInteger(max) ? max : 0, 1, 50).throwIfAny();
        const all = d.configs.list(req.region, name);
        const marker = req.query.get('Marker');
        const start = marker ? Math.max(0, all.findIndex((x) => x.qualifier === marker)) : 0;
        const page = all.slice(start, start + max);
        const next = all[start + max];
        return {
          body: {
            FunctionEventInvokeConfigs: page.map((x) => wire(functionArn(req.region, d.accountId, name, x.qualifier), x.config)),
            ...(next ? { NextMarker: next.qualifier } : {}),
          },
        };
      },
    },
    {
      op: 'InvokeAsync',
      method: 'POST',
      path: '/2014-11-13/functions/{FunctionName}/invoke-async',
      maxBody: 1_048_576,
      tooLarge: () => new AwsError('RequestTooLargeException', 'Request must be smaller than 1048576 bytes for the InvokeAsync operation'),
      handler: async (req) => {
        const ref = parseFunctionRef(req.params['FunctionName'] ?? '', 170);
        const r = d.invoker.resolve(req.region, ref.name, ref.qualifier);
        const payload = checkPayload(req.body);
        await d.enqueue(req.region, r.fn.name, ref.qualifier, payload, req.requestId);
        return { status: 202, body: { Status: 202 } };
      },
    },
  ];
}
