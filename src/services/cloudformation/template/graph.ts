// The resource dependency graph: edges from DependsOn, Ref, Fn::GetAtt and Fn::Sub; creation order; cycles; dangling names.
import { ErrorList, type TemplateError } from './errors.js';
import { M } from './messages.js';
import type { Json, Template } from './model.js';
import { isPseudo } from './pseudo.js';
import { collectReferences, type Reference } from './refs.js';

export interface DependencyGraph {
  /** The resources of the stack, in declaration order (only those whose Condition holds, when conditions were given). */
  nodes: string[];
  /** Resource → the resources it needs first (DependsOn, and Ref/GetAtt/Sub in its Properties). */
  dependencies: Map<string, string[]>;
  /** Resource → the resources that need it. */
  dependents: Map<string, string[]>;
  /** A topological order for creation (declaration order among independent resources); empty when cyclic. */
  creationOrder: string[];
  /** Batches that can be created in parallel: each depends only on earlier batches. */
  creationWaves: string[][];
  /** The reverse: dependents are deleted before what they depend on. */
  deletionOrder: string[];
}

export interface GraphOptions {
  /** Evaluated conditions: resources whose Condition is false leave the graph, and untaken Fn::If branches add nothing. */
  conditions?: ReadonlyMap<string, boolean>;
  /** Attribute names per resource type, when known: a GetAtt (or `${X.Attr}`) of another one is refused. */
  attributesOf?(type: string): readonly string[] | undefined;
}

export const isActive = (t: Template, id: string, conditions?: ReadonlyMap<string, boolean>): boolean => {
  const c = t.resources.get(id)?.condition;
  return c === undefined || conditions === undefined || conditions.get(c) === true;
};

/** Every name a Resources member reaches, checked; `edges` receives the dependencies (Properties and DependsOn). */
function resourceReferences(t: Template, id: string, o: GraphOptions, errors: ErrorList, unresolved: string[]): string[] {
  const r = t.resources.get(id)!;
  const deps: string[] = [];
  const walk = { condition: o.conditions ? (n: string) => o.conditions!.get(n) : undefined };
  const props = collectReferences(r.properties, walk, `/Resources/${id}/Properties`);
  // Metadata and policies may reference too; they must resolve but do not order creation.
  const other = [r.metadata, r.updatePolicy, r.creationPolicy, r.deletionPolicy, r.updateReplacePolicy].flatMap((v) => collectReferences(v as Json, walk));
  for (const ref of [...props, ...other]) {
    const target = checkReference(t, ref, o, errors, unresolved);
    if (target !== undefined && props.includes(ref)) deps.push(target);
  }
  for (const d of r.dependsOn) {
    if (!t.resources.has(d) || !isActive(t, d, o.conditions)) unresolved.push(d);
    else deps.push(d);
  }
  return [...new Set(deps)];
}

/** Records what is wrong with one reference; returns the resource it depends on, if any. */
function checkReference(t: Template, ref: Reference, o: GraphOptions, errors: ErrorList, unresolved: string[]): string | undefined {
  const { name } = ref;
  if (ref.kind === 'GetAtt' || ref.kind === 'SubAtt') {
    const decl = t.resources.get(name);
    if (!decl) {
      errors.add(ref.kind === 'GetAtt' ? M.getAttUndefined(name) : M.subInvalidAttribute(`${name}.${ref.attribute ?? ''}`));
      return undefined;
    }
    const known = ref.attribute !== undefined ? o.attributesOf?.(decl.type) : undefined;
    if (known && !known.includes(ref.attribute!)) errors.add(M.attributeNotSupported(name, ref.attribute!));
  } else if (isPseudo(name) || t.parameters.has(name)) return undefined;
  if (!t.resources.has(name) || !isActive(t, name, o.conditions)) {
    unresolved.push(name);
    return undefined;
  }
  return name;
}

/** References from Outputs: they must name declared (and, with conditions, existing) things. */
export function checkOutputReferences(t: Template, o: GraphOptions, errors: ErrorList): void {
  const unresolved: string[] = [];
  for (const out of t.outputs.values()) {
    if (o.conditions && out.condition !== undefined && o.conditions.get(out.condition) !== true) continue;
    const walk = { condition: o.conditions ? (n: string) => o.conditions!.get(n) : undefined };
    for (const ref of [out.value, out.exportName].flatMap((v) => collectReferences(v, walk))) checkReference(t, ref, o, errors, unresolved);
  }
  if (unresolved.length) errors.add(M.unresolvedResources(new Set(unresolved), 'Outputs'));
}

/** Builds the graph and reports dangling references and cycles in CloudFormation's words. */
export function buildGraph(t: Template, o: GraphOptions = {}, errors: ErrorList = new ErrorList()): { graph: DependencyGraph; errors: TemplateError[] } {
  const nodes = [...t.resources.keys()].filter((id) => isActive(t, id, o.conditions));
  const dependencies = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const id of nodes) dependencies.set(id, resourceReferences(t, id, o, errors, unresolved));
  if (unresolved.length) errors.add(M.unresolvedResources(new Set(unresolved), 'Resources'));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [id, deps] of dependencies) for (const d of deps) dependents.get(d)?.push(id);
  const { order, waves } = topological(nodes, dependencies);
  const graph: DependencyGraph = { nodes, dependencies, dependents, creationOrder: [], creationWaves: [], deletionOrder: [] };
  if (order.length < nodes.length) errors.add(M.circularResources(cyclicNodes(nodes, dependencies)));
  else {
    graph.creationOrder = order;
    graph.creationWaves = waves;
    graph.deletionOrder = [...order].reverse();
  }
  return { graph, errors: errors.items };
}

/** Kahn's algorithm, taking ready resources in declaration order so the result is deterministic. */
function topological(nodes: string[], deps: Map<string, string[]>): { order: string[]; waves: string[][] } {
  const remaining = new Map(nodes.map((n) => [n, new Set(deps.get(n) ?? [])]));
  const order: string[] = [];
  const waves: string[][] = [];
  for (;;) {
    const ready = nodes.filter((n) => remaining.get(n)?.size === 0);
    if (ready.length === 0) break;
    waves.push(ready);
    for (const n of ready) {
      order.push(n);
      remaining.delete(n);
    }
    for (const s of remaining.values()) for (const n of ready) s.delete(n);
  }
  return { order, waves };
}

/** The resources on some cycle (Tarjan's strongly connected components of size > 1, or a self-reference). */
function cyclicNodes(nodes: string[], deps: Map<string, string[]>): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cyclic = new Set<string>();
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of deps.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (deps.get(v) ?? []).includes(v)) for (const c of comp) cyclic.add(c);
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return nodes.filter((n) => cyclic.has(n));
}
