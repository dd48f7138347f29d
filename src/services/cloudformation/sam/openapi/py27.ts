// Python 2.7 dict emulation (samtranslator's Py27Dict/Py27UniStr): the REST API's Deployment logical id hashes
// `str(swagger)`, whose key order is Python 2.7's hash-slot order and whose strings print as u'…' or '…'.
import { pyString } from '../hash.js';
import { isObj, type Json, type JsonObject } from '../types.js';

/** A plain (non-unicode) Python str: what samtranslator generates itself. A bare JS string is a Py27UniStr. */
export class PStr {
  constructor(readonly s: string) {}
  toString(): string {
    return this.s;
  }
}
export const ps = (s: string): PStr => new PStr(s);

/** A Python float whose value is integral (YAML `2.0`): prints as `2.0` where a JS number would print `2`. */
export class PFloat {
  constructor(readonly v: number) {}
}

export type PyVal = string | PStr | PFloat | number | boolean | null | PyVal[] | PyDict;

const M64 = (1n << 64n) - 1n;

/** Python 2.7's string hash, as an unsigned 64-bit value (what Py27Keys masks). */
export function py27Hash(s: string): bigint {
  const cps = [...s].map((c) => BigInt(c.codePointAt(0)!));
  if (cps.length === 0) return 0n;
  let x = (cps[0]! << 7n) & M64;
  for (const c of cps) x = ((1000003n * x) & M64) ^ c;
  x ^= BigInt(cps.length);
  return x & M64;
}

const hashCache = new Map<string, bigint>();
function hashOf(k: string): bigint {
  let h = hashCache.get(k);
  if (h === undefined) {
    h = py27Hash(k);
    if (hashCache.size > 20000) hashCache.clear();
    hashCache.set(k, h);
  }
  return h;
}

const DUMMY = Symbol('dummy');
type Slot = string | typeof DUMMY;

/** The key order of a CPython 2.7 dict: open addressing with perturbation, resized at 2/3 fill. */
export class Py27Keys {
  private slots = new Map<number, Slot>();
  private size = 0;
  private fill = 0;
  private mask = 7;

  private idx(k: string): number {
    const h = hashOf(k);
    let i = Number(h & BigInt(this.mask));
    if (!this.slots.has(i) || this.slots.get(i) === k) return i;
    let free: number | undefined = this.slots.get(i) === DUMMY ? i : undefined;
    let walker = BigInt(i);
    let perturb = h;
    while (this.slots.has(i) && this.slots.get(i) !== k) {
      walker = (walker << 2n) + walker + perturb + 1n;
      i = Number(walker & BigInt(this.mask));
      if (!this.slots.has(i)) return free ?? i;
      if (this.slots.get(i) === k) return i;
      if (free === undefined && this.slots.get(i) === DUMMY) free = i;
      perturb >>= 5n;
    }
    return i;
  }

  private resize(request: number): void {
    let n = 8;
    while (n <= request) n <<= 1;
    this.mask = n - 1;
    const old = [...this.slots.entries()].sort((a, b) => a[0] - b[0]);
    this.slots = new Map();
    this.fill = this.size = 0;
    for (const [, k] of old) if (k !== DUMMY) this.add(k);
  }

  remove(k: string): void {
    const i = this.idx(k);
    if (this.slots.has(i) && this.slots.get(i) !== DUMMY) {
      this.slots.set(i, DUMMY);
      this.size--;
    }
  }

  add(k: string): void {
    const start = this.size;
    const i = this.idx(k);
    if (!this.slots.has(i)) {
      this.size++;
      this.fill++;
      this.slots.set(i, k);
    } else {
      if (this.slots.get(i) === DUMMY) this.size++;
      if (this.slots.get(i) !== k) this.slots.set(i, k);
    }
    if (this.size > start && this.fill * 3 >= (this.mask + 1) * 2) this.resize(this.size * (this.size > 50000 ? 2 : 4));
  }

  keys(): string[] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).filter((k): k is string => k !== DUMMY);
  }

  merge(other: string[]): void {
    if (other.length === 0) return;
    if ((this.fill + other.length) * 3 >= (this.mask + 1) * 2) this.resize((this.size + other.length) * 2);
    for (const k of other) this.add(k);
  }

  copy(): Py27Keys {
    const n = new Py27Keys();
    n.merge(this.keys());
    return n;
  }

  deepcopy(): Py27Keys {
    const n = new Py27Keys();
    for (const k of this.keys()) n.add(k);
    return n;
  }
}

/** A Python dict: either a Py27Dict (2.7 key order) or a plain dict (insertion order); keys remember their str kind. */
export class PyDict {
  readonly map = new Map<string, PyVal>();
  readonly plainKeys = new Set<string>();
  keys27: Py27Keys | undefined;

  constructor(readonly py27: boolean) {
    if (py27) this.keys27 = new Py27Keys();
  }

