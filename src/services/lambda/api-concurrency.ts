// Lambda control-plane handlers for concurrency: reserved (Put/Get/DeleteFunctionConcurrency) and provisioned
// (Put/Get/Delete/ListProvisionedConcurrencyConfigs).
import { z } from 'zod';
import type { Concurrency } from '../../engine/concurrency.js';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { combineQualifier, parseFunctionRef } from './arn.js';
import type { FunctionRegistry } from './functions.js';
import type { ProvisionedConcurrency } from './provisioned.js';
import { Constraints, parseJsonBody, shape } from './validate.js';

const ReservedShape = z.object({ ReservedConcurrentExecutions: z.number().int().optional() });
const ProvisionedShape = z.object({ ProvisionedConcurrentExecutions: z.number().int().optional() });

/** AWS keeps at least 100 of 1,000 unreserved; with a smaller configured limit, the same tenth. */
export const minUnreserved = (accountLimit: number): number => Math.min(100, Math.floor(accountLimit / 10));

export function concurrencyRoutes(registry: FunctionRegistry, concurrency: Concurrency, provisioned: ProvisionedConcurrency): RestRoute[] {
  const fnOf = (req: ApiRequest) => {
    const r = parseFunctionRef(req.params['FunctionName'] ?? '');
    return { fn: registry.requireFunction(req.region, r), qualifier: combineQualifier(r, req.query.get('Qualifier')) };
  };
  const unqualifiedFn = (req: ApiRequest) => {
    const { fn, qualifier } = fnOf(req);
    if (qualifier !== undefined) throw new AwsError('InvalidParameterValueException', 'This operation does not support a qualifier; use the unqualified function name.');
    return fn;
  };

  return [
    {
      op: 'PutFunctionConcurrency',
      method: 'PUT',
      path: '/2017-10-31/functions/{FunctionName}/concurrency',
      handler: async (req) => {
        const fn = unqualifiedFn(req);
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
      },
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
        return { body: { ProvisionedConcurrencyConfigs: provisioned.list(req.region, fn.name) } };
      },
    },
    {
      op: 'PutProvisionedConcurrencyConfig',
      method: 'PUT',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: async (req) => {
        const { fn, qualifier } = fnOf(req);
        const input = shape(ProvisionedShape, parseJsonBody(req.body));
        const n = input.ProvisionedConcurrentExecutions;
        const c = new Constraints();
        if (n === undefined) c.custom('provisionedConcurrentExecutions', null, 'Member must not be null');
        c.int('provisionedConcurrentExecutions', n, 1).throwIfAny();
        return { status: 202, body: await provisioned.put(req.region, fn.name, qualifier, n!) };
      },
    },
    {
      op: 'GetProvisionedConcurrencyConfig',
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: async (req) => {
        const { fn, qualifier } = fnOf(req);
        return { body: provisioned.get(req.region, fn.name, qualifier) };
      },
    },
    {
      op: 'DeleteProvisionedConcurrencyConfig',
      method: 'DELETE',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      handler: async (req) => {
        const { fn, qualifier } = fnOf(req);
        await provisioned.delete(req.region, fn.name, qualifier);
        return { status: 204 };
      },
    },
  ];
}
