// Lambda control-plane handlers for recursive loop detection: Put/GetFunctionRecursionConfig, and selfless's own
// read of the RecursiveInvocationsDropped count (AWS reports it as a CloudWatch metric, which selfless does not have).
import { z } from 'zod';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import { parseFunctionRef } from './arn.js';
import { notReachable, unqualifiedOnly } from './errors.js';
import type { FunctionRegistry } from './functions.js';
import type { RecursionControl, RecursiveLoop } from './recursion.js';
import { Constraints } from './validate.js';

const PutShape = z.object({ RecursiveLoop: z.string().optional() });
const LOOPS: readonly RecursiveLoop[] = ['Allow', 'Terminate'];

export function recursionRoutes(registry: FunctionRegistry, recursion: RecursionControl): RestRoute[] {
  /** The function itself: the setting belongs to the function, not to a version or alias. */
  const functionOf = (req: ApiRequest) => {
    const ref = parseFunctionRef(req.params['FunctionName'] ?? '');
    if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
    if (ref.qualifier !== undefined) throw unqualifiedOnly();
    return registry.requireFunction(req.region, ref);
  };
  return [
    {
      op: 'PutFunctionRecursionConfig',
      method: 'PUT',
      path: '/2024-08-31/functions/{FunctionName}/recursion-config',
      handler: async (req) => {
        const input = shape(PutShape, parseJsonBody(req.body));
        const c = new Constraints();
        if (input.RecursiveLoop === undefined) c.custom('recursiveLoop', null, 'Member must not be null');
        c.oneOf('recursiveLoop', input.RecursiveLoop, LOOPS).throwIfAny();
        const fn = functionOf(req);
        await recursion.put(req.region, fn.name, input.RecursiveLoop as RecursiveLoop);
        return { body: { RecursiveLoop: input.RecursiveLoop } };
      },
    },
    {
      op: 'GetFunctionRecursionConfig',
      method: 'GET',
      path: '/2024-08-31/functions/{FunctionName}/recursion-config',
      handler: async (req) => ({ body: { RecursiveLoop: recursion.get(req.region, functionOf(req).name) } }),
    },
    {
      // Not an AWS operation: the RecursiveInvocationsDropped count, kept in the store (so cluster-wide and durable).
      op: 'selfless:GetRecursionStats',
      method: 'GET',
      path: '/_selfless/lambda/functions/{FunctionName}/recursion',
      handler: async (req) => ({ body: await recursion.stats(req.region, functionOf(req).name) }),
    },
  ];
}
