// EventBridge event patterns (EventBridge rules, TestEventPattern, Lambda event source mapping FilterCriteria):
// validation with AWS's reasons and matching with AWS's semantics (the shared language is in pattern-core.ts).
//
// A pattern is an object whose leaves are arrays of values; a leaf matches when any value matches the event's value
// (for an array in the event, any of its elements). Values: literals (string, number, boolean, null), prefix, suffix
// (both also with equals-ignore-case), equals-ignore-case, wildcard, anything-but (values, prefix, suffix,
// equals-ignore-case, wildcard), numeric, exists, cidr; `$or` combines alternatives.
import { compileBranches, flatten, matchesFlat, type Branch, type Flat } from './pattern-core.js';
import { JsonPatternError, parseJson } from './pattern-json.js';
import { ValueProblem } from './pattern-values.js';

/** An invalid pattern; `message` is AWS's reason (what follows "Event pattern is not valid. Reason: "). */
export class PatternError extends Error {}

type Obj = Record<string, unknown>;

export interface CompiledPattern {
  readonly branches: Branch[];
  matches(event: unknown): boolean;
}

/** The message of EventBridge's InvalidEventPatternException for a reason. */
export const invalidEventPatternMessage = (reason: string): string => `Event pattern is not valid. Reason: ${reason}`;

const compiledByObject = new WeakMap<object, CompiledPattern>();
const flatByEvent = new WeakMap<object, Flat>();

function flat(event: unknown): Flat {
  if (event === null || typeof event !== 'object') return flatten(event);
  let f = flatByEvent.get(event);
  if (!f) flatByEvent.set(event, (f = flatten(event)));
  return f;
}

/** Compiles a pattern once; throws PatternError with AWS's reason. */
export function compilePattern(text: string): CompiledPattern {
  let branches: Branch[];
  try {
    branches = compileBranches(text, 'eventbridge');
  } catch (e) {
    if (e instanceof JsonPatternError || e instanceof ValueProblem) throw new PatternError(e.message);
    throw e;
  }
  return { branches, matches: (event) => matchesFlat(branches, flat(event)) };
}

/** AWS's reason when the pattern is invalid, else undefined. */
export function eventPatternReason(text: string): string | undefined {
  try {
    compilePattern(text);
    return undefined;
  } catch (e) {
    if (e instanceof PatternError) return e.message;
    throw e;
  }
}

/** Parses and validates a pattern as AWS does (throws PatternError); the returned object is compiled already. */
export function parsePattern(text: string): Obj {
  const compiled = compilePattern(text);
  const obj = parseJson(text) as Obj;
  compiledByObject.set(obj, compiled);
  return obj;
}

/**
 * True when the event matches the pattern: a CompiledPattern, or a pattern object (from parsePattern, or any pattern
 * object, which is compiled on first use and cached).
 */
export function matches(pattern: Obj | CompiledPattern, event: unknown): boolean {
  if (isCompiled(pattern)) return pattern.matches(event);
  let c = compiledByObject.get(pattern);
  if (!c) compiledByObject.set(pattern, (c = compilePattern(JSON.stringify(pattern))));
  return c.matches(event);
}

function isCompiled(p: Obj | CompiledPattern): p is CompiledPattern {
  return Array.isArray((p as CompiledPattern).branches) && typeof (p as CompiledPattern).matches === 'function';
}
