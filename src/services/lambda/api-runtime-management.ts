// Lambda control-plane handlers for runtime management (Put/GetRuntimeManagementConfig), and the Lambda Managed
// Instances operations (function scaling configs, capacity providers), which this server refuses with a clear reason.
import { z } from 'zod';
import { AwsError, notFound } from '../../lib/errors.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { combineQualifier, parseFunctionRef } from './arn.js';
import { managedInstancesUnsupported, notReachable } from './errors.js';
import type { FunctionRegistry, ResolvedVersion } from './functions.js';
import { LATEST, toWire } from './model.js';
import type { RuntimeManagementConfigs } from './runtime-management.js';
import { checkMaxItems } from './validate.js';

const PutShape = z.object({ UpdateRuntimeOn: z.enum(['Auto', 'FunctionUpdate', 'Manual']), RuntimeVersionArn: z.string().optional() });
const invalid = (message: string): AwsError => new AwsError('InvalidParameterValueException', message);

/** The version the path's function name and `?Qualifier=` name (AWS's not-found and other-region errors). */
function versionOf(registry: FunctionRegistry, req: ApiRequest): ResolvedVersion {
  const ref = parseFunctionRef(req.params['FunctionName'] ?? '');
  if (ref.region && ref.region !== req.region) throw notReachable(ref.region, req.region);
  return registry.requireVersion(req.region, ref, combineQualifier(ref, req.query.get('Qualifier')));
}

export function runtimeManagementRoutes(registry: FunctionRegistry, configs: RuntimeManagementConfigs): RestRoute[] {
  /** The one runtime version selfless runs a version's runtime at (what GetFunctionConfiguration shows). */
  const runtimeVersionOf = (req: ApiRequest, v: ResolvedVersion): string | undefined =>
    (toWire(registry.accountId, req.region, v.version, v.config).RuntimeVersionConfig as { RuntimeVersionArn?: string } | undefined)?.RuntimeVersionArn;
  const arnOf = (req: ApiRequest, v: ResolvedVersion): string => registry.arn(req.region, v.fn.name, v.version === LATEST ? LATEST : v.version);
  return [
    {
      op: 'PutRuntimeManagementConfig',
      method: 'PUT',
      path: '/2021-07-20/functions/{FunctionName}/runtime-management-config',
      handler: async (req) => {
        const v = versionOf(registry, req);
        const input = shape(PutShape, parseJsonBody(req.body));
        const current = runtimeVersionOf(req, v);
        if (!current) throw invalid('Runtime management configuration is not supported for functions created with container images.');
        if (input.UpdateRuntimeOn === 'Manual') {
          if (input.RuntimeVersionArn === undefined) throw invalid('RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.');
          if (input.RuntimeVersionArn !== current) {
            throw invalid(`Runtime version ${input.RuntimeVersionArn} is not a version of runtime ${v.config.Runtime ?? ''}: this server runs ${v.config.Runtime ?? ''} at ${current} only.`);
          }
        } else if (input.RuntimeVersionArn !== undefined) {
          throw invalid(`RuntimeVersionArn can only be provided when UpdateRuntimeOn is Manual, not ${input.UpdateRuntimeOn}.`);
        }
        await configs.put(req.region, v.fn.name, v.version, input);
        return { body: { UpdateRuntimeOn: input.UpdateRuntimeOn, FunctionArn: arnOf(req, v), ...(input.RuntimeVersionArn ? { RuntimeVersionArn: input.RuntimeVersionArn } : {}) } };
      },
    },
    {
      op: 'GetRuntimeManagementConfig',
      method: 'GET',
      path: '/2021-07-20/functions/{FunctionName}/runtime-management-config',
      handler: async (req) => {
        const v = versionOf(registry, req);
        const c = await configs.get(req.region, v.fn.name, v.version);
        return { body: { UpdateRuntimeOn: c.UpdateRuntimeOn, FunctionArn: arnOf(req, v), ...(c.RuntimeVersionArn ? { RuntimeVersionArn: c.RuntimeVersionArn } : {}) } };
      },
    },
  ];
}

/** Lambda Managed Instances: function scaling configs and capacity providers. No function of this server runs on one. */
export function managedInstancesRoutes(registry: FunctionRegistry): RestRoute[] {
  const providerMissing = (req: ApiRequest) => notFound(`Capacity provider not found: ${req.params['CapacityProviderName'] ?? ''}. Lambda Managed Instances (capacity providers) are not supported on this server.`);
  return [
    {
      op: 'PutFunctionScalingConfig',
      method: 'PUT',
      path: '/2025-11-30/functions/{FunctionName}/function-scaling-config',
      handler: async (req) => {
        versionOf(registry, req);
        throw managedInstancesUnsupported('A function scaling configuration');
      },
    },
    {
      op: 'GetFunctionScalingConfig',
      method: 'GET',
      path: '/2025-11-30/functions/{FunctionName}/function-scaling-config',
      handler: async (req) => {
        versionOf(registry, req);
        throw managedInstancesUnsupported('A function scaling configuration');
      },
    },
    {
      op: 'CreateCapacityProvider',
      method: 'POST',
      path: '/2025-11-30/capacity-providers',
      handler: async () => {
        throw managedInstancesUnsupported('CreateCapacityProvider');
      },
    },
    {
      op: 'UpdateCapacityProvider',
      method: 'PUT',
      path: '/2025-11-30/capacity-providers/{CapacityProviderName}',
      handler: async (req) => {
        throw providerMissing(req);
      },
    },
    {
      op: 'GetCapacityProvider',
      method: 'GET',
      path: '/2025-11-30/capacity-providers/{CapacityProviderName}',
      handler: async (req) => {
        throw providerMissing(req);
      },
    },
    {
      op: 'DeleteCapacityProvider',
      method: 'DELETE',
      path: '/2025-11-30/capacity-providers/{CapacityProviderName}',
      handler: async (req) => {
        throw providerMissing(req);
      },
    },
    {
      op: 'ListCapacityProviders',
      method: 'GET',
      path: '/2025-11-30/capacity-providers',
      handler: async (req) => {
        checkMaxItems(req.query.get('MaxItems'), 50);
        return { body: { CapacityProviders: [] } };
      },
    },
    {
      op: 'ListFunctionVersionsByCapacityProvider',
      method: 'GET',
      path: '/2025-11-30/capacity-providers/{CapacityProviderName}/function-versions',
      handler: async (req) => {
        throw providerMissing(req);
      },
    },
  ];
}
