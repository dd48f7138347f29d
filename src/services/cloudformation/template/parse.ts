// Template text (JSON or YAML with CloudFormation's short tags) to a plain JSON tree, with CloudFormation's errors.
import { parseDocument, type ScalarTag, type CollectionTag, YAMLMap, YAMLSeq, Scalar, isMap, isSeq, isScalar, isAlias, type Document } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** A template that cannot be read; the message is CloudFormation's own wording. */
export class TemplateFormatError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TemplateFormatError';
  }
}

/** Short tags that take the `Fn::` prefix; `!Ref` and `!Condition` are the two that do not (as aws-cli's yamlhelper). */
const FN_TAGS = [
  'And', 'Base64', 'Cidr', 'Condition', 'Equals', 'FindInMap', 'ForEach', 'GetAtt', 'GetAZs', 'If', 'ImportValue',
  'Join', 'Length', 'Not', 'Or', 'Ref', 'Select', 'Split', 'Sub', 'ToJsonString', 'Transform',
] as const;

const longName = (tag: string): string => (tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`);

/** `!GetAtt A.B.C` splits at the first dot only: ["A", "B.C"]. */
function getAttScalar(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const dot = v.indexOf('.');
  return dot < 0 ? [v] : [v.slice(0, dot), v.slice(dot + 1)];
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const key = longName(name);
  const tag = `!${name}`;
  const wrap = (v: unknown): Record<string, unknown> => ({ [key]: v });
  const scalar: ScalarTag = {
    tag,
    // The node's source text is kept as YAML's core schema would type it (a bare number stays a number).
    resolve: (str: string) => wrap(name === 'GetAtt' ? getAttScalar(str) : str),
    identify: () => false,
  };
  const seq: CollectionTag = {
    tag,
    collection: 'seq',
    nodeClass: YAMLSeq,
    resolve: (node) => node,
    identify: () => false,
  };
  const map: CollectionTag = {
    tag,
    collection: 'map',
    nodeClass: YAMLMap,
    resolve: (node) => node,
    identify: () => false,
  };
  return [scalar, seq, map];
}

/**
 * YAML 1.1 booleans as PyYAML (SAM CLI, samtranslator) reads them: yes/no/on/off in their three spellings, besides
 * true/false. The core schema would keep `Enabled: yes` a string; y/n stay strings, as in PyYAML.
 */
const YAML11_BOOL: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (v) => typeof v === 'boolean',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (str: string) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(str),
};

const CUSTOM_TAGS = [YAML11_BOOL, ...FN_TAGS.flatMap(tagsFor)];

let currentDoc: Document | undefined;
/** While a document is converted: JSON pointers of the numbers YAML typed as floats although integral (`3.0`). */
let currentFloats: Set<string> | undefined;
const pointer = (path: string, key: string | number): string => `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
/** Nodes being converted via an alias, to refuse recursive aliases. */
const active = new Set<unknown>();

const isMergeKey = (k: unknown): boolean => isScalar(k) && (typeof k.value === 'symbol' || (k.value === '<<' && k.type === 'PLAIN'));

/** Turns the parsed document (tagged collections are kept as nodes) into plain JSON, expanding the tags. */
function toJson(node: unknown, path = ''): Json {
  if (isMap(node)) {
    const own: JsonObject = {};
    const merged: JsonObject = {};
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        // `<<: *a` or `<<: [*a, *b]`: earlier maps win over later ones, keys of this map win over all.
        const v = toJson(pair.value, path);
        for (const m of Array.isArray(v) ? v : [v]) {
          if (m && typeof m === 'object' && !Array.isArray(m)) for (const [k, x] of Object.entries(m)) if (!(k in merged)) merged[k] = x;
        }
        continue;
      }
      const k = toJson(pair.key, path);
      const key = typeof k === 'string' ? k : k === null ? 'null' : typeof k === 'object' ? JSON.stringify(k) : String(k);
      own[key] = toJson(pair.value, pointer(path, key));
    }
    return tagged(node.tag, { ...merged, ...own });
  }
  if (isSeq(node)) return tagged(node.tag, node.items.map((x, i) => toJson(x, pointer(path, i))));
  if (isScalar(node)) {
    const v = node.value;
    if (node.tag && node.tag.startsWith('!') && v !== null && typeof v === 'object') return v as Json;
    // Any other `!X` becomes {"Fn::X": text}, as the reference's catch-all constructor does.
    if (node.tag && node.tag.startsWith('!') && !node.tag.startsWith('!!')) return tagged(node.tag, node.source ?? (v === null ? '' : String(v)));
    // Python keeps `3.0` a float and `3` an int; a JS number is both, so the difference is noted beside the tree.
    if (typeof v === 'number' && Number.isInteger(v) && typeof node.source === 'string' && node.source.includes('.')) currentFloats?.add(path);
    return plain(v);
  }
  if (isAlias(node)) {
    const target = node.resolve(currentDoc!);
    // An alias to its own ancestor would make the tree infinite; CloudFormation templates are finite JSON.
    if (target && active.has(target)) throw new TemplateFormatError(`Template format error: YAML not well-formed. (alias *${node.source} refers to its own ancestor)`);
    if (!target) return null;
    active.add(target);
    try {
      return toJson(target, path);
    } finally {
      active.delete(target);
    }
  }
  if (node === null || node === undefined) return null;
  return plain(node);
}

function tagged(tag: string | undefined, value: Json): Json {
  if (!tag || !tag.startsWith('!') || tag.startsWith('!!')) return value;
  const name = tag.slice(1);
  return { [longName(name)]: value };
}

function plain(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Scalar) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isScalar(x) || isMap(x) || isSeq(x) ? toJson(x) : plain(x);
    return out;
  }
  return String(v);
}

/** A template read from text, with what a JSON tree cannot say about its numbers. */
export interface ReadTemplate {
  template: Json;
  /**
   * JSON pointers (`/Resources/Api/Properties/OpenApiVersion`) of integral numbers written as floats in YAML (`3.0`):
   * Python, and so SAM, tells them from ints (`3`). Undefined for JSON text, whose numbers keep no such mark here.
   */
  integralFloats?: ReadonlySet<string>;
}

/** JSON first (as CloudFormation and SAM CLI try it), then YAML; the result is always a JSON tree. */
export function parseTemplate(text: string, fileName = 'template'): Json {
  return readTemplate(text, fileName).template;
}

/** parseTemplate, keeping the integral floats of a YAML text (see ReadTemplate). */
export function readTemplate(text: string, fileName = 'template'): ReadTemplate {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return { template: JSON.parse(text) as Json };
    } catch {
      // Not JSON after all: YAML is a superset, so let the YAML parser report the position.
    }
  }
  const doc = parseDocument(text, { customTags: CUSTOM_TAGS, merge: true, uniqueKeys: false, keepSourceTokens: false, strict: false });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    throw new TemplateFormatError(`Template format error: YAML not well-formed.${where}`, pos?.line, pos?.col);
  }
  void fileName;
  currentDoc = doc;
  const integralFloats = (currentFloats = new Set<string>());
  try {
    return { template: toJson(doc.contents), integralFloats };
  } finally {
    currentDoc = undefined;
    currentFloats = undefined;
  }
}
