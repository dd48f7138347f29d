// The pattern language shared by EventBridge event patterns and SNS filter policies: a compiler that reads the
// pattern as AWS's (event-ruler's) compiler does — same order of checks, same reasons, same locations — into
// branches of field tests, and the matcher that runs them against a JSON value (arrays: any element; fields inside
// objects of one array must come from the same element, as AWS's array-consistent matching requires).
import { JsonLexer, JsonPatternError, type Tok } from './pattern-json.js';
import * as V from './pattern-values.js';
import type { Leaf, Matcher } from './pattern-values.js';

/** The two dialects: SNS runs an older compiler (no wildcard, anything-but only with prefix, no ignore-case forms). */
export type Dialect = 'eventbridge' | 'sns';

export interface Field {
  /** Dot-joined path (AWS joins nested keys with dots: `{"a":{"b":…}}` and `{"a.b":…}` are the same field). */
  path: string;
  /** Nesting depth of the key in the pattern (1 at the top). */
  depth: number;
  /** Number of values in the pattern's array (SNS counts these for complexity). */
  count: number;
  matchers: Matcher[];
  /** `{"exists": false}` is among the values: the field may be absent. */
  absent: boolean;
}

/** One alternative after `$or` expansion: all fields must match. */
export type Branch = Map<string, Field>;

const RESERVED_IN_OR = new Set(['exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr', '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after', 'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range']);

/** Compiles pattern text; throws JsonPatternError (syntax, with location) or ValueProblem (without). */
export function compileBranches(text: string, dialect: Dialect, sourceLabel?: string): Branch[] {
  return new Compiler(new JsonLexer(text, sourceLabel), dialect).run();
}

class Compiler {
  constructor(private readonly p: JsonLexer, private readonly dialect: Dialect) {}

  private get sns() {
    return this.dialect === 'sns';
  }

  run(): Branch[] {
    const rules: Branch[] = [];
    if (this.p.nextToken() !== 'START_OBJECT') this.p.fail('Filter is not an object');
    this.object(rules, [], false);
    return rules;
  }

  private object(rules: Branch[], path: string[], inOr: boolean): void {
    let present = false;
    while (this.p.nextToken() !== 'END_OBJECT') {
      present = true;
      const name = this.p.getText();
      if (name === '$or') {
        this.or(rules, path);
        continue;
      }
      if (inOr && RESERVED_IN_OR.has(name)) this.p.fail(`${name} is Ruler reserved fieldName which cannot be used inside $or.`);
      const t = this.p.nextToken();
      if (t === 'START_OBJECT') this.object(rules, [...path, name], inOr);
      else if (t === 'START_ARRAY') this.values(rules, [...path, name]);
      else this.p.fail(`"${name}" must be an object or an array`);
    }
    if (!present) this.p.fail('Empty objects are not allowed');
  }

  private or(rules: Branch[], path: string[]): void {
    const before = rules.map((r) => new Map(r));
    rules.length = 0;
    if (this.p.nextToken() !== 'START_ARRAY') this.p.fail('It must be an Array followed with $or.');
    let n = 0;
    let t: Tok | undefined;
    while ((t = this.p.nextToken()) !== 'END_ARRAY') {
      n++;
      if (t !== 'START_OBJECT') this.p.fail('Only JSON object is allowed in array of $or relationship.');
      const alt = before.length ? before.map((r) => new Map(r)) : [new Map<string, Field>()];
      this.object(alt, path, true);
      rules.push(...alt);
    }
    if (n < 2) this.p.fail('There must have at least 2 Objects in $or relationship.');
  }

