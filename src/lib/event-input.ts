// EventBridge target input: a target's Input (verbatim), InputPath (a JSONPath of the event) or InputTransformer
// (InputPathsMap + InputTemplate, with AWS's quoted and unquoted placeholders and its reserved variables), and the
// validation PutTargets applies to them. Pure: the event in, the target's payload text out.

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface InputSpec {
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

/** What the reserved placeholders stand for. */
export interface InputContext {
  ruleArn: string;
  ruleName: string;
  /** When EventBridge received the event (ms). */
  ingestionTime: number;
}

export const MAX_INPUT_PATHS = 100;
const KEY_RE = /^[A-Za-z0-9_-]+$/;
const PATH_RE = /^\$((\.[^.[\]\s]+)|(\[\d+\]))*$/;
const PLACEHOLDER = /<([^<>\s]+)>/g;

/** The value at a JSONPath in dot notation (`$`, `$.detail.a`, `$.resources[0]`), or undefined. */
export function valueAt(event: unknown, path: string): unknown {
  let v: unknown = event;
  const re = /\.([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  re.lastIndex = 1;
  while ((m = re.exec(path)) !== null) {
    if (v === null || typeof v !== 'object') return undefined;
    v = m[1] !== undefined ? (Array.isArray(v) ? undefined : (v as Record<string, unknown>)[m[1]]) : Array.isArray(v) ? v[Number(m[2])] : undefined;
  }
  return v;
}

export const isValidPath = (p: string): boolean => PATH_RE.test(p);

/** Where each placeholder of a template stands: inside a JSON string literal (quoted) or not. */
function placeholders(template: string): { start: number; end: number; name: string; quoted: boolean }[] {
  const out: { start: number; end: number; name: string; quoted: boolean }[] = [];
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (inString && c === '\\') {
      i++;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      continue;
    }
    if (c === '<') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      if (m && m.index === i) {
        out.push({ start: i, end: i + m[0].length, name: m[1]!, quoted: inString });
        i += m[0].length - 1;
      }
    }
  }
  return out;
}

/** A template is JSON when it starts like a JSON object, array or string (AWS then keeps the output JSON). */
const looksJson = (t: string): boolean => /^\s*[{["]/.test(t);

const RESERVED = new Set(['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json']);

/** Escapes text for the inside of a JSON string literal. */
const inJsonString = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Fills an InputTemplate from the event. */
export function transform(t: InputTransformer, event: unknown, ctx: InputContext): string {
  const json = looksJson(t.InputTemplate);
  const values = new Map<string, unknown>();
  for (const [k, p] of Object.entries(t.InputPathsMap ?? {})) values.set(k, valueAt(event, p));
  let out = '';
  let last = 0;
  for (const ph of placeholders(t.InputTemplate)) {
    let text: string | undefined;
    const known = values.has(ph.name) || RESERVED.has(ph.name);
    if (!known) continue;
    out += t.InputTemplate.slice(last, ph.start);
    last = ph.end;
    if (ph.name === 'aws.events.event') {
      text = JSON.stringify(event);
    } else if (ph.name === 'aws.events.event.json') {
      text = ph.quoted ? inJsonString(JSON.stringify(event)) : JSON.stringify(event);
    } else {
      const v: unknown =
        ph.name === 'aws.events.rule-arn' ? ctx.ruleArn : ph.name === 'aws.events.rule-name' ? ctx.ruleName : ph.name === 'aws.events.event.ingestion-time' ? isoSeconds(ctx.ingestionTime) : values.get(ph.name);
      if (ph.quoted || !json) {
        // Inside a string (or plain text): strings as their characters, anything else as its JSON text.
        const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        text = json ? inJsonString(s) : s;
      } else {
        text = v === undefined ? 'null' : JSON.stringify(v);
      }
    }
    out += text;
  }
  return out + t.InputTemplate.slice(last);
}

/** The payload a target receives for an event. */
export function targetInput(t: InputSpec, event: Record<string, unknown>, ctx?: InputContext): string {
  if (t.Input !== undefined) return t.Input;
  if (t.InputPath !== undefined) {
    const v = valueAt(event, t.InputPath);
    return v === undefined ? '' : JSON.stringify(v);
  }
  if (t.InputTransformer !== undefined) return transform(t.InputTransformer, event, ctx ?? { ruleArn: '', ruleName: '', ingestionTime: 0 });
  return JSON.stringify(event);
}

/** An ISO time to the second, as EventBridge writes times (`2026-01-01T00:00:00Z`). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * PutTargets' checks of one target's input settings; returns AWS's message for the first problem (undefined: fine).
 * `field` is the member's path in AWS's constraint messages (`targets.1.member`).
 */
export function inputProblem(id: string, t: InputSpec, field: string): string | undefined {
  const given = [t.Input, t.InputPath, t.InputTransformer].filter((x) => x !== undefined).length;
  if (given > 1) return 'Only one of Input, InputPath, or InputTransformer must be provided.';
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      return `Target ${id}: Input is not valid JSON text.`;
    }
  }
  if (t.InputPath !== undefined && !isValidPath(t.InputPath)) return `Target ${id}: InputPath is not a valid JSONPath.`;
  const tr = t.InputTransformer;
  if (tr === undefined) return undefined;
  if (typeof tr.InputTemplate !== 'string' || tr.InputTemplate.length < 1) return `1 validation error detected: Value null at '${field}.inputTransformer.inputTemplate' failed to satisfy constraint: Member must not be null`;
  if (tr.InputTemplate.length > 8192) return `1 validation error detected: Value '${tr.InputTemplate}' at '${field}.inputTransformer.inputTemplate' failed to satisfy constraint: Member must have length less than or equal to 8192`;
  const paths = Object.entries(tr.InputPathsMap ?? {});
  if (paths.length > MAX_INPUT_PATHS) return `1 validation error detected: Value at '${field}.inputTransformer.inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_PATHS}`;
  for (const [k, p] of paths) {
    if (/^aws\./i.test(k)) return `Target ${id}: InputPathsMap key ${k} is reserved: keys cannot start with "aws.".`;
    if (!KEY_RE.test(k)) return `1 validation error detected: Value '${k}' at '${field}.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]`;
    if (typeof p !== 'string' || p.length > 256 || !isValidPath(p)) return `Target ${id}: InputPath for key ${k} is an invalid JSONPath.`;
  }
  if (looksJson(tr.InputTemplate)) {
    // With every placeholder filled by a stand-in, a JSON template must be JSON.
    const names = new Set(paths.map(([k]) => k));
    let probe = '';
    let last = 0;
    for (const ph of placeholders(tr.InputTemplate)) {
      if (!names.has(ph.name) && !RESERVED.has(ph.name)) continue;
      probe += tr.InputTemplate.slice(last, ph.start) + (ph.quoted ? 'x' : 'null');
      last = ph.end;
    }
    probe += tr.InputTemplate.slice(last);
    try {
      JSON.parse(probe);
    } catch (e) {
      return `Invalid InputTemplate for target ${id} : ${e instanceof Error ? e.message : 'not valid JSON'}.`;
    }
  }
  return undefined;
}
