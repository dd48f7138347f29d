// Lambda control-plane handlers for code signing: configurations (create, get, update, delete, list, the functions
// using one) and a function's configuration (put, get, delete).
import { z } from 'zod';
import { parseJsonBody, shape } from '../../lib/validate.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { parseFunctionRef } from './arn.js';
import type { CodeSigning } from './code-signing.js';
import { codeSigningOnImage, unqualifiedOnly } from './errors.js';
import type { FunctionRegistry } from './functions.js';
import { LATEST } from './model.js';
import { checkMaxItems } from './validate.js';

const Policies = z.object({ UntrustedArtifactOnDeployment: z.enum(['Warn', 'Enforce']).optional() });
const Publishers = z.object({ SigningProfileVersionArns: z.array(z.string()) });
const CreateShape = z.object({ Description: z.string().optional(), AllowedPublishers: Publishers, CodeSigningPolicies: Policies.optional(), Tags: z.record(z.string(), z.string()).optional() });
const UpdateShape = z.object({ Description: z.string().optional(), AllowedPublishers: Publishers.optional(), CodeSigningPolicies: Policies.optional() });
const PutFunctionShape = z.object({ CodeSigningConfigArn: z.string() });

/** Marker pagination over a sorted list: the marker is the last key of the previous page. */
function pageAfter<T>(items: T[], key: (t: T) => string, req: ApiRequest, dflt: number): { items: T[]; next?: string } {
  const max = checkMaxItems(req.query.get('MaxItems')) ?? dflt;
  const marker = req.query.get('Marker');
  const rest = marker === null ? items : items.filter((t) => key(t) > marker);
  const out = rest.slice(0, max);
  return { items: out, ...(rest.length > max ? { next: key(out[out.length - 1]!) } : {}) };
}

export function codeSigningRoutes(registry: FunctionRegistry, signing: CodeSigning): RestRoute[] {
  const arnOf = (req: ApiRequest): string => req.params['CodeSigningConfigArn'] ?? '';
  /** The function a function-level operation names: unqualified (or $LATEST), and a zip function. */
  const zipFunction = (req: ApiRequest) => {
    const ref = parseFunctionRef(req.params['FunctionName'] ?? '');
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST) throw unqualifiedOnly();
    const fn = registry.requireFunction(req.region, ref);
    if (fn.versions.get(LATEST)?.PackageType === 'Image') throw codeSigningOnImage();
    return fn;
  };
  return [
    {
      op: 'CreateCodeSigningConfig',
      method: 'POST',
      path: '/2020-04-22/code-signing-configs',
      handler: async (req) => ({ status: 201, body: { CodeSigningConfig: await signing.create(req.region, shape(CreateShape, parseJsonBody(req.body))) } }),
    },
    {
      op: 'GetCodeSigningConfig',
      method: 'GET',
      path: '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}',
      handler: async (req) => ({ body: { CodeSigningConfig: await signing.require(req.region, arnOf(req)) } }),
    },
    {
      op: 'UpdateCodeSigningConfig',
      method: 'PUT',
      path: '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}',
      handler: async (req) => ({ body: { CodeSigningConfig: await signing.update(req.region, arnOf(req), shape(UpdateShape, parseJsonBody(req.body))) } }),
    },
    {
      op: 'DeleteCodeSigningConfig',
      method: 'DELETE',
      path: '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}',
      handler: async (req) => {
        await signing.delete(req.region, arnOf(req));
        return { status: 204 };
      },
    },
    {
      op: 'ListCodeSigningConfigs',
      method: 'GET',
      path: '/2020-04-22/code-signing-configs',
      handler: async (req) => {
        const { items, next } = pageAfter(await signing.list(req.region), (c) => c.CodeSigningConfigArn, req, 10000);
        return { body: { CodeSigningConfigs: items, ...(next ? { NextMarker: next } : {}) } };
      },
    },
    {
      op: 'ListFunctionsByCodeSigningConfig',
      method: 'GET',
      path: '/2020-04-22/code-signing-configs/{CodeSigningConfigArn}/functions',
      handler: async (req) => {
        const arn = arnOf(req);
        await signing.require(req.region, arn);
        const { items, next } = pageAfter(await signing.functionsOf(req.region, arn), (n) => n, req, 10000);
        return { body: { FunctionArns: items.map((n) => registry.arn(req.region, n)), ...(next ? { NextMarker: next } : {}) } };
      },
    },
    {
      op: 'PutFunctionCodeSigningConfig',
      method: 'PUT',
      path: '/2020-06-30/functions/{FunctionName}/code-signing-config',
      handler: async (req) => {
        const fn = zipFunction(req);
        const input = shape(PutFunctionShape, parseJsonBody(req.body));
        await signing.attach(req.region, fn.name, input.CodeSigningConfigArn);
        return { body: { CodeSigningConfigArn: input.CodeSigningConfigArn, FunctionName: fn.name } };
      },
    },
    {
      // Without a configuration both members the model requires are present, the ARN empty (as AWS answers).
      op: 'GetFunctionCodeSigningConfig',
      method: 'GET',
      path: '/2020-06-30/functions/{FunctionName}/code-signing-config',
      handler: async (req) => {
        const fn = zipFunction(req);
        return { body: { CodeSigningConfigArn: (await signing.attached(req.region, fn.name)) ?? '', FunctionName: fn.name } };
      },
    },
    {
      op: 'DeleteFunctionCodeSigningConfig',
      method: 'DELETE',
      path: '/2020-06-30/functions/{FunctionName}/code-signing-config',
      handler: async (req) => {
        const fn = zipFunction(req);
        await signing.detach(req.region, fn.name);
        return { status: 204 };
      },
    },
  ];
}
