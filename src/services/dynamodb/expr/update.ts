// Update expressions: SET/REMOVE/ADD/DELETE clauses parsed with DynamoDB's checks, and applied to a copy of an item.
import type { AttributeValue, ExprInput, Item, Update } from './index.js';
import { Cursor } from './lexer.js';
import { M, validation } from './messages.js';
import { checkOverlap, Issues, Parser, projectPaths, staticType, type Operand, type Path } from './parser.js';
import { operandValue, resolvePath } from './evaluate.js';
import { addNumbers } from './decimal.js';
import { checkNumber, valuesEqual } from './values.js';

const CLAUSES = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);
const ORDER = ['reserved', 'unknownFunction', 'section', 'undefined', 'overlap', 'conflict', 'operand', 'function'];
const ARITY: Record<string, number> = { if_not_exists: 2, list_append: 2 };
const TYPE_WORDS: Record<string, string> = { S: 'STRING', N: 'NUMBER', B: 'BINARY', NULL: 'NULL', BOOL: 'BOOLEAN', L: 'LIST', M: 'MAP' };

export type SetValue = Operand | { readonly kind: 'arith'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

export type Action =
  | { readonly kind: 'SET'; readonly path: Path; readonly value: SetValue }
  | { readonly kind: 'REMOVE'; readonly path: Path }
  | { readonly kind: 'ADD' | 'DELETE'; readonly path: Path; readonly value: AttributeValue | undefined };

class UpdateParser extends Parser {
  readonly paths: Path[] = [];
  readonly seen = new Set<string>();

  constructor(cur: Cursor, input: ExprInput) {
    super(cur, input, new Issues(ORDER), CLAUSES);
  }

  target(): Path {
    const p = this.path();
    checkOverlap(this.paths, p, this.issues);
    return p;
  }

  checkedOperand(): Operand {
    const o = this.operand(() => this.checkedOperand());
    if (o.kind !== 'call') return o;
    const arity = ARITY[o.name];
    if (arity === undefined) {
      this.issues.add('unknownFunction', M.unknownFunction(o.name));
      return o;
    }
    if (o.args.length !== arity) {
      this.issues.add('function', M.operandCount(o.name, o.args.length));
      return o;
    }
    if (o.name === 'if_not_exists' && o.args[0]!.kind !== 'path') this.issues.add('function', M.needsPath(o.name));
    if (o.name === 'list_append') this.operandTypes(o.name, o.args, 'L');
    return o;
  }

  operandTypes(name: string, args: readonly Operand[], want: string): void {
    for (const a of args) {
      const t = a.kind === 'value' ? staticType(a) : undefined;
      if (t && t !== want) {
        this.issues.add('function', M.operandType(name, t));
        return;
      }
    }
  }

  setValue(): SetValue {
    const left = this.checkedOperand();
    const t = this.cur.peek();
    if (t && t.kind === 'punct' && (t.text === '+' || t.text === '-')) {
      this.cur.pos++;
      const right = this.checkedOperand();
      this.operandTypes(t.text, [left, right], 'N');
      return { kind: 'arith', op: t.text, left, right };
    }
    return left;
  }

  clauseValue(clause: 'ADD' | 'DELETE'): AttributeValue | undefined {
    const t = this.cur.peek();
    if (!t || t.kind !== 'value') throw this.cur.error();
    this.cur.pos++;
    const o = this.value(t);
    const type = staticType(o);
    if (type && TYPE_WORDS[type] && !(clause === 'ADD' && type === 'N')) {
      this.issues.add('operand', M.clauseOperandType(clause, TYPE_WORDS[type]!));
    }
    return o.kind === 'value' ? o.value : undefined;
  }

  actions(): Action[] {
    const out: Action[] = [];
    do {
      const t = this.cur.peek();
      const clause = t && t.kind === 'ident' ? t.text.toUpperCase() : '';
      if (!CLAUSES.has(clause)) throw this.cur.error();
      this.cur.pos++;
      if (this.seen.has(clause)) this.issues.add('section', M.section(clause));
      this.seen.add(clause);
      do {
        if (clause === 'SET') {
          const path = this.target();
          this.cur.expect('=');
          out.push({ kind: 'SET', path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          out.push({ kind: 'REMOVE', path: this.target() });
        } else {
          const kind = clause as 'ADD' | 'DELETE';
          const path = this.target();
          out.push({ kind, path, value: this.clauseValue(kind) });
        }
      } while (this.cur.eat(','));
    } while (!this.cur.atEnd());
    return out;
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function valueOf(o: Operand, item: Item): AttributeValue {
  if (o.kind === 'call') {
    if (o.name === 'if_not_exists') return resolvePath(item, (o.args[0] as { path: Path }).path) ?? valueOf(o.args[1]!, item);
    const a = valueOf(o.args[0]!, item);
    const b = valueOf(o.args[1]!, item);
    if (!('L' in a) || !('L' in b)) throw validation(M.wrongOperandType);
    return { L: [...a.L, ...b.L] };
  }
  const v = operandValue(o, item);
  if (!v) throw validation(M.missingAttribute);
  return v;
}

function checkedNumber(n: string): AttributeValue {
  const r = checkNumber(n);
  if ('error' in r) throw validation(r.error);
  return { N: r.value };
}

function setValueOf(v: SetValue, item: Item): AttributeValue {
  if (v.kind !== 'arith') return valueOf(v, item);
  const a = valueOf(v.left, item);
  const b = valueOf(v.right, item);
  if (!('N' in a) || !('N' in b)) throw validation(M.wrongOperandType);
  return checkedNumber(addNumbers(a.N, b.N, v.op === '-'));
}

type Parent = { M: Record<string, AttributeValue> } | { L: AttributeValue[] };

/** The container a path's last step lives in, or the update's "invalid for update" error. */
function parentOf(item: Item, path: Path): Parent {
  const parent: AttributeValue | undefined = path.length === 1 ? { M: item } : resolvePath(item, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (parent && typeof last === 'number' && 'L' in parent) return parent;
  if (parent && typeof last === 'string' && 'M' in parent) return parent;
  throw validation(M.invalidForUpdate);
}

function getIn(p: Parent, key: string | number): AttributeValue | undefined {
  if ('L' in p) return p.L[key as number];
  return Object.prototype.hasOwnProperty.call(p.M, key) ? p.M[key as string] : undefined;
}

function putIn(p: Parent, key: string | number, v: AttributeValue): void {
  if ('L' in p) {
    const i = key as number;
    if (i >= p.L.length) p.L.push(v);
    else p.L[i] = v;
  } else p.M[key as string] = v;
}

function deleteIn(p: Parent, key: string | number): void {
  if ('L' in p) {
    if ((key as number) < p.L.length) p.L.splice(key as number, 1);
  } else delete p.M[key as string];
}

type SetKey = 'SS' | 'NS' | 'BS';
const setKey = (v: AttributeValue): SetKey | undefined => ('SS' in v ? 'SS' : 'NS' in v ? 'NS' : 'BS' in v ? 'BS' : undefined);
const member = (k: SetKey, x: string): AttributeValue => (k === 'SS' ? { S: x } : k === 'NS' ? { N: x } : { B: x });
const has = (k: SetKey, xs: readonly string[], x: string) => xs.some((y) => valuesEqual(member(k, y), member(k, x)));

function add(p: Parent, key: string | number, v: AttributeValue): void {
  const existing = getIn(p, key);
  if ('N' in v) {
    if (!existing) return putIn(p, key, v);
    if (!('N' in existing)) throw validation(M.wrongOperandType);
    return putIn(p, key, checkedNumber(addNumbers(existing.N, v.N)));
  }
  const k = setKey(v);
  if (!k) throw validation(M.wrongOperandType);
  if (!existing) return putIn(p, key, clone(v));
  if (setKey(existing) !== k) throw validation(M.wrongOperandType);
  const xs = [...(existing as Record<SetKey, string[]>)[k]];
  for (const x of (v as Record<SetKey, string[]>)[k]) if (!has(k, xs, x)) xs.push(x);
  putIn(p, key, { [k]: xs } as AttributeValue);
}

function del(p: Parent, key: string | number, v: AttributeValue): void {
  const existing = getIn(p, key);
  const k = setKey(v);
  if (!k) throw validation(M.wrongOperandType);
  if (!existing) return;
  if (setKey(existing) !== k) throw validation(M.wrongOperandType);
  const remove = (v as Record<SetKey, string[]>)[k];
  const xs = (existing as Record<SetKey, string[]>)[k].filter((x) => !has(k, remove, x));
  if (xs.length === 0) deleteIn(p, key);
  else putIn(p, key, { [k]: xs } as AttributeValue);
}

/** Orders removals so that a list loses its higher indexes first (indexes refer to the item before the update). */
function removalOrder(a: Path, b: Path): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return 0;
  }
  return b.length - a.length;
}

export function applyActions(actions: readonly Action[], original: Item): Item {
  // Every SET value is computed on the item as it was, before any action changes it.
  const values = actions.map((a) => (a.kind === 'SET' ? setValueOf(a.value, original) : undefined));
  const item = clone(original);
  const removals: Path[] = [];
  actions.forEach((a, i) => {
    if (a.kind === 'REMOVE') {
      parentOf(item, a.path);
      removals.push(a.path);
      return;
    }
    const p = parentOf(item, a.path);
    const key = a.path[a.path.length - 1]!;
    if (a.kind === 'SET') putIn(p, key, clone(values[i]!));
    else if (a.kind === 'ADD') add(p, key, a.value!);
    else del(p, key, a.value!);
  });
  for (const path of removals.sort(removalOrder)) {
    const p = parentOf(item, path);
    deleteIn(p, path[path.length - 1]!);
  }
  return item;
}

export interface ParsedUpdate {
  readonly actions: readonly Action[];
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
  readonly heads: ReadonlySet<string>;
  readonly nested: ReadonlySet<string>;
}

export function parseUpdate(text: string, input: ExprInput): ParsedUpdate {
  const p = new UpdateParser(new Cursor(text, 'UpdateExpression'), input);
  const actions = p.actions();
  p.issues.throwFirst('UpdateExpression');
  return { actions, names: p.names, values: p.values, heads: p.heads, nested: p.nested };
}

export function compileUpdate(text: string, input: ExprInput): Update {
  const { actions, names, values, heads, nested } = parseUpdate(text, input);
  const touched = new Set(actions.map((a) => String(a.path[0])));
  const paths = actions.map((a) => a.path);
  return { names, values, heads, nested, touched, apply: (item) => applyActions(actions, item), updated: (item) => projectPaths(paths, item) };
}