  get(k: string): PyVal | undefined {
    return this.map.get(k);
  }
  has(k: string): boolean {
    return this.map.has(k);
  }
  /** Sets a key; `plainKey` when samtranslator writes the key as a literal (a str, not a Py27UniStr). */
  set(k: string, v: PyVal, plainKey = false): this {
    if (!this.map.has(k) && plainKey) this.plainKeys.add(k);
    this.map.set(k, v);
    this.keys27?.add(k);
    return this;
  }
  /** Set with a literal key (samtranslator's constants such as 'x-amazon-apigateway-integration'). */
  setP(k: string, v: PyVal): this {
    return this.set(k, v, true);
  }
  delete(k: string): void {
    if (!this.map.has(k)) return;
    this.map.delete(k);
    this.plainKeys.delete(k);
    this.keys27?.remove(k);
  }
  setdefault(k: string, v: PyVal, plainKey = false): PyVal {
    if (!this.map.has(k)) this.set(k, v, plainKey);
    return this.map.get(k)!;
  }
  keys(): string[] {
    return this.keys27 ? this.keys27.keys() : [...this.map.keys()];
  }
  entries(): [string, PyVal][] {
    return this.keys().map((k) => [k, this.map.get(k)!]);
  }
  get size(): number {
    return this.map.size;
  }
  isPlainKey(k: string): boolean {
    return this.plainKeys.has(k);
  }
  /** dict.update(other): a Py27Dict merges the incoming keys first, as the reference's emulation does. */
  update(other: PyDict): void {
    if (this.keys27) this.keys27.merge(other.keys());
    for (const [k, v] of other.entries()) this.set(k, v, other.isPlainKey(k));
  }
  /** dict.copy() (shallow). */
  copy(): PyDict {
    const n = new PyDict(this.py27);
    if (this.keys27) n.keys27 = this.keys27.copy();
    for (const [k, v] of this.entries()) n.set(k, v, this.isPlainKey(k));
    return n;
  }
}

/** copy.deepcopy: a Py27Dict's keys are re-added in its 2.7 order (which may reorder colliding keys). */
export function deepcopy<T extends PyVal>(v: T): T {
  if (Array.isArray(v)) return v.map(deepcopy) as T;
  if (v instanceof PyDict) {
    const n = new PyDict(v.py27);
    if (v.keys27) n.keys27 = v.keys27.deepcopy();
    for (const k of v.map.keys()) {
      if (v.isPlainKey(k)) n.plainKeys.add(k);
      n.map.set(k, deepcopy(v.map.get(k)!));
    }
    return n as T;
  }
  return v;
}

/** A plain Python dict literal with literal keys, e.g. `{'type': 'string'}`. */
export function pd(entries: [string, PyVal][] = []): PyDict {
  const d = new PyDict(false);
  for (const [k, v] of entries) d.setP(k, v);
  return d;
}
/** A Py27Dict with literal keys, set in the given order. */
export function p27(entries: [string, PyVal][] = []): PyDict {
  const d = new PyDict(true);
  for (const [k, v] of entries) d.setP(k, v);
  return d;
}

/** _convert_to_py27_type: template values become Py27Dicts with Py27UniStr keys and strings. */
export function fromJson(v: Json | undefined): PyVal {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(fromJson);
  if (isObj(v)) {
    const d = new PyDict(true);
    for (const [k, x] of Object.entries(v)) d.set(k, fromJson(x));
    return d;
  }
  return v;
}

/** Plain (non-converted) JSON as Python sees values samtranslator did not convert: plain dicts, str. */
export function fromJsonPlain(v: Json | undefined): PyVal {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(fromJsonPlain);
  if (isObj(v)) {
    const d = new PyDict(false);
    for (const [k, x] of Object.entries(v)) d.setP(k, fromJsonPlain(x));
    return d;
  }
  return typeof v === 'string' ? ps(v) : v;
}

export function toJson(v: PyVal | undefined): Json {
  if (v === undefined || v === null) return null;
  if (v instanceof PStr) return v.s;
  if (v instanceof PFloat) return v.v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof PyDict) {
    const o: JsonObject = {};
    for (const [k, x] of v.entries()) o[k] = toJson(x);
    return o;
  }
  return v;
}

/** The text of a string value, whichever kind. */
export const str = (v: PyVal | undefined): string | undefined => (typeof v === 'string' ? v : v instanceof PStr ? v.s : undefined);
export const isStr = (v: PyVal | undefined): v is string | PStr => typeof v === 'string' || v instanceof PStr;
export const isDict = (v: PyVal | undefined): v is PyDict => v instanceof PyDict;
/** Python truthiness. */
export function truthy(v: PyVal | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (v instanceof PStr) return v.s !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyDict) return v.size > 0;
  return true;
}

function py3Repr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return q + out + q;
}

/** Py27UniStr.__repr__: u + repr of the unicode_escape'd text with doubled backslashes collapsed. */
function uniRepr(s: string): string {
  let esc = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') esc += '\\\\';
    else if (ch === '\n') esc += '\\n';
    else if (ch === '\r') esc += '\\r';
    else if (ch === '\t') esc += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0xff)) esc += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c > 0xffff) esc += `\\U${c.toString(16).padStart(8, '0')}`;
    else if (c > 0xff) esc += `\\u${c.toString(16).padStart(4, '0')}`;
    else esc += ch;
  }
  const q = esc.includes("'") && !esc.includes('"') ? '"' : "'";
  return `u${q}${esc.replace(q === "'" ? /'/g : /(?!)/g, "\\'")}${q}`;
}

function pyNum(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(n);
}

/** Python's repr()/str() of a container as samtranslator's objects print it. */
export function pyRepr(v: PyVal | undefined): string {
  if (v === undefined || v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNum(v);
  if (v instanceof PFloat) return Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
  if (typeof v === 'string') return uniRepr(v);
  if (v instanceof PStr) return py3Repr(v.s);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${v.entries().map(([k, x]) => `${v.isPlainKey(k) ? py3Repr(k) : uniRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}


/** json.dumps(v) with the default separators, dicts in their Python iteration order. */
export function pyJsonDumps(v: PyVal | undefined): string {
  if (v === undefined || v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return pyNum(v);
  if (v instanceof PFloat) return Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
  if (typeof v === 'string') return pyString(v);
  if (v instanceof PStr) return pyString(v.s);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  return `{${v.entries().map(([k, x]) => `${pyString(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
}

/** The iteration order Python 2.7 gives keys inserted in this order (the reference iterates Py27Dicts). */
export function py27Order(keys: string[]): string[] {
  const k = new Py27Keys();
  for (const x of keys) k.add(x);
  return k.keys();
}
