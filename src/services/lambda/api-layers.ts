// Lambda control-plane handlers for layers: publish, get (by name or ARN), list, delete, layer version permissions.
import { z } from 'zod';
import { AwsError, notFound } from '../../lib/errors.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { decodeZipField } from './code.js';
import { LAYER_NAME_PATTERN, type LayerRegistry, type LayerVersion } from './layers.js';
import { checkMaxItems, Constraints } from './validate.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import { layerVersionBelowOne } from './errors.js';

/** ListLayers' CompatibleRuntime values, in the order AWS's validation message lists them (recorded 2025–2026). */
const LIST_LAYERS_RUNTIMES = [
  'ruby3.5', 'ruby2.6', 'dotnetcore1.0', 'python3.7', 'nodejs8.10', 'nasa', 'ruby2.7', 'python2.7-greengrass', 'dotnetcore2.0', 'python3.8',
  'java21', 'dotnet6', 'dotnetcore2.1', 'python3.9', 'java11', 'nodejs6.10', 'provided', 'dotnetcore3.1', 'dotnet8', 'java25',
  'java17', 'nodejs', 'nodejs4.3', 'java8.al2', 'go1.x', 'dotnet10', 'nodejs20.x', 'go1.9', 'byol', 'nodejs10.x',
  'provided.al2023', 'nodejs22.x', 'python3.10', 'java8', 'nodejs12.x', 'python3.11', 'nodejs24.x', 'nodejs8.x', 'python3.12', 'nodejs14.x',
  'nodejs8.9', 'nodejs26.x', 'python3.13', 'python3.14', 'nodejs16.x', 'python3.15', 'provided.al2', 'nodejs4.3-edge', 'nodejs18.x', 'ruby3.2',
  'python3.4', 'ruby3.3', 'ruby3.4', 'ruby2.5', 'python3.6', 'python2.7',
];

const CODE_REQUEST_LIMIT = 69_905_067;

const PublishShape = z.object({
  Description: z.string().optional(),
  Content: z.object({ ZipFile: z.string().optional(), S3Bucket: z.string().optional(), S3Key: z.string().optional() }).optional(),
  CompatibleRuntimes: z.array(z.string()).optional(),
  CompatibleArchitectures: z.array(z.string()).optional(),
  LicenseInfo: z.string().optional(),
});
const PermissionShape = z.object({
  StatementId: z.string().optional(),
  Action: z.string().optional(),
  Principal: z.string().optional(),
  OrganizationId: z.string().optional(),
});

