// AWS::Serverless::Application → AWS::CloudFormation::Stack. A template URL Location works as is; a Serverless
// Application Repository location needs `resolveApplication` (the transform does no I/O) and is refused without it.
import type { TransformContext } from '../context.js';
import { InvalidResourceError, SamError } from '../errors.js';
import type { ResourceTranslator, TemplatePlugin } from '../registry.js';
import { samTagList } from '../tags.js';
import { cfn, isObj, truthy, type Json, type JsonObject } from '../types.js';
import { listOf, oneOf, validateProps, type Spec } from '../validate.js';
import { resolveFindInMap } from '../intrinsics.js';

const SPEC: Spec = {
  Location: { check: oneOf('string', 'map'), required: true }, TemplateUrl: 'string', Parameters: 'map', NotificationARNs: listOf(oneOf('string', 'map')),
  Tags: 'map', TimeoutInMinutes: 'int',
};

/** Looks up a SAR application's template URL; throw InvalidResourceError(logicalId, msg) when it cannot. */
/** The template URL of a SAR application version, or undefined while the repository is still preparing it. */
export type ApplicationResolver = (applicationId: string, semanticVersion: string, logicalId: string) => string | undefined;

const key = (a: Json, v: Json): string => JSON.stringify([a, v]);

/** Resolves every SAR location once, before translation (ServerlessAppPlugin); results wait in ctx.shared. */
export function applicationPlugin(resolve: ApplicationResolver | undefined): TemplatePlugin {
  return {
    name: 'ServerlessApp',
    order: 10,
    beforeTransform(template, ctx) {
      const found = new Map<string, string | SamError | false>();
      ctx.shared.set('applications', found);
      const preparing: string[] = [];
      for (const [id, r] of Object.entries(template['Resources'] as JsonObject)) {
        if (!isObj(r) || r['Type'] !== 'AWS::Serverless::Application') continue;
        const p = r['Properties'];
        const loc = isObj(p) ? p['Location'] : undefined;
        if (!isObj(loc) || loc['ApplicationId'] === undefined || loc['ApplicationId'] === null || loc['SemanticVersion'] === undefined || loc['SemanticVersion'] === null) continue;
        const res = (v: Json | undefined): Json => resolveFindInMap(ctx.resolver.resolveParameterRefs(structuredClone(v ?? null)), ctx.mappings);
        const appId = (loc['ApplicationId'] = res(loc['ApplicationId']));
        const semver = (loc['SemanticVersion'] = res(loc['SemanticVersion']));
        const k = key(appId, semver);
        if (isObj(appId) || isObj(semver)) {
          found.set(k, false);
          continue;
        }
        if (found.has(k)) continue;
        try {
          if (typeof appId !== 'string') throw new InvalidResourceError(id, "Property 'Location.ApplicationId' should be a string.");
          if (typeof semver !== 'string') throw new InvalidResourceError(id, "Property 'Location.SemanticVersion' should be a string.");
          if (/{{resolve:ssm:[a-zA-Z0-9_.\-/]+(:\d+)?}}/.test(appId)) {
            throw new InvalidResourceError(id, "Serverless Application Repostiory does not support dynamic reference in 'ApplicationId' property.");
          }
          if (!resolve) {
            throw new InvalidResourceError(
              id,
              `Cannot resolve Serverless Application Repository application ${appId} (version ${semver}) here: the transform makes no network calls. Give 'Location' as a template URL instead.`,
            );
          }
          const url = resolve(appId, semver, id);
          if (url === undefined) preparing.push(appId);
          else found.set(k, url);
        } catch (e) {
          if (e instanceof SamError) found.set(k, e);
          else throw e;
        }
      }
      // The reference polls the repository until every application is ready, then gives up naming them as a Python
      // list; a resolver here answers at once, so "not ready" is that time-out.
      if (preparing.length > 0) {
        throw new InvalidResourceError(`[${preparing.map((a) => `'${a}'`).join(', ')}]`, 'Timed out waiting for nested stack templates to reach ACTIVE status.');
      }
    },
  };
}

function templateUrl(id: string, props: JsonObject, ctx: TransformContext): Json {
  if (!('Location' in props)) throw new InvalidResourceError(id, 'Resource is missing the required [Location] property.');
  const loc = props['Location']!;
  if (!isObj(loc)) return loc;
  for (const k of ['ApplicationId', 'SemanticVersion']) if (!(k in loc)) throw new InvalidResourceError(id, `Resource is missing the required [${k}] property.`);
  const appId = loc['ApplicationId'];
  if (appId === undefined || appId === null) throw new InvalidResourceError(id, "Property 'ApplicationId' is required.");
  if (isObj(appId)) throw new InvalidResourceError(id, "Property 'ApplicationId' cannot be resolved. Only FindInMap and Ref intrinsic functions are supported.");
  const semver = loc['SemanticVersion'];
  if (!truthy(semver)) throw new InvalidResourceError(id, "Property 'SemanticVersion' cannot be blank.");
  if (isObj(semver)) throw new InvalidResourceError(id, "Property 'SemanticVersion' cannot be resolved. Only FindInMap and Ref intrinsic functions are supported.");
  const found = (ctx.shared.get('applications') as Map<string, string | SamError | false> | undefined)?.get(key(appId, semver!));
  if (found instanceof SamError) throw found;
  if (typeof found !== 'string') throw new InvalidResourceError(id, "Property 'Location' could not be resolved.");
  return found;
}

export const applicationTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::Application',
  phase: 'other',
  translate(r, ctx) {
    const props = r.props;
    props['TemplateUrl'] = templateUrl(r.id, props, ctx);
    validateProps(r.id, r.type, props, SPEC);
    const loc = props['Location'];
    const appTags: JsonObject = {};
    if (isObj(loc)) {
      if (loc['ApplicationId'] !== undefined && loc['ApplicationId'] !== null) appTags['serverlessrepo:applicationId'] = loc['ApplicationId'];
      if (loc['SemanticVersion'] !== undefined && loc['SemanticVersion'] !== null) appTags['serverlessrepo:semanticVersion'] = loc['SemanticVersion'];
    }
    const url = props['TemplateUrl'];
    const stack = cfn(
      'AWS::CloudFormation::Stack',
      {
        Parameters: r.get('Parameters'),
        NotificationARNs: r.get('NotificationARNs'),
        Tags: samTagList(r.id, r.get('Tags'), appTags),
        TimeoutInMinutes: r.get('TimeoutInMinutes'),
        TemplateURL: truthy(url) ? url : '',
      },
      { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.passthrough() },
    );
    return [{ id: r.id, resource: stack }];
  },
};
