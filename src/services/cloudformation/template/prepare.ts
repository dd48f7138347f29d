// What a stack operation does with a template: resolve parameters and conditions, order resources, evaluate values.
//
// The stack engine calls `prepareStack` once per operation, then `evaluateResource` for each resource in
// `graph.creationOrder` (its resolvers answering for the resources created so far), then `evaluateOutputs`.
import { checkFunctions } from './check.js';
import { checkConditions, checkConditionUses, evaluateConditions } from './conditions.js';
import { ErrorList, TemplateError } from './errors.js';
import { expandForEach, LANGUAGE_EXTENSIONS, usesForEach } from './foreach.js';
import { buildGraph, checkOutputReferences, type DependencyGraph } from './graph.js';
import { evaluate, type Block, type EvalScope, type Resolvers } from './intrinsics.js';
import { M } from './messages.js';
import { EXPORT_NAME, isObj, parseModel, transformsOf, type Json, type JsonObject, type Template } from './model.js';
import { resolveParameters, type ParameterValue, type SsmResolver } from './parameters.js';
import { NO_VALUE, type StackContext } from './pseudo.js';
import { unknownTypes } from './summary.js';

export interface PrepareOptions {
  stack: StackContext;
  /** Parameter values as the API passes them (ParameterKey → ParameterValue). */
  parameters?: Record<string, string | undefined>;
  /** Looks up SSM parameter types' values; without it such parameters fail as CloudFormation fails a missing one. */
  ssm?: SsmResolver;
  /** Attribute names per resource type (e.g. from the resource provider schemas); unknown GetAtt names are refused. */
  attributesOf?(type: string): readonly string[] | undefined;
  /** Whether a resource type is supported; others refuse the template (custom resources always pass). */
  isKnownType?(type: string): boolean;
}

export interface PreparedStack {
  /** The template after AWS::LanguageExtensions, as a typed tree. */
  template: Template;
  /** The tree it was parsed from (after the transform): what GetTemplate(Stage=Processed) returns. */
  processed: JsonObject;
  stack: StackContext;
  parameters: Map<string, ParameterValue>;
  /** SSM parameter types: parameter → the SSM parameter name given (the value resolved is in `parameters`). */
  ssmNames: Map<string, string>;
  conditions: Map<string, boolean>;
  /** The resources whose Condition holds, ordered; resources under a false condition are absent. */
  graph: DependencyGraph;
  attributesOf?(type: string): readonly string[] | undefined;
}

export interface EvaluatedResource {
  logicalId: string;
  type: string;
  /** Properties with every function evaluated and AWS::NoValue members removed. */
  properties: JsonObject;
  dependsOn: string[];
  metadata?: Json;
  deletionPolicy: string;
  updateReplacePolicy: string;
  creationPolicy?: Json;
  updatePolicy?: Json;
}