  private values(rules: Branch[], path: string[]): void {
    const matchers: Matcher[] = [];
    let count = 0;
    let absent = false;
    let t: Tok | undefined;
    while ((t = this.p.nextToken()) !== 'END_ARRAY') {
      count++;
      switch (t) {
        case 'START_OBJECT': {
          const m = this.expression();
          if (m === 'absent') absent = true;
          else matchers.push(m);
          break;
        }
        case 'STRING':
          matchers.push(V.exactString(this.p.getText()));
          break;
        case 'NUMBER':
          matchers.push(V.exactNumber(this.p.getText()));
          break;
        case 'NULL':
          matchers.push(V.exactLiteral(null));
          break;
        case 'TRUE':
        case 'FALSE':
          matchers.push(V.exactLiteral(t === 'TRUE'));
          break;
        default:
          this.p.fail('Match value must be String, number, true, false, or null');
      }
    }
    if (count === 0) this.p.fail('Empty arrays are not allowed');
    const field: Field = { path: path.join('.'), depth: path.length, count, matchers, absent };
    if (rules.length === 0) rules.push(new Map());
    for (const r of rules) r.set(field.path, field);
  }

  /** Re-locates a value problem at the parser's position (AWS wraps these where its compiler catches them). */
  private located<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof V.ValueProblem) this.p.fail(e.message);
      throw e;
    }
  }

  private str(kind: string): string {
    if (this.p.nextToken() !== 'STRING') this.p.fail(`${kind} match pattern must be a string`);
    return this.p.getText();
  }

  private end(): void {
    if (this.p.nextToken() !== 'END_OBJECT') this.p.fail('Only one key allowed in match expression');
  }

  private expression(): Matcher | 'absent' {
    if (this.p.nextToken() !== 'FIELD_NAME') this.p.fail('Match expression name not found');
    const kind = this.p.getText();
    let m: Matcher;
    switch (kind) {
      case 'exactly':
        m = V.exactString(this.str('exact'));
        break;
      case 'prefix':
      case 'suffix': {
        const t = this.p.nextToken();
        if (t === 'START_OBJECT' && !this.sns) return this.ignoreCaseAffix(kind);
        if (t !== 'STRING') this.p.fail(`${kind} match pattern must be a string`);
        const s = this.p.getText();
        m = kind === 'prefix' ? V.prefix(s) : V.suffix(s);
        break;
      }
      case 'numeric':
        if (this.p.nextToken() !== 'START_ARRAY') this.p.fail('Value of numeric must be an array.');
        m = this.numeric();
        if (this.p.nextToken() !== 'END_OBJECT') this.p.fail('Too many elements in numeric expression');
        return m;
      case 'anything-but':
        return this.anythingBut();
      case 'exists': {
        const t = this.p.nextToken();
        if (t !== 'TRUE' && t !== 'FALSE') this.p.fail('exists match pattern must be either true or false.');
        this.end();
        return t === 'TRUE' ? V.EXISTS : 'absent';
      }
      case 'cidr': {
        const s = this.str('prefix');
        m = V.cidr(s); // AWS reports CIDR problems without a location
        break;
      }
      case 'equals-ignore-case':
        m = V.equalsIgnoreCase(this.str('equals-ignore-case'));
        break;
      case 'wildcard':
        if (this.sns) this.p.fail(`Unrecognized match type ${kind}`);
        m = this.located(() => V.wildcard(this.str('wildcard')));
        break;
      default:
        this.p.fail(`Unrecognized match type ${kind}`);
    }
    this.end();
    return m;
  }

  private ignoreCaseAffix(kind: 'prefix' | 'suffix'): Matcher {
    const Kind = kind === 'prefix' ? 'Prefix' : 'Suffix';
    if (this.p.nextToken() !== 'FIELD_NAME') this.p.fail(`${Kind} expression name not found`);
    const op = this.p.getText();
    if (op !== 'equals-ignore-case') this.p.fail(`Unsupported ${kind} pattern: ${op}`);
    const s = this.str('equals-ignore-case');
    this.end();
    this.end();
    return kind === 'prefix' ? V.prefixIgnoreCase(s) : V.suffixIgnoreCase(s);
  }

  private numeric(): Matcher {
    const p = this.p;
    const isNum = (t: Tok | undefined) => t === 'NUMBER';
    if (p.nextToken() !== 'STRING') p.fail(`Invalid member in numeric match: ${p.getText()}`);
    const op = p.getText();
    let t = p.nextToken();
    const bound = (text: string, open: boolean) => ({ value: V.ruleNumber(text), open });
    return this.located(() => {
      switch (op) {
        case '=': {
          if (!isNum(t)) p.fail('Value of equals must be numeric');
          const v = p.getText();
          if (p.nextToken() !== 'END_ARRAY') p.fail('Too many elements in numeric expression');
          return V.numericRange(bound(v, false), bound(v, false));
        }
        case '>=':
        case '>': {
          if (!isNum(t)) p.fail(`Value of ${op} must be numeric`);
          const lo = p.getText();
          t = p.nextToken();
          if (t === 'END_ARRAY') return V.numericRange(bound(lo, op === '>'), undefined);
          if (t !== 'STRING') p.fail(`Bad value in numeric range: ${p.getText()}`);
          const op2 = p.getText();
          if (op2 !== '<' && op2 !== '<=') p.fail(`Bad numeric range operator: ${op2}`);
          if (!isNum(p.nextToken())) p.fail(`Value of ${op2} must be numeric`);
          const hi = p.getText();
          if (p.nextToken() !== 'END_ARRAY') p.fail('Too many terms in numeric range expression');
          const b = bound(lo, op === '>');
          const h = bound(hi, op2 === '<');
          if (b.value >= h.value) throw new V.ValueProblem('Bottom must be less than top');
          return V.numericRange(b, h);
        }
        case '<=':
        case '<': {
          if (!isNum(t)) p.fail(`Value of ${op} must be numeric`);
          const hi = p.getText();
          if (p.nextToken() !== 'END_ARRAY') p.fail('Too many elements in numeric expression');
          return V.numericRange(undefined, bound(hi, op === '<'));
        }
        default:
          return p.fail(`Unrecognized numeric range operator: ${op}`);
      }
    });
  }

  private anythingBut(): Matcher {
    const p = this.p;
    let type = 'plain';
    let t = p.nextToken();
    if (t === 'START_OBJECT') {
      if (p.nextToken() !== 'FIELD_NAME') p.fail('Anything-But expression name not found');
      type = p.getText();
      const allowed = this.sns ? ['prefix'] : ['equals-ignore-case', 'prefix', 'suffix', 'wildcard'];
      if (!allowed.includes(type)) p.fail(`Unsupported anything-but pattern: ${type}`);
      t = p.nextToken();
    }
    // SNS's compiler words a bad value of anything-but's prefix as prefix does.
    if (this.sns && type !== 'plain' && t !== 'START_ARRAY' && t !== 'STRING') p.fail('prefix match pattern must be a string');
    if (t !== 'START_ARRAY' && t !== 'STRING' && t !== 'NUMBER') p.fail('Value of anything-but must be an array or single string/number value.');
    let excluded: Matcher[];
    if (t === 'START_ARRAY') excluded = type === 'plain' ? this.butList() : this.butSet(type, true);
    else if (type === 'plain') excluded = [t === 'STRING' ? plainEquals(p.getText()) : this.butNumber(p.getText())];
    else excluded = this.butSet(type, false);
    if (p.nextToken() !== 'END_OBJECT') p.fail('Too many elements in numeric expression');
    if (type !== 'plain' && p.nextToken() !== 'END_OBJECT') p.fail('Too many elements in numeric expression');
    return V.anythingBut(excluded);
  }

  private butNumber(text: string): Matcher {
    V.ruleNumber(text); // out of range: AWS's reason, no location
    return V.exactNumber(text);
  }

  /** A list of strings or of numbers; AWS re-reports the problems it finds inside with the location twice. */
  private butList(): Matcher[] {
    const p = this.p;
    const out: Matcher[] = [];
    let strings = false;
    let numbers = false;
    this.relocating(() => {
      let t: Tok | undefined;
      while ((t = p.nextToken()) !== 'END_ARRAY') {
        if (t === 'STRING') {
          strings = true;
          out.push(plainEquals(p.getText()));
        } else if (t === 'NUMBER') {
          numbers = true;
          const text = p.getText();
          this.located(() => V.ruleNumber(text));
          out.push(V.exactNumber(text));
        } else p.fail('Inside anything but list, start|null|boolean is not supported.');
      }
    });
    if (strings === numbers) p.fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    return out;
  }

  /** anything-but with prefix / suffix / equals-ignore-case / wildcard, one value or a list. */
  private butSet(type: string, list: boolean): Matcher[] {
    const p = this.p;
    const texts: string[] = [];
    const one = (t: Tok | undefined) => {
      if (t !== 'STRING') {
        if (type === 'equals-ignore-case') p.fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
        if (type === 'wildcard') p.fail('wildcard match pattern must be a string');
        p.fail('prefix/suffix match pattern must be a string');
      }
      const s = p.getText();
      if ((type === 'prefix' || type === 'suffix') && s === '') p.fail('Null prefix/suffix not allowed');
      texts.push(s);
    };
    if (list) {
      this.relocating(() => {
        let t: Tok | undefined;
        while ((t = p.nextToken()) !== 'END_ARRAY') one(t);
      });
    } else one(p.current);
    return this.located(() =>
      texts.map((s) => (type === 'prefix' ? V.prefix(s) : type === 'suffix' ? V.suffix(s) : type === 'wildcard' ? V.wildcard(s) : V.equalsIgnoreCase(s))),
    );
  }

  private relocating(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof JsonPatternError) this.p.fail(e.message);
      throw e;
    }
  }
}

