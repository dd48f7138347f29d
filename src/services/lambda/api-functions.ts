// Lambda control-plane handlers for functions: create, get, list, update, delete, account settings, tags, code download.
import { createReadStream } from 'node:fs';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { combineQualifier, parseFunctionRef, validationError } from './arn.js';
import type { FunctionRegistry } from './functions.js';
import { LATEST, toWire, type WireView } from './model.js';
import { uuid } from '../../lib/ids.js';
import { checkMaxItems, Constraints, CreateFunctionShape, UpdateCodeShape, UpdateConfigurationShape } from './validate.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import { managedInstancesUnsupported, notReachable, tooManyTags } from './errors.js';

const CODE_REQUEST_LIMIT = 69_905_067;
const codeTooLarge = (op: string) => (): AwsError =>
  new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${CODE_REQUEST_LIMIT} bytes for the ${op} operation`);

/** The model's TaggableResource pattern: functions, code signing configurations and event source mappings (capacity providers are not offered). */
const TAGGABLE =
  /^arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)$/;

/** The tags of one taggable resource and how to replace them. */
export interface TagTarget {
  tags: Record<string, string>;
  setTags(tags: Record<string, string>): Promise<void>;
}

export interface FunctionsApiDeps {
  registry: FunctionRegistry;
  accountSettings(region: string): { ConcurrentExecutions: number; UnreservedConcurrentExecutions: number };
  /** Extra members of GetFunction (e.g. Concurrency), supplied by other parts of the service. */
  getFunctionExtras?(region: string, name: string): Record<string, unknown>;
  /** The tags of an event source mapping by UUID (undefined: no such mapping in the region). */
  mappingTags?(region: string, uuid: string): TagTarget | undefined;
  /** The tags of a code signing configuration by ARN (undefined: none such in the region). */
  cscTags?(region: string, arn: string): Promise<TagTarget | undefined>;
  /** Attaches CreateFunction's CodeSigningConfigArn once the function exists (code-signing.ts). */
  attachCodeSigning?(region: string, name: string, configArn: string): Promise<void>;
}

export function functionRoutes(d: FunctionsApiDeps): RestRoute[] {
  const { registry } = d;
  const wire = (req: ApiRequest, version: string, c: Parameters<typeof toWire>[3], view?: WireView) => toWire(registry.accountId, req.region, version, c, view);
  const ref = (req: ApiRequest) => parseFunctionRef(req.params['FunctionName'] ?? '');
  const qualified = (req: ApiRequest) => {
    const r = ref(req);
    return { r, q: combineQualifier(r, req.query.get('Qualifier')) };
  };

  return [
    {
      op: 'CreateFunction',
      method: 'POST',
      path: '/2015-03-31/functions',
      maxBody: CODE_REQUEST_LIMIT,
      tooLarge: codeTooLarge('CreateFunction'),
      handler: async (req) => {
        const body = parseJsonBody(req.body);
        const input = shape(CreateFunctionShape, body);
        // Lambda Managed Instances are not offered: a function on a capacity provider is refused, not run elsewhere.
        if ((body as { CapacityProviderConfig?: unknown }).CapacityProviderConfig != null) throw managedInstancesUnsupported('CapacityProviderConfig');
        const r = parseFunctionRef(input.FunctionName, 140);
        if (r.qualifier !== undefined) throw validationError('functionName', input.FunctionName, 'Member must not contain a qualifier');
        if (r.region && r.region !== req.region) throw notReachable(r.region, req.region);
        const created = await registry.create(req.region, { ...input, FunctionName: r.name });
        if (input.CodeSigningConfigArn) await d.attachCodeSigning?.(req.region, r.name, input.CodeSigningConfigArn);
        // AWS answers the function as Pending, with a revision that its activation replaces; with Publish, the version
        // it published (under the unqualified ARN).
        if (input.Publish) {
          const v = await registry.publish(req.region, { name: r.name }, {});
          return { status: 201, body: wire(req, v.version, v.config, { qualifier: null, phase: 'creating', revisionId: uuid() }) };
        }
        return { status: 201, body: wire(req, LATEST, created.config, { phase: 'creating', revisionId: uuid() }) };
      },
    },
    {
      op: 'ListFunctions',
      method: 'GET',
      path: '/2015-03-31/functions',
      handler: async (req) => {
        const max = Math.min(checkMaxItems(req.query.get('MaxItems')) ?? 50, 50);
        const marker = req.query.get('Marker');
        const version = req.query.get('FunctionVersion');
        new Constraints().oneOf('functionVersion', version ?? undefined, ['ALL']).throwIfAny();
        const all = version === 'ALL';
        const fns = registry.list(req.region).filter((f) => marker === null || f.name > marker);
        const page = fns.slice(0, max);
        const Functions = page.flatMap((f) =>
          all
            ? registry.versionsOf(f).map(([v, c]) => wire(req, v, c, { qualifier: v, listItem: true }))
            : [wire(req, LATEST, f.versions.get(LATEST)!, { listItem: true })],
        );
        return { body: { Functions, ...(fns.length > max ? { NextMarker: page[page.length - 1]!.name } : {}) } };
      },
    },
    {
      op: 'GetFunction',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}',
      handler: async (req) => {
        const { r, q } = qualified(req);
        const v = registry.requireVersion(req.region, r, q);
        const tags = v.fn.tags;
        return {
          body: {
            Configuration: wire(req, v.version, v.config, { qualifier: q }),
            Code: v.config.image
              ? { RepositoryType: 'ECR', ImageUri: v.config.image.ImageUri, ResolvedImageUri: v.config.image.ResolvedImageUri }
              : { RepositoryType: 'S3', Location: `${req.baseUrl}/_selfless/code/${v.config.codeShaHex}.zip` },
            ...(Object.keys(tags).length > 0 ? { Tags: tags } : {}),
            ...(d.getFunctionExtras?.(req.region, v.fn.name) ?? {}),
          },
        };
      },
    },
    {
      op: 'GetFunctionConfiguration',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/configuration',
      handler: async (req) => {
        const { r, q } = qualified(req);
        const v = registry.requireVersion(req.region, r, q);
        return { body: wire(req, v.version, v.config, { qualifier: q }) };
      },
    },
    {
      op: 'UpdateFunctionConfiguration',
      method: 'PUT',
      path: '/2015-03-31/functions/{FunctionName}/configuration',
      handler: async (req) => {
        const input = shape(UpdateConfigurationShape, parseJsonBody(req.body));
        const v = await registry.updateConfiguration(req.region, unqualified(ref(req)), input);
        return { body: wire(req, v.version, v.config, { phase: 'updating', revisionId: uuid() }) };
      },
    },
    {
      op: 'UpdateFunctionCode',
      method: 'PUT',
      path: '/2015-03-31/functions/{FunctionName}/code',
      maxBody: CODE_REQUEST_LIMIT,
      tooLarge: codeTooLarge('UpdateFunctionCode'),
      handler: async (req) => {
        const input = shape(UpdateCodeShape, parseJsonBody(req.body));
        const v = await registry.updateCode(req.region, unqualified(ref(req)), input);
        if (input.Publish && !input.DryRun) {
          const p = await registry.publish(req.region, { name: v.fn.name }, {});
          return { body: wire(req, p.version, p.config, { phase: 'creating' }) };
        }
        return { body: wire(req, v.version, v.config, input.DryRun ? {} : { phase: 'updating', revisionId: uuid() }) };
      },
    },
    {
      op: 'DeleteFunction',
      method: 'DELETE',
      path: '/2015-03-31/functions/{FunctionName}',
      handler: async (req) => {
        const { r, q } = qualified(req);
        await registry.delete(req.region, r, q);
        return { status: 204 };
      },
    },
    {
      op: 'GetAccountSettings',
      method: 'GET',
      path: '/2016-08-19/account-settings',
      handler: async (req) => {
        const limits = d.accountSettings(req.region);
        return {
          body: {
            AccountLimit: { CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, TotalCodeSize: 80530636800, ...limits },
            AccountUsage: { FunctionCount: registry.count(req.region), TotalCodeSize: registry.totalCodeSize(req.region) },
          },
        };
      },
    },
    {
      op: 'TagResource',
      method: 'POST',
      path: '/2017-03-31/tags/{Resource}',
      handler: async (req) => {
        const fn = await taggable(req);
        const body = parseJsonBody(req.body) as { Tags?: unknown };
        if (!body.Tags || typeof body.Tags !== 'object') throw validationError('tags', null, 'Member must not be null');
        const tags = body.Tags as Record<string, unknown>;
        for (const [k, v] of Object.entries(tags)) {
          if (k.length < 1 || k.length > 128) throw new AwsError('InvalidParameterValueException', `Tag key '${k}' must be 1 to 128 characters long.`);
          if (typeof v !== 'string' || v.length > 256) throw new AwsError('InvalidParameterValueException', `Tag value for key '${k}' must be a string of at most 256 characters.`);
        }
        const merged = { ...fn.tags, ...(tags as Record<string, string>) };
        if (Object.keys(merged).length > 50) throw tooManyTags();
        await fn.setTags(merged);
        return { status: 204 };
      },
    },
    {
      op: 'UntagResource',
      method: 'DELETE',
      path: '/2017-03-31/tags/{Resource}',
      handler: async (req) => {
        const fn = await taggable(req);
        const keys = req.query.getAll('tagKeys');
        if (keys.length === 0) throw validationError('tagKeys', null, 'Member must not be null');
        const next = { ...fn.tags };
        for (const k of keys) delete next[k];
        await fn.setTags(next);
        return { status: 204 };
      },
    },
    {
      op: 'ListTags',
      method: 'GET',
      path: '/2017-03-31/tags/{Resource}',
      handler: async (req) => ({ body: { Tags: (await taggable(req)).tags } }),
    },
    {
      op: 'selfless:DownloadCode',
      method: 'GET',
      path: '/_selfless/code/{File}',
      handler: async (req) => {
        const sha = /^([0-9a-f]{64})\.zip$/.exec(req.params['File'] ?? '')?.[1];
        if (!sha || !(await registry.hasCode(sha))) throw new AwsError('NotFound', 'No such code package.');
        const path = await registry.codeBlobPath(sha);
        return {
          stream: (res) =>
            new Promise((resolve, reject) => {
              res.writeHead(200, { 'content-type': 'application/zip', 'x-amzn-RequestId': req.requestId });
              createReadStream(path).on('error', reject).pipe(res).on('finish', resolve);
            }),
        };
      },
    },
  ];

  async function taggable(req: ApiRequest): Promise<TagTarget> {
    const arn = req.params['Resource'] ?? '';
    const m = TAGGABLE.exec(arn);
    if (!m) throw validationError('resource', arn, `Member must satisfy regular expression pattern: ${TAGGABLE.source.slice(1, -1)}`);
    const esm = /:event-source-mapping:(.+)$/.exec(arn);
    if (esm) {
      const t = d.mappingTags?.(req.region, esm[1]!);
      if (!t) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.');
      return t;
    }
    if (m[6]!.startsWith('code-signing-config:')) {
      const t = await d.cscTags?.(req.region, arn);
      if (!t) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.');
      return t;
    }
    if (!m[6]!.startsWith('function:')) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.');
    if (m[7] !== undefined) {
      throw new AwsError('InvalidParameterValueException', 'Tags on function aliases and versions are not supported. Please specify a function ARN.');
    }
    const fn = registry.requireFunction(req.region, parseFunctionRef(arn, 256, 'resource'));
    return { tags: fn.tags, setTags: (tags) => registry.setTags(fn, tags) };
  }
}

/** Operations on `$LATEST` only: a qualifier other than `$LATEST` is refused as AWS refuses it. */
function unqualified<T extends { qualifier?: string | undefined }>(r: T): T {
  if (r.qualifier !== undefined && r.qualifier !== LATEST) {
    throw new AwsError('InvalidParameterValueException', 'Cannot update function configuration or code of a published version or alias; use the unqualified function name.');
  }
  return r;
}
