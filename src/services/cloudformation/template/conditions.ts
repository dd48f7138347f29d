// Conditions: their static checks (what they may reference, cycles) and their evaluation, once per stack operation.
import { ErrorList } from './errors.js';
import { evaluateCondition, functionOf, type EvalScope } from './intrinsics.js';
import { M } from './messages.js';
import type { Template } from './model.js';
import type { ParameterValue } from './parameters.js';
import { isPseudo, type StackContext } from './pseudo.js';
import { collectConditionNames, collectReferences } from './refs.js';

const BOOLEAN_FUNCTIONS = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition']);

/** The conditions each condition uses directly, in declaration order. */
function conditionEdges(t: Template): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const [name, expr] of t.conditions) edges.set(name, [...new Set(collectConditionNames(expr, true).map((c) => c.name))]);
  return edges;
}

/** The Conditions section on its own: boolean shape, references to parameters only, declared names, no cycles. */
export function checkConditions(t: Template, errors: ErrorList): void {
  const resources: string[] = [];
  for (const [, expr] of t.conditions) {
    const f = functionOf(expr, true);
    if (f === undefined || !BOOLEAN_FUNCTIONS.has(f)) errors.add(M.conditionNotBoolean());
    for (const r of collectReferences(expr)) {
      const name = r.name;
      if (r.kind === 'GetAtt' || r.kind === 'SubAtt' || (!isPseudo(name) && !t.parameters.has(name))) resources.push(name);
    }
  }
  if (resources.length) errors.add(M.conditionReferencesResources([...new Set(resources)]));
  const edges = conditionEdges(t);
  const undeclared = [...new Set([...edges.values()].flat().filter((n) => !t.conditions.has(n)))];
  if (undeclared.length) errors.add(M.unresolvedConditions(undeclared, 'Conditions'));
  const cyclic = conditionCycle(edges);
  if (cyclic.length) errors.add(M.circularConditions(cyclic));
}

/** The conditions on a cycle, in declaration order (empty when there is none). */
function conditionCycle(edges: Map<string, string[]>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const onCycle = new Set<string>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of edges.get(n) ?? []) {
      if (!edges.has(d)) continue;
      const s = state.get(d);
      if (s === 'visiting') for (const x of stack.slice(stack.indexOf(d))) onCycle.add(x);
      else if (s === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  return [...edges.keys()].filter((n) => onCycle.has(n));
}

/** Conditions named by resources, outputs and their Fn::If must be declared. */
export function checkConditionUses(t: Template, errors: ErrorList): void {
  const check = (block: 'Resources' | 'Outputs', named: Array<string | undefined>, values: unknown[]): void => {
    const missing = named.filter((n): n is string => n !== undefined && !t.conditions.has(n));
    if (missing.length) errors.add(M.unresolvedConditions([...new Set(missing)], block));
    for (const v of values) for (const c of collectConditionNames(v as never)) if (!t.conditions.has(c.name)) errors.add(M.unresolvedConditionInIf(c.name));
  };
  const rs = [...t.resources.values()];
  check('Resources', rs.map((r) => r.condition), rs.flatMap((r) => [r.properties, r.metadata, r.updatePolicy, r.creationPolicy, r.deletionPolicy]));
  const os = [...t.outputs.values()];
  check('Outputs', os.map((o) => o.condition), os.flatMap((o) => [o.value, o.exportName, o.description]));
}

/**
 * Evaluates every condition once (a condition used by several is computed once); throws the first error.
 * Conditions see parameters, pseudo parameters and mappings, never resources.
 */
export function evaluateConditions(t: Template, stack: StackContext, parameters: ReadonlyMap<string, ParameterValue>): Map<string, boolean> {
  const values = new Map<string, boolean>();
  const visiting: string[] = [];
  const scope: EvalScope = {
    template: t,
    stack,
    parameters,
    resources: new Set(),
    block: 'Conditions',
    condition: (name) => {
      const known = values.get(name);
      if (known !== undefined) return known;
      const expr = t.conditions.get(name);
      if (expr === undefined) return undefined;
      if (visiting.includes(name)) throw M.circularConditions(visiting.slice(visiting.indexOf(name)));
      visiting.push(name);
      const v = evaluateCondition(expr, scope);
      visiting.pop();
      values.set(name, v);
      return v;
    },
  };
  for (const name of t.conditions.keys()) scope.condition(name);
  return values;
}
