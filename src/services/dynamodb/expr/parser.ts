// Recursive-descent parsing shared by every expression language (document paths, operands, issues, overlaps) and projections.
import type { AttributeValue, ExprInput, Item, Projection } from './index.js';
import { Cursor, type Token } from './lexer.js';
import { invalid, isReserved, M, pathText, type ExprKind } from './messages.js';

/** A resolved document path: attribute names (placeholders substituted) and list indexes. */
export type Path = (string | number)[];

export type Operand =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'value'; readonly name: string; readonly value: AttributeValue | undefined }
  | { readonly kind: 'call'; readonly name: string; readonly args: Operand[] };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Cond =
  | { readonly kind: 'or' | 'and'; readonly left: Cond; readonly right: Cond }
  | { readonly kind: 'not'; readonly arg: Cond }
  | { readonly kind: 'paren'; readonly inner: Cond }
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly arg: Operand; readonly lo: Operand; readonly hi: Operand }
  | { readonly kind: 'in'; readonly arg: Operand; readonly list: Operand[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: Operand[] };

/**
 * Semantic problems found while parsing, kept by category: DynamoDB reports the first problem of the most
 * important category after the whole expression parsed (syntax errors are thrown at once instead).
 */
export class Issues {
  private readonly first = new Map<string, string>();
  constructor(private readonly order: readonly string[]) {}
  add(category: string, message: string): void {
    if (!this.first.has(category)) this.first.set(category, message);
  }
  has(category: string): boolean {
    return this.first.has(category);
  }
  /** The issues so far, to go back to when a parse attempt is abandoned. */
  snapshot(): Map<string, string> {
    return new Map(this.first);
  }
  restore(snap: Map<string, string>): void {
    this.first.clear();
    for (const [k, v] of snap) this.first.set(k, v);
  }
  throwFirst(kind: ExprKind): void {
    for (const c of this.order) {
      const m = this.first.get(c);
      if (m !== undefined) throw invalid(kind, m);
    }
  }
}

const COMPARATORS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);

/** Shared parsing state of one expression: the cursor, the request's placeholders, what was used, the issues. */
export class Parser {
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  /** Top-level attribute names of every document path, and those that paths reach into with '.' or '[]'. */
  readonly heads = new Set<string>();
  readonly nested = new Set<string>();

  constructor(
    readonly cur: Cursor,
    readonly input: ExprInput,
    readonly issues: Issues,
    /** Words that are grammar keywords here and so cannot start a document path. */
    readonly keywords: ReadonlySet<string>,
  ) {}

  private pathElement(t: Token | undefined): string | undefined {
    if (!t) return undefined;
    if (t.kind === 'ident' && !this.keywords.has(t.text.toUpperCase())) {
      if (isReserved(t.text)) this.issues.add('reserved', M.reserved(t.text));
      return t.text;
    }
    if (t.kind === 'name') {
      this.names.add(t.text);
      const real = this.input.names?.[t.text];
      if (real === undefined) {
        this.issues.add('undefined', M.nameUndefined(t.text));
        return t.text;
      }
      return real;
    }
    return undefined;
  }

  /** True when the next token can start a document path. */
  atPath(): boolean {
    const t = this.cur.peek();
    return !!t && ((t.kind === 'ident' && !this.keywords.has(t.text.toUpperCase())) || t.kind === 'name');
  }

  path(): Path {
    const head = this.pathElement(this.cur.peek());
    if (head === undefined) throw this.cur.error();
    this.cur.pos++;
    const out: Path = [head];
    for (;;) {
      if (this.cur.eat('.')) {
        const el = this.pathElement(this.cur.peek());
        if (el === undefined) throw this.cur.error();
        this.cur.pos++;
        out.push(el);
      } else if (this.cur.eat('[')) {
        const t = this.cur.peek();
        if (!t || t.kind !== 'number') throw this.cur.error();
        this.cur.pos++;
        this.cur.expect(']');
        out.push(Number(t.text));
      } else {
        this.heads.add(head);
        if (out.length > 1) this.nested.add(head);
        return out;
      }
    }
  }

  value(t: Token): Operand {
    this.values.add(t.text);
    const v = this.input.values?.[t.text];
    if (v === undefined) this.issues.add('undefined', M.valueUndefined(t.text));
    return { kind: 'value', name: t.text, value: v };
  }

