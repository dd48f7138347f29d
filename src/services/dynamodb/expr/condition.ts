// Condition and filter expressions: the grammar (OR < AND < NOT), DynamoDB's checks of functions and operands, compiled trees.
import type { ExprInput } from './index.js';
import { Cursor } from './lexer.js';
import { M, pathText, type ExprKind } from './messages.js';
import { comparator, Issues, Parser, samePath, staticType, type Cond, type Operand } from './parser.js';
import { compareKeys, payload, typeOf } from './values.js';

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const ORDER = ['operators', 'parens', 'unknownFunction', 'misused', 'reserved', 'undefined', 'operandCount', 'tooMany', 'distinct', 'function'];
const ARITY: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
};
const TYPE_NAMES = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

export interface ParsedCondition {
  readonly tree: Cond;
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
  readonly heads: ReadonlySet<string>;
  readonly nested: ReadonlySet<string>;
}

/** DynamoDB's limit on operators and functions in one expression. */
export const MAX_OPERATORS = 300;

class ConditionParser extends Parser {
  operators = 0;

  constructor(cur: Cursor, input: ExprInput) {
    super(cur, input, new Issues(ORDER), KEYWORDS);
  }

  /** Counts one operator or function (AND, OR, NOT, comparators, BETWEEN, IN, calls). */
  counted<T>(node: T): T {
    this.operators++;
    return node;
  }

  or(): Cond {
    let left = this.and();
    while (this.cur.isKeyword('OR')) {
      this.cur.pos++;
      left = this.counted({ kind: 'or', left, right: this.and() });
    }
    return left;
  }

  and(): Cond {
    let left = this.not();
    while (this.cur.isKeyword('AND')) {
      this.cur.pos++;
      left = this.counted({ kind: 'and', left, right: this.not() });
    }
    return left;
  }

  not(): Cond {
    if (this.cur.isKeyword('NOT')) {
      this.cur.pos++;
      return this.counted({ kind: 'not', arg: this.not() });
    }
    return this.primary();
  }

  primary(): Cond {
    const t = this.cur.peek();
    if (t && t.kind === 'punct' && t.text === '(') {
      const start = this.cur.pos;
      const operators = this.operators;
      const issues = this.issues.snapshot();
      try {
        this.cur.pos++;
        const inner = this.or();
        this.cur.expect(')');
        if (!this.atOperator()) {
          if (inner.kind === 'paren') this.issues.add('parens', M.redundantParens);
          return { kind: 'paren', inner };
        }
        throw this.cur.error();
      } catch (e) {
        // Perhaps a parenthesised operand, "(a) = :v" or "(size(a)) > :n".
        const failedAt = this.cur.pos;
        this.cur.pos = start;
        this.operators = operators;
        this.issues.restore(issues);
        let left: Operand;
        try {
          left = this.term();
        } catch {
          this.cur.pos = failedAt;
          throw e;
        }
        return this.rest(left);
      }
    }
    return this.rest(this.term());
  }

  /** True when the next token continues a first operand: a comparator, BETWEEN or IN. */
  atOperator(): boolean {
    return !!comparator(this.cur.peek()) || this.cur.isKeyword('BETWEEN') || this.cur.isKeyword('IN');
  }

  /** An operand, possibly in parentheses (one pair is allowed, more are redundant). */
  term(depth = 0): Operand {
    if (this.cur.eat('(')) {
      const o = this.term(depth + 1);
      this.cur.expect(')');
      if (depth >= 1) this.issues.add('parens', M.redundantParens);
      return o;
    }
    return this.checked(this.operand());
  }