const plainEquals = (s: string): Matcher => ({ kind: 'exact', test: (v) => v === s });

// ---------------------------------------------------------------------------------------------------------------
// Matching

interface LeafAt {
  value: Leaf;
  /** Pairs (array id, element index) along the path, outermost first. */
  trail: number[];
}

export type Flat = Map<string, LeafAt[]>;

/** The event as AWS sees it: dot-joined paths to leaf values; arrays (nested too) contribute each element. */
export function flatten(event: unknown): Flat {
  const out: Flat = new Map();
  let ids = 0;
  const walk = (v: unknown, path: string, trail: number[]) => {
    if (Array.isArray(v)) {
      const id = ids++;
      v.forEach((e, i) => walk(e, path, [...trail, id, i]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) walk(c, path === '' ? k : `${path}.${k}`, trail);
    } else if (path !== '' && v !== undefined) {
      let list = out.get(path);
      if (!list) out.set(path, (list = []));
      list.push({ value: v as Leaf, trail });
    }
  };
  if (event !== null && typeof event === 'object' && !Array.isArray(event)) walk(event, '', []);
  return out;
}

function consistent(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) if (a[i] === b[j] && a[i + 1] !== b[j + 1]) return false;
  }
  return true;
}

function branchMatches(branch: Branch, flat: Flat): boolean {
  const choices: LeafAt[][] = [];
  for (const f of branch.values()) {
    const leaves = flat.get(f.path);
    if (!leaves || leaves.length === 0) {
      if (f.absent) continue;
      return false;
    }
    const c = leaves.filter((l) => f.matchers.some((m) => m.test(l.value)));
    if (c.length === 0) return false;
    if (c.some((l) => l.trail.length > 0)) choices.push(c);
  }
  if (choices.length < 2) return true;
  choices.sort((x, y) => x.length - y.length);
  const picked: number[][] = [];
  const pick = (i: number): boolean => {
    if (i === choices.length) return true;
    for (const l of choices[i]!) {
      if (picked.every((t) => consistent(t, l.trail))) {
        picked.push(l.trail);
        if (pick(i + 1)) return true;
        picked.pop();
      }
    }
    return false;
  };
  return pick(0);
}

/** True when any branch matches the flattened value. */
export function matchesFlat(branches: Branch[], flat: Flat): boolean {
  return branches.some((b) => branchMatches(b, flat));
}