export function layerRoutes(layers: LayerRegistry): RestRoute[] {
  const versionItem = (lv: LayerVersion) => ({
    LayerVersionArn: `${layers.layerArn(lv.region, lv.name)}:${lv.version}`,
    Version: lv.version,
    Description: lv.Description,
    CreatedDate: lv.CreatedDate,
    ...(lv.CompatibleRuntimes ? { CompatibleRuntimes: lv.CompatibleRuntimes } : {}),
    ...(lv.LicenseInfo !== undefined ? { LicenseInfo: lv.LicenseInfo } : {}),
    ...(lv.CompatibleArchitectures ? { CompatibleArchitectures: lv.CompatibleArchitectures } : {}),
  });
  const full = (req: ApiRequest, lv: LayerVersion) => ({
    Content: {
      Location: `${req.baseUrl}/_selfless/code/${lv.codeShaHex}.zip`, CodeSha256: lv.CodeSha256, CodeSize: lv.CodeSize,
      ...(lv.SigningProfileVersionArn ? { SigningProfileVersionArn: lv.SigningProfileVersionArn, SigningJobArn: lv.SigningJobArn } : {}),
    },
    LayerArn: layers.layerArn(lv.region, lv.name),
    ...versionItem(lv),
  });
  const nameOf = (req: ApiRequest): string => {
    const raw = req.params['LayerName'] ?? '';
    new Constraints().len('layerName', raw, 1, 140).pattern('layerName', raw, LAYER_NAME_PATTERN).throwIfAny();
    return layers.nameOf(req.region, raw);
  };
  const versionOf = (req: ApiRequest): number => {
    const raw = req.params['VersionNumber'] ?? '';
    if (!/^-?[0-9]+$/.test(raw)) throw new AwsError('ValidationException', `1 validation error detected: Value '${raw}' at 'versionNumber' failed to satisfy constraint: Member must be a number`);
    if (Number(raw) < 1) throw layerVersionBelowOne();
    return Number(raw);
  };
  const matches = (req: ApiRequest) => {
    const runtime = req.query.get('CompatibleRuntime');
    const arch = req.query.get('CompatibleArchitecture');
    new Constraints().oneOf('compatibleRuntime', runtime ?? undefined, LIST_LAYERS_RUNTIMES).oneOf('compatibleArchitecture', arch ?? undefined, ['x86_64', 'arm64']).throwIfAny();
    return (lv: LayerVersion) =>
      (runtime === null || (lv.CompatibleRuntimes ?? []).includes(runtime)) && (arch === null || (lv.CompatibleArchitectures ?? []).includes(arch));
  };
  const page = <T>(items: T[], req: ApiRequest, idOf: (t: T) => string) => {
    const max = checkMaxItems(req.query.get('MaxItems'), 50) ?? 50;
    const marker = req.query.get('Marker');
    const start = marker === null ? 0 : items.findIndex((t) => idOf(t) === marker) + 1;
    const out = items.slice(start, start + max);
    return { out, next: start + max < items.length ? idOf(out[out.length - 1]!) : undefined };
  };

  return [
    {
      op: 'PublishLayerVersion',
      method: 'POST',
      path: '/2018-10-31/layers/{LayerName}/versions',
      maxBody: CODE_REQUEST_LIMIT,
      tooLarge: () => new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${CODE_REQUEST_LIMIT} bytes for the PublishLayerVersion operation`),
      handler: async (req) => {
        const name = nameOf(req);
        const input = shape(PublishShape, parseJsonBody(req.body));
        const c = new Constraints().len('description', input.Description, 0, 256).len('licenseInfo', input.LicenseInfo, 0, 512);
        if (!input.Content) c.custom('content', null, 'Member must not be null');
        if ((input.CompatibleRuntimes?.length ?? 0) > 15) c.custom('compatibleRuntimes', input.CompatibleRuntimes, 'Member must have length less than or equal to 15');
        for (const a of input.CompatibleArchitectures ?? []) c.oneOf('compatibleArchitectures', a, ['x86_64', 'arm64']);
        c.throwIfAny();
        if (input.Content?.ZipFile === undefined) throw new AwsError('InvalidParameterValueException', 'selfless accepts layer content as Content.ZipFile only (no S3).');
        const lv = await layers.publish(
          req.region,
          name,
          {
            Description: input.Description ?? '',
            ...(input.CompatibleRuntimes ? { CompatibleRuntimes: input.CompatibleRuntimes } : {}),
            ...(input.CompatibleArchitectures ? { CompatibleArchitectures: input.CompatibleArchitectures } : {}),
            ...(input.LicenseInfo !== undefined ? { LicenseInfo: input.LicenseInfo } : {}),
          },
          decodeZipField(input.Content.ZipFile, 'Content.ZipFile'),
        );
        return { status: 201, body: full(req, lv) };
      },
    },
    {
      op: 'ListLayerVersions',
      method: 'GET',
      path: '/2018-10-31/layers/{LayerName}/versions',
      handler: async (req) => {
        const { out, next } = page(layers.versionsOf(req.region, nameOf(req)).filter(matches(req)), req, (lv) => String(lv.version));
        return { body: { LayerVersions: out.map(versionItem), ...(next ? { NextMarker: next } : {}) } };
      },
    },
    {
      op: 'GetLayerVersionByArn',
      method: 'GET',
      path: '/2018-10-31/layers',
      query: { name: 'find', value: 'LayerVersion' },
      handler: async (req) => {
        const arn = req.query.get('Arn');
        if (arn === null) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'arn' failed to satisfy constraint: Member must not be null");
        let lv: LayerVersion;
        try {
          lv = layers.byArn(arn);
        } catch (e) {
          if (e instanceof AwsError && e.code === 'InvalidParameterValueException') throw notFound('The resource you requested does not exist.');
          throw e;
        }
        return { body: full(req, lv) };
      },
    },
    {
      op: 'ListLayers',
      method: 'GET',
      path: '/2018-10-31/layers',
      handler: async (req) => {
        const match = matches(req);
        const items = layers
          .names(req.region)
          .map((name) => ({ name, latest: layers.versionsOf(req.region, name).find(match) }))
          .filter((x) => x.latest !== undefined);
        const { out, next } = page(items, req, (x) => x.name);
        return {
          body: {
            Layers: out.map((x) => ({ LayerName: x.name, LayerArn: layers.layerArn(req.region, x.name), LatestMatchingVersion: versionItem(x.latest!) })),
            ...(next ? { NextMarker: next } : {}),
          },
        };
      },
    },
    {
      op: 'GetLayerVersion',
      method: 'GET',
      path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}',
      handler: async (req) => ({ body: full(req, layers.get(req.region, nameOf(req), versionOf(req))) }),
    },
    {
      op: 'DeleteLayerVersion',
      method: 'DELETE',
      path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}',
      handler: async (req) => {
        await layers.delete(req.region, nameOf(req), versionOf(req));
        return { status: 204 };
      },
    },
    {
      op: 'AddLayerVersionPermission',
      method: 'POST',
      path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy',
      handler: async (req) => {
        const lv = layers.get(req.region, nameOf(req), versionOf(req));
        const input = shape(PermissionShape, parseJsonBody(req.body));
        const c = new Constraints();
        for (const f of ['StatementId', 'Action', 'Principal'] as const) if (input[f] === undefined) c.custom(f[0]!.toLowerCase() + f.slice(1), null, 'Member must not be null');
        c.len('statementId', input.StatementId, 1, 100).pattern('statementId', input.StatementId, '([a-zA-Z0-9-_]+)');
        c.pattern('action', input.Action, 'lambda:GetLayerVersion');
        c.pattern('principal', input.Principal, '\\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root');
        c.pattern('organizationId', input.OrganizationId, 'o-[a-z0-9]{10,32}').throwIfAny();
        const rev = req.query.get('RevisionId');
        if (rev !== null && rev !== lv.policyRevision) throw new AwsError('PreconditionFailedException', 'The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.');
        if (lv.policy.some((s) => s.Sid === input.StatementId)) {
          throw new AwsError('ResourceConflictException', `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
        }
        const statement = {
          Sid: input.StatementId!,
          Effect: 'Allow' as const,
          Principal: input.Principal === '*' ? '*' : input.Principal!,
          Action: input.Action!,
          Resource: `${layers.layerArn(lv.region, lv.name)}:${lv.version}`,
          ...(input.OrganizationId ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': input.OrganizationId } } } : {}),
        };
        await layers.savePolicy(lv, [...lv.policy, statement]);
        return { status: 201, body: { Statement: JSON.stringify(statement), RevisionId: lv.policyRevision } };
      },
    },
    {
      op: 'GetLayerVersionPolicy',
      method: 'GET',
      path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy',
      handler: async (req) => {
        const lv = layers.get(req.region, nameOf(req), versionOf(req));
        if (lv.policy.length === 0) throw notFound('No policy is associated with the given resource.');
        return { body: { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: lv.policy }), RevisionId: lv.policyRevision } };
      },
    },
    {
      op: 'RemoveLayerVersionPermission',
      method: 'DELETE',
      path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}',
      handler: async (req) => {
        const lv = layers.get(req.region, nameOf(req), versionOf(req));
        const sid = req.params['StatementId'] ?? '';
        if (!lv.policy.some((s) => s.Sid === sid)) throw notFound(`Statement ${sid} is not found in resource policy.`);
        const rev = req.query.get('RevisionId');
        if (rev !== null && rev !== lv.policyRevision) throw new AwsError('PreconditionFailedException', 'The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.');
        await layers.savePolicy(lv, lv.policy.filter((s) => s.Sid !== sid));
        return { status: 204 };
      },
    },
  ];
}