  /** What follows a condition's first operand: a comparator, BETWEEN, IN, or nothing for a function call. */
  rest(left: Operand): Cond {
    const op = comparator(this.cur.peek());
    if (op) {
      this.cur.pos++;
      const right = this.term();
      this.misused([left, right]);
      this.distinct(op, left, right);
      return this.counted({ kind: 'compare', op, left, right });
    }
    if (this.cur.isKeyword('BETWEEN')) {
      this.cur.pos++;
      const lo = this.term();
      if (!this.cur.isKeyword('AND')) throw this.cur.error();
      this.cur.pos++;
      const hi = this.term();
      this.misused([left, lo, hi]);
      this.between(lo, hi);
      return this.counted({ kind: 'between', arg: left, lo, hi });
    }
    if (this.cur.isKeyword('IN')) {
      this.cur.pos++;
      this.cur.expect('(');
      const list: Operand[] = [];
      do list.push(this.term());
      while (this.cur.eat(','));
      this.cur.expect(')');
      this.misused([left, ...list]);
      if (list.length > 100) this.issues.add('tooMany', M.inTooMany(list.length));
      return this.counted({ kind: 'in', arg: left, list });
    }
    if (left.kind === 'call') {
      if (left.name === 'size') this.issues.add('misused', M.misused('size'));
      return { kind: 'call', name: left.name, args: left.args };
    }
    throw this.cur.error();
  }

  /** Functions other than size() cannot be operands of comparisons or arguments of functions. */
  misused(args: readonly Operand[]): void {
    for (const a of args) if (a.kind === 'call' && a.name !== 'size') this.issues.add('misused', M.misused(a.name));
  }

  distinct(op: string, a: Operand, b: Operand): void {
    if (a.kind === 'path' && b.kind === 'path' && samePath(a.path, b.path)) this.issues.add('distinct', M.distinct(op, pathText(a.path)));
  }

  between(lo: Operand, hi: Operand): void {
    if (lo.kind !== 'value' || hi.kind !== 'value' || !lo.value || !hi.value) return;
    const show = (v: NonNullable<typeof lo.value>) => `{${typeOf(v)}:${String(payload(v))}}`;
    if (typeOf(lo.value) !== typeOf(hi.value)) this.issues.add('function', M.betweenTypes(show(lo.value), show(hi.value)));
    else if (compareKeys(lo.value, hi.value) > 0) this.issues.add('function', M.betweenOrder(show(lo.value), show(hi.value)));
  }

  /** DynamoDB's checks of a function call's name, operand count and operand types. */
  checked(o: Operand): Operand {
    if (o.kind !== 'call') return o;
    this.operators++;
    o.args.forEach((a) => this.checked(a));
    const arity = ARITY[o.name];
    if (arity === undefined) {
      this.issues.add('unknownFunction', M.unknownFunction(o.name));
      return o;
    }
    this.misused(o.args);
    if (o.args.length !== arity) {
      this.issues.add('operandCount', M.operandCount(o.name, o.args.length));
      return o;
    }
    const [a, b] = o.args as [Operand, Operand | undefined];
    if (b) this.distinct(o.name, a, b);
    const bad = (t: string) => this.issues.add('function', M.operandType(o.name, t));
    switch (o.name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
        if (a.kind !== 'path') this.issues.add('function', M.needsPath(o.name));
        break;
      case 'begins_with':
        for (const x of o.args) {
          const t = staticType(x);
          if (t && t !== 'S' && t !== 'B') {
            bad(t);
            break;
          }
        }
        break;
      case 'attribute_type': {
        const t = staticType(b!);
        if (t !== 'S') bad(t ?? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
        else if (b!.kind === 'value' && !TYPE_NAMES.has((b!.value as { S: string }).S)) {
          this.issues.add('function', M.badTypeName((b!.value as { S: string }).S));
        }
        break;
      }
      case 'size': {
        const t = staticType(a);
        if (t === 'N' || t === 'BOOL' || t === 'NULL') bad(t);
        break;
      }
    }
    return o;
  }
}

/** Parses a condition-language expression (also the key condition's) and throws DynamoDB's first error. */
export function parseCondition(text: string, input: ExprInput, kind: ExprKind): ParsedCondition {
  const p = new ConditionParser(new Cursor(text, kind), input);
  const tree = p.or();
  if (!p.cur.atEnd()) throw p.cur.error();
  if (p.operators > MAX_OPERATORS) p.issues.add('operators', M.tooManyOperators(p.operators));
  p.issues.throwFirst(kind);
  return { tree, names: p.names, values: p.values, heads: p.heads, nested: p.nested };
}