  /** A path, a :value or a function call (arguments parsed by `arg`). */
  operand(arg: () => Operand = () => this.operand()): Operand {
    const t = this.cur.peek();
    if (!t) throw this.cur.error();
    if (t.kind === 'value') {
      this.cur.pos++;
      return this.value(t);
    }
    if (t.kind === 'ident' && this.cur.peek(1)?.text === '(' && this.cur.peek(1)?.kind === 'punct') {
      this.cur.pos += 2;
      const args: Operand[] = [];
      if (!this.cur.eat(')')) {
        do args.push(arg());
        while (this.cur.eat(','));
        this.cur.expect(')');
      }
      return { kind: 'call', name: t.text, args };
    }
    return { kind: 'path', path: this.path() };
  }
}

/** The type an operand is known to have while parsing (values and size()), else undefined. */
export function staticType(o: Operand): string | undefined {
  if (o.kind === 'value') return o.value ? Object.keys(o.value)[0] : undefined;
  if (o.kind === 'call') return o.name === 'size' ? 'N' : 'BOOL';
  return undefined;
}

export function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Records overlap/conflict of `path` with any earlier path of the list (DynamoDB's rule for update targets and
 * projections), then adds it.
 */
export function checkOverlap(paths: Path[], path: Path, issues: Issues): void {
  for (const earlier of paths) {
    let diverged = false;
    for (let i = 0; i < earlier.length && i < path.length; i++) {
      if (typeof earlier[i] !== typeof path[i]) {
        issues.add('conflict', M.conflict(pathText(earlier), pathText(path)));
        diverged = true;
        break;
      }
      if (earlier[i] !== path[i]) {
        diverged = true;
        break;
      }
    }
    if (!diverged) issues.add('overlap', M.overlap(pathText(earlier), pathText(path)));
  }
  paths.push(path);
}

/** Comparator tokens, or undefined. */
export function comparator(t: Token | undefined): Comparator | undefined {
  return t && t.kind === 'punct' && COMPARATORS.has(t.text) ? (t.text as Comparator) : undefined;
}

// Projection expressions: comma-separated document paths, and the item they project (nested maps, compacted lists).

const PROJECTION_ORDER = ['reserved', 'undefined', 'overlap', 'conflict'];

export function parseProjection(
  text: string,
  names: ExprInput['names'],
): { paths: Path[]; names: ReadonlySet<string>; heads: ReadonlySet<string>; nested: ReadonlySet<string> } {
  const p = new Parser(new Cursor(text, 'ProjectionExpression'), { names }, new Issues(PROJECTION_ORDER), new Set());
  const paths: Path[] = [];
  do checkOverlap(paths, p.path(), p.issues);
  while (p.cur.eat(','));
  if (!p.cur.atEnd()) throw p.cur.error();
  p.issues.throwFirst('ProjectionExpression');
  return { paths, names: p.names, heads: p.heads, nested: p.nested };
}

/** A selection tree: each node maps a map key or list index to a leaf (take it whole) or a deeper selection. */
type Node = Map<string | number, Node | true>;

function select(root: Node, path: Path): void {
  let node = root;
  path.forEach((el, i) => {
    if (i === path.length - 1) {
      node.set(el, true);
      return;
    }
    const next = node.get(el);
    if (next === true) return;
    const child: Node = next ?? new Map();
    node.set(el, child);
    node = child;
  });
}

function pick(v: AttributeValue, node: Node): AttributeValue | undefined {
  if ('M' in v) {
    const out: Record<string, AttributeValue> = {};
    for (const [k, sel] of node) {
      if (typeof k !== 'string' || !Object.prototype.hasOwnProperty.call(v.M, k)) continue;
      const got = sel === true ? v.M[k] : pick(v.M[k]!, sel);
      if (got) out[k] = got;
    }
    return Object.keys(out).length ? { M: out } : undefined;
  }
  if ('L' in v) {
    // DynamoDB returns the selected elements of a list in index order, without gaps.
    const out: AttributeValue[] = [];
    const idx = [...node.keys()].filter((k): k is number => typeof k === 'number').sort((a, b) => a - b);
    for (const i of idx) {
      if (i >= v.L.length) continue;
      const sel = node.get(i)!;
      const got = sel === true ? v.L[i] : pick(v.L[i]!, sel);
      if (got) out.push(got);
    }
    return out.length ? { L: out } : undefined;
  }
  return undefined;
}

export function projectPaths(paths: readonly Path[], item: Item): Item {
  const root: Node = new Map();
  for (const p of paths) select(root, p);
  const out = pick({ M: item }, root);
  return structuredClone(out && 'M' in out ? out.M : {});
}

export function compileProjection(text: string, names: ExprInput['names']): Projection {
  const parsed = parseProjection(text, names);
  return { names: parsed.names, values: new Set(), heads: parsed.heads, nested: parsed.nested, project: (item) => projectPaths(parsed.paths, item) };
}
