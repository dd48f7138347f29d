// Projection expressions: comma-separated document paths, and the item they project (nested maps, compacted lists).
import type { AttributeValue, ExprInput, Item, Projection } from './types.js';
import { Cursor } from './lexer.js';
import { checkOverlap, Issues, Parser, type Path } from './parser.js';
import { resolvePath } from './evaluate.js';

const ORDER = ['reserved', 'undefined', 'overlap', 'conflict'];

export function parseProjection(
  text: string,
  names: ExprInput['names'],
): { paths: Path[]; names: ReadonlySet<string>; heads: ReadonlySet<string>; nested: ReadonlySet<string> } {
  const p = new Parser(new Cursor(text, 'ProjectionExpression'), { names }, new Issues(ORDER), new Set());
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

export { resolvePath };
