// Lambda control-plane handlers for versions and aliases: PublishVersion, ListVersionsByFunction, alias CRUD.
import { AwsError, notFound } from '../../lib/errors.js';
import { uuid } from '../../lib/ids.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { functionArn, parseFunctionRef } from './arn.js';
import { checkRevision, type FunctionRegistry } from './functions.js';
import { LATEST, toWire, type FunctionRecord, type StoredAlias } from './model.js';
import { checkMaxItems, Constraints } from './validate.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import { aliasNotFound, aliasToUpdateNotFound } from './errors.js';
import { z } from 'zod';

const ALIAS_PATTERN = '(?!^[0-9]+$)([a-zA-Z0-9-_]+)';
const VERSION_PATTERN = '(\\$LATEST|[0-9]+)';

const PublishShape = z.object({ CodeSha256: z.string().optional(), Description: z.string().optional(), RevisionId: z.string().optional() });
const Routing = z.object({ AdditionalVersionWeights: z.record(z.string(), z.number()).optional() }).optional();
const CreateAliasShape = z.object({ Name: z.string().optional(), FunctionVersion: z.string().optional(), Description: z.string().optional(), RoutingConfig: Routing });
const UpdateAliasShape = z.object({ FunctionVersion: z.string().optional(), Description: z.string().optional(), RoutingConfig: Routing, RevisionId: z.string().optional() });

