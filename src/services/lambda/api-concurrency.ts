// Lambda control-plane handlers for concurrency: reserved (Put/Get/DeleteFunctionConcurrency) and provisioned
// (Put/Get/Delete/ListProvisionedConcurrencyConfigs).
import { z } from 'zod';
import type { Concurrency } from '../../engine/concurrency.js';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { combineQualifier, parseFunctionRef } from './arn.js';
import type { FunctionRegistry } from './functions.js';
import type { ProvisionedConcurrency } from './provisioned.js';
import { checkMaxItems, Constraints } from './validate.js';
import { notReachable, provisionedOnUnpublished, unqualifiedOnly } from './errors.js';
import { LATEST } from './model.js';
import { parseJsonBody, shape } from '../../lib/validate.js';

const ReservedShape = z.object({ ReservedConcurrentExecutions: z.number().int().optional() });
const ProvisionedShape = z.object({ ProvisionedConcurrentExecutions: z.number().int().optional() });

/** AWS keeps at least 100 of 1,000 unreserved; with a smaller configured limit, the same tenth. */
export const minUnreserved = (accountLimit: number): number => Math.min(100, Math.floor(accountLimit / 10));

export function concurrencyRoutes(registry: FunctionRegistry, concurrency: Concurrency, provisioned: ProvisionedConcurrency): RestRoute[] {
  const refOf = (req: ApiRequest) => {
    const ref = parseFunctionRef(req.params['FunctionName'] ?? '');
    const qualifier = combineQualifier(ref, req.query.get('Qualifier'));
    if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
    return { ref, qualifier };
  };
  /** The function itself (reserved concurrency is not set on versions or aliases). `asNamed`: AWS's not-found names $LATEST. */
  const unqualifiedFn = (req: ApiRequest, asNamed?: string) => {
    const { ref, qualifier } = refOf(req);
    const fn = registry.find(req.region, ref.name);
    if (fn && qualifier !== undefined) throw unqualifiedOnly();
    return registry.requireFunction(req.region, ref, asNamed);
  };

  // Puts check the account-wide minimum against every other reservation: one at a time, so two cannot both pass it.
  let last: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = last.catch(() => undefined).then(fn);
    last = run;
    return run;
  };

  return [
    {
      op: 'PutFunctionConcurrency',
      method: 'PUT',
      path: '/2017-10-31/functions/{FunctionName}/concurrency',
      handler: (req) => serial(async () => {
        const fn = unqualifiedFn(req, LATEST);
        const input = shape(ReservedShape, parseJsonBody(req.body));
        const n = input.ReservedConcurrentExecutions;
        const c = new Constraints();
        if (n === undefined) c.custom('reservedConcurrentExecutions', null, 'Member must not be null');
        c.int('reservedConcurrentExecutions', n, 0).throwIfAny();
        const others = registry.reservedTotal() - (fn.reserved ?? 0);
        const floor = minUnreserved(concurrency.accountLimit);
        if (concurrency.accountLimit - others - n! < floor) {
          throw new AwsError(
            'InvalidParameterValueException',
            `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${floor}].`,
          );
        }
        await registry.setReserved(fn, n);
        return { body: { ReservedConcurrentExecutions: n } };
      }),
    },
    {
      op: 'GetFunctionConcurrency',
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/concurrency',
      handler: async (req) => {
        const fn = unqualifiedFn(req);
        return { body: fn.reserved !== undefined ? { ReservedConcurrentExecutions: fn.reserved } : {} };
      },
    },
    {
      op: 'DeleteFunctionConcurrency',
      method: 'DELETE',
      path: '/2017-10-31/functions/{FunctionName}/concurrency',
      handler: async (req) => {
        await registry.setReserved(unqualifiedFn(req), undefined);
        return { status: 204 };
      },
    },
    {
      op: 'ListProvisionedConcurrencyConfigs',
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      query: { name: 'List', value: 'ALL' },
      handler: async (req) => {
        const fn = unqualifiedFn(req);
        const max = checkMaxItems(req.query.get('MaxItems')) ?? 50;
        const marker = req.query.get('Marker');
        const all = provisioned.list(req.region, fn.name).sort((a, b) => (String(a['FunctionArn']) < String(b['FunctionArn']) ? -1 : 1));
        // The marker is the last ARN of the previous page.
        const rest = marker === null ? all : all.filter((c) => String(c['FunctionArn']) > marker);
        const page = rest.slice(0, Math.min(max, 50));
        return {
          body: { ProvisionedConcurrencyConfigs: page, ...(rest.length > page.length ? { NextMarker: String(page[page.length - 1]!['FunctionArn']) } : {}) },
        };
      },
    },
    {
      op: 'PutProvisionedConcurrencyConfig',
      method: 'PUT',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: (req) => serial(async () => {
        const { ref, qualifier } = refOf(req);
        const { fn } = provisioned.target(req.region, ref.name, qualifier, provisionedOnUnpublished);
        const input = shape(ProvisionedShape, parseJsonBody(req.body));
        const n = input.ProvisionedConcurrentExecutions;
        const c = new Constraints();
        if (n === undefined) c.custom('provisionedConcurrentExecutions', null, 'Member must not be null');
        c.int('provisionedConcurrentExecutions', n, 1).throwIfAny();
        // Without a reservation, provisioned environments come out of the unreserved pool, which keeps its minimum
        // (this also bounds how many runtimes one request can start).
        if (fn.reserved === undefined && qualifier !== undefined) {
          const floor = minUnreserved(concurrency.accountLimit);
          const others = provisioned.unreservedTotal({ region: req.region, name: fn.name, qualifier });
          if (concurrency.unreservedLimit - others - n! < floor) {
            throw new AwsError(
              'InvalidParameterValueException',
              `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${floor}].`,
            );
          }
        }
        return { status: 202, body: await provisioned.put(req.region, fn.name, qualifier, n!) };
      }),
    },
    {
      op: 'GetProvisionedConcurrencyConfig',
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: async (req) => {
        const { ref, qualifier } = refOf(req);
        return { body: provisioned.get(req.region, ref.name, qualifier) };
      },
    },
    {
      op: 'DeleteProvisionedConcurrencyConfig',
      method: 'DELETE',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: async (req) => {
        const { ref, qualifier } = refOf(req);
        await provisioned.delete(req.region, ref.name, qualifier);
        return { status: 204 };
      },
    },
  ];
}