export interface EvaluatedOutput {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

const first = (errors: TemplateError[]): void => {
  if (errors[0]) throw errors[0];
};

/** Everything a stack operation needs before creating anything; throws CloudFormation's first error. */
export function prepareStack(tree: unknown, o: PrepareOptions): PreparedStack {
  if (!isObj(tree)) throw M.noResources();
  let processed: JsonObject = tree;
  // Parameters come first: a Fn::ForEach collection may be a list parameter.
  const pre = parseModel(tree);
  const params = resolveParameters(pre.template.parameters, o.parameters ?? {}, o.ssm);
  if (transformsOf(tree['Transform']).includes(LANGUAGE_EXTENSIONS) && usesForEach(tree)) {
    first(params.errors);
    processed = expandForEach(tree, { stack: o.stack, parameters: params.values });
  }
  const { template, errors } = parseModel(processed);
  first(errors.items);
  if (o.isKnownType) {
    const unknown = unknownTypes(template, o.isKnownType);
    if (unknown.length) throw M.unrecognizedResourceTypes(unknown);
  }
  first(params.errors);
  // CreateStack validates the whole template first, resources under false conditions included.
  const check = new ErrorList();
  checkTemplate(template, check, o.attributesOf);
  first(check.items);
  const conditions = evaluateConditions(template, o.stack, params.values);
  const go = o.attributesOf ? { conditions, attributesOf: o.attributesOf } : { conditions };
  const { graph, errors: graphErrors } = buildGraph(template, go);
  first(graphErrors);
  const out = new ErrorList();
  checkOutputReferences(template, go, out);
  first(out.items);
  const p: PreparedStack = { template, processed, stack: o.stack, parameters: params.values, ssmNames: params.ssmNames, conditions, graph };
  if (o.attributesOf) p.attributesOf = o.attributesOf;
  return p;
}

/** An evaluation scope over a prepared stack, for values the engine evaluates itself. */
export function scopeOf(p: PreparedStack, block: Block, resolvers: Partial<Resolvers>): EvalScope {
  const s: EvalScope = {
    template: p.template,
    stack: p.stack,
    parameters: p.parameters,
    condition: (n) => p.conditions.get(n),
    resources: new Set(p.graph.nodes),
    resolvers,
    block,
  };
  if (p.attributesOf) s.attributesOf = p.attributesOf;
  return s;
}

const policy = (v: Json | undefined, scope: EvalScope, dflt: string): string => {
  if (v === undefined) return dflt;
  const r = evaluate(v, scope);
  return typeof r === 'string' ? r : dflt;
};

/** Undeclared, it is Delete, except for RDS clusters and stand-alone RDS instances, which CloudFormation snapshots. */
const defaultDeletionPolicy = (type: string, props: JsonObject): string =>
  type === 'AWS::RDS::DBCluster' || (type === 'AWS::RDS::DBInstance' && props['DBClusterIdentifier'] === undefined) ? 'Snapshot' : 'Delete';

/** One resource's values, evaluated with what the engine knows of the resources created before it. */
export function evaluateResource(p: PreparedStack, logicalId: string, resolvers: Partial<Resolvers>): EvaluatedResource {
  const r = p.template.resources.get(logicalId);
  if (!r || !p.graph.nodes.includes(logicalId)) throw new Error(`resource ${logicalId} is not part of the stack`);
  const scope = scopeOf(p, 'Resources', resolvers);
  const props = evaluate(r.properties, scope);
  const e: EvaluatedResource = {
    logicalId,
    type: r.type,
    properties: isObj(props) ? props : {},
    dependsOn: p.graph.dependencies.get(logicalId) ?? [],
    deletionPolicy: policy(r.deletionPolicy, scope, defaultDeletionPolicy(r.type, r.properties)),
    updateReplacePolicy: policy(r.updateReplacePolicy, scope, 'Delete'),
  };
  if (r.metadata !== undefined) {
    const m = evaluate(r.metadata, scope);
    if (m !== NO_VALUE) e.metadata = m;
  }
  if (r.creationPolicy !== undefined) e.creationPolicy = r.creationPolicy;
  if (r.updatePolicy !== undefined) {
    const u = evaluate(r.updatePolicy, scope);
    if (u !== NO_VALUE) e.updatePolicy = u;
  }
  return e;
}

/** The outputs whose Condition holds, evaluated; each must be text (a number or boolean becomes text). */
export function evaluateOutputs(p: PreparedStack, resolvers: Partial<Resolvers>): EvaluatedOutput[] {
  const scope = scopeOf(p, 'Outputs', resolvers);
  const out: EvaluatedOutput[] = [];
  for (const o of p.template.outputs.values()) {
    if (o.condition !== undefined && p.conditions.get(o.condition) !== true) continue;
    const v = evaluate(o.value, scope);
    if (v === NO_VALUE) throw M.outputValueString(o.name);
    if (Array.isArray(v)) throw M.outputValueList(o.name);
    if (isObj(v)) throw M.outputValueMap(o.name);
    const value = String(v);
    const e: EvaluatedOutput = { key: o.name, value };
    if (typeof o.description === 'string') e.description = o.description;
    if (o.exportName !== undefined) {
      const n = evaluate(o.exportName, scope);
      if (typeof n !== 'string' || !EXPORT_NAME.test(n)) throw M.outputExportMalformed(o.name);
      e.exportName = n;
    }
    out.push(e);
  }
  return out;
}

/** A value known to be a list (or AWS::NoValue) before evaluation: what an output's Value may not be. */
function listValued(t: Template, v: Json): boolean {
  if (Array.isArray(v)) return true;
  if (!isObj(v) || Object.keys(v).length !== 1) return false;
  const ref = v['Ref'];
  if (typeof ref === 'string') return ref === 'AWS::NoValue' || ref === 'AWS::NotificationARNs' || t.parameters.get(ref)?.type.list === true;
  return ['Fn::GetAZs', 'Fn::Split', 'Fn::Cidr'].some((f) => f in v);
}

/** Static checks of a whole template, collecting every error (what validateTemplate reports). */
export function checkTemplate(t: Template, errors: ErrorList, attributesOf?: (type: string) => readonly string[] | undefined): void {
  checkConditions(t, errors);
  checkConditionUses(t, errors);
  for (const c of t.conditions.values()) checkFunctions(c, t, errors, true);
  for (const r of t.resources.values()) for (const v of [r.properties, r.metadata, r.updatePolicy, r.creationPolicy]) checkFunctions(v, t, errors);
  for (const o of t.outputs.values()) {
    for (const v of [o.value, o.exportName]) checkFunctions(v, t, errors);
    if (listValued(t, o.value)) errors.add(M.outputValueString(o.name));
  }
  const o = attributesOf ? { attributesOf } : {};
  buildGraph(t, o, errors);
  checkOutputReferences(t, o, errors);
}

export { TemplateError };