export function versionRoutes(registry: FunctionRegistry, onPublished?: (region: string, name: string, version: string) => void): RestRoute[] {
  /** The function; `asNamed`: the qualifier AWS's not-found names (CreateAlias names the target version). */
  const fnOf = (req: ApiRequest, asNamed?: string): FunctionRecord => {
    const r = parseFunctionRef(req.params['FunctionName'] ?? '');
    if (r.qualifier !== undefined) throw new AwsError('InvalidParameterValueException', 'Unsupported qualifier in function name; use the unqualified function name.');
    return registry.requireFunction(req.region, r, asNamed);
  };
  const aliasWire = (req: ApiRequest, fn: FunctionRecord, a: StoredAlias) => ({
    AliasArn: functionArn(req.region, registry.accountId, fn.name, a.Name),
    Name: a.Name,
    FunctionVersion: a.FunctionVersion,
    Description: a.Description,
    ...(a.RoutingConfig ? { RoutingConfig: a.RoutingConfig } : {}),
    RevisionId: a.RevisionId,
  });
  /** `absent`: GetAlias and UpdateAlias word a missing alias differently. */
  const requireAlias = (req: ApiRequest, fn: FunctionRecord, absent: (arn: string) => AwsError): StoredAlias => {
    const name = req.params['Name'] ?? '';
    const a = fn.aliases.get(name);
    if (!a) throw absent(functionArn(req.region, registry.accountId, fn.name, name));
    return a;
  };

  /** AWS's rules for an alias's target and routing. */
  const checkTarget = (req: ApiRequest, fn: FunctionRecord, version: string, routing: StoredAlias['RoutingConfig']): void => {
    if (!fn.versions.has(version)) throw notFound(`Function not found: ${functionArn(req.region, registry.accountId, fn.name, version)}`);
    const weights = routing?.AdditionalVersionWeights;
    if (!weights || Object.keys(weights).length === 0) return;
    if (Object.keys(weights).length > 1) throw new AwsError('InvalidParameterValueException', 'Number of items in AdditionalVersionWeights cannot be greater than 1');
    if (version === LATEST) throw new AwsError('InvalidParameterValueException', '$LATEST is not supported for an alias pointing to more than 1 version');
    for (const v of Object.keys(weights)) {
      if (v === version) throw new AwsError('InvalidParameterValueException', `Invalid function version ${v}. Function version ${v} is already included in routing configuration.`);
      if (!fn.versions.has(v)) throw notFound(`Function not found: ${functionArn(req.region, registry.accountId, fn.name, v)}`);
    }
  };

  return [
    {
      op: 'PublishVersion',
      method: 'POST',
      path: '/2015-03-31/functions/{FunctionName}/versions',
      handler: async (req) => {
        const input = shape(PublishShape, parseJsonBody(req.body));
        new Constraints().len('description', input.Description, 0, 256).throwIfAny();
        const v = await registry.publish(req.region, parseFunctionRef(req.params['FunctionName'] ?? ''), input);
        onPublished?.(req.region, v.fn.name, v.version);
        return { status: 201, body: toWire(registry.accountId, req.region, v.version, v.config) };
      },
    },
    {
      op: 'ListVersionsByFunction',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/versions',
      handler: async (req) => {
        const fn = fnOf(req);
        const max = checkMaxItems(req.query.get('MaxItems')) ?? 50;
        const marker = req.query.get('Marker');
        const all = registry.versionsOf(fn);
        const start = marker === null ? 0 : all.findIndex(([v]) => v === marker) + 1;
        if (marker !== null && start === 0) throw new AwsError('InvalidParameterValueException', `Invalid marker: ${marker}`);
        const page = all.slice(start, start + max);
        return {
          body: {
            Versions: page.map(([v, c]) => toWire(registry.accountId, req.region, v, c, { qualifier: v, listItem: true })),
            ...(start + max < all.length ? { NextMarker: page[page.length - 1]![0] } : {}),
          },
        };
      },
    },
    {
      op: 'CreateAlias',
      method: 'POST',
      path: '/2015-03-31/functions/{FunctionName}/aliases',
      handler: async (req) => {
        const input = shape(CreateAliasShape, parseJsonBody(req.body));
        const fn = fnOf(req, input.FunctionVersion);
        const c = new Constraints();
        if (input.Name === undefined) c.custom('name', null, 'Member must not be null');
        if (input.FunctionVersion === undefined) c.custom('functionVersion', null, 'Member must not be null');
        c.len('name', input.Name, 1, 128).pattern('name', input.Name, ALIAS_PATTERN);
        c.len('functionVersion', input.FunctionVersion, 1, 1024).pattern('functionVersion', input.FunctionVersion, VERSION_PATTERN);
        c.len('description', input.Description, 0, 256).throwIfAny();
        const name = input.Name!;
        if (fn.aliases.has(name)) throw new AwsError('ResourceConflictException', `Alias already exists: ${functionArn(req.region, registry.accountId, fn.name, name)}`);
        checkTarget(req, fn, input.FunctionVersion!, input.RoutingConfig);
        const alias: StoredAlias = {
          Name: name,
          FunctionVersion: input.FunctionVersion!,
          Description: input.Description ?? '',
          ...(input.RoutingConfig?.AdditionalVersionWeights ? { RoutingConfig: input.RoutingConfig } : {}),
          RevisionId: uuid(),
        };
        await registry.createAlias(fn, alias);
        return { status: 201, body: aliasWire(req, fn, alias) };
      },
    },
    {
      op: 'ListAliases',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/aliases',
      handler: async (req) => {
        const fn = fnOf(req);
        const max = checkMaxItems(req.query.get('MaxItems')) ?? 50;
        const marker = req.query.get('Marker');
        const version = req.query.get('FunctionVersion');
        const all = [...fn.aliases.values()]
          .filter((a) => version === null || a.FunctionVersion === version || a.RoutingConfig?.AdditionalVersionWeights?.[version] !== undefined)
          .sort((a, b) => (a.Name < b.Name ? -1 : 1));
        const rest = marker === null ? all : all.filter((a) => a.Name > marker);
        const page = rest.slice(0, max);
        return { body: { Aliases: page.map((a) => aliasWire(req, fn, a)), ...(rest.length > max ? { NextMarker: page[page.length - 1]!.Name } : {}) } };
      },
    },
    {
      op: 'GetAlias',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
      handler: async (req) => {
        const fn = fnOf(req);
        return { body: aliasWire(req, fn, requireAlias(req, fn, aliasNotFound)) };
      },
    },
    {
      op: 'UpdateAlias',
      method: 'PUT',
      path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
      handler: async (req) => {
        const fn = fnOf(req);
        const cur = requireAlias(req, fn, aliasToUpdateNotFound);
        const input = shape(UpdateAliasShape, parseJsonBody(req.body));
        new Constraints()
          .len('functionVersion', input.FunctionVersion, 1, 1024)
          .pattern('functionVersion', input.FunctionVersion, VERSION_PATTERN)
          .len('description', input.Description, 0, 256)
          .throwIfAny();
        checkRevision(cur, input.RevisionId);
        const version = input.FunctionVersion ?? cur.FunctionVersion;
        // An empty weights map clears routing, as in AWS.
        const routing = input.RoutingConfig !== undefined ? input.RoutingConfig : cur.RoutingConfig;
        const hasRouting = routing?.AdditionalVersionWeights && Object.keys(routing.AdditionalVersionWeights).length > 0;
        checkTarget(req, fn, version, hasRouting ? routing : undefined);
        const next: StoredAlias = {
          Name: cur.Name,
          FunctionVersion: version,
          Description: input.Description ?? cur.Description,
          ...(hasRouting ? { RoutingConfig: routing } : {}),
          RevisionId: uuid(),
        };
        await registry.saveAlias(fn, next);
        return { body: aliasWire(req, fn, next) };
      },
    },
    {
      op: 'DeleteAlias',
      method: 'DELETE',
      path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
      handler: async (req) => {
        const fn = fnOf(req);
        if (fn.aliases.has(req.params['Name'] ?? '')) await registry.deleteAlias(fn, req.params['Name'] ?? '');
        return { status: 204 };
      },
    },
  ];
}
