// The SQS query protocol (form-encoded `Action=…`, XML answers) used by older SDKs and the AWS CLI v2 before
// SQS moved to JSON: form parameters become the JSON operation's input, its output becomes XML, both by the model.
import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../lib/errors.js';
import { credentialScope } from '../../server/sigv4.js';
import type { ApiRequest, ApiResponse } from '../../server/types.js';
import type { Op } from './api.js';
import { ctxOf } from './api.js';
import { OPS, SHAPES, type Ref, type Shape } from './query-shapes.js';
import type { SqsService } from './service.js';

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

const shape = (name: string): Shape => {
  const s = SHAPES[name];
  if (!s) throw new Error(`unknown SQS shape ${name}`);
  return s;
};

/** A member's name on the wire: its own locationName, else its shape's (TagMap → `Tag`), else the member name. */
const wireName = (m: Ref, name: string): string => {
  const s = shape(m.s);
  return m.n ?? ('n' in s && typeof s.n === 'string' ? s.n : name);
};

/** Reads the value at `prefix` of the given shape from a query form (botocore's QuerySerializer, in reverse). */
function readForm(form: Map<string, string>, keys: string[], prefix: string, ref: Ref): unknown {
  const s = shape(ref.s);
  const hasUnder = (p: string): boolean => form.has(p) || keys.some((k) => k.startsWith(`${p}.`));
  switch (s.t) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, m] of Object.entries(s.m)) {
        const p = prefix ? `${prefix}.${wireName(m, name)}` : wireName(m, name);
        const t = shape(m.s).t;
        // Lists and maps may be spelled under another name (flattened: AttributeNames → AttributeName.1).
        if (t !== 'list' && t !== 'map' && !hasUnder(p)) continue;
        const v = readForm(form, keys, p, m);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list': {
      let base: string;
      if (s.f) {
        base = s.m.n ? [...prefix.split('.').slice(0, -1), s.m.n].join('.') : prefix;
      } else base = `${prefix}.${s.m.n ?? 'member'}`;
      if (form.get(prefix) === '' && !hasUnder(`${base}.1`)) return [];
      const out: unknown[] = [];
      for (let i = 1; hasUnder(`${base}.${i}`); i++) out.push(readForm(form, keys, `${base}.${i}`, s.m));
      return out.length > 0 ? out : undefined;
    }
    case 'map': {
      const base = s.f ? prefix : `${prefix}.entry`;
      const out: Record<string, unknown> = {};
      for (let i = 1; hasUnder(`${base}.${i}`); i++) {
        const k = form.get(`${base}.${i}.${s.k.n ?? 'key'}`);
        if (k === undefined) continue;
        out[k] = readForm(form, keys, `${base}.${i}.${s.v.n ?? 'value'}`, s.v);
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    case 'integer':
    case 'long': {
      const v = form.get(prefix);
      if (v === undefined) return undefined;
      const n = Number(v);
      return v.trim() !== '' && Number.isFinite(n) ? n : v; // a non-number reaches the op, which names the bad value
    }
    case 'boolean': {
      const v = form.get(prefix);
      return v === undefined ? undefined : v === 'true';
    }
    default:
      return form.get(prefix);
  }
}

const esc = (s: string): string =>
  s.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);

/** Writes a value of the given shape as the XML the botocore query parser expects. */
function writeXml(v: unknown, ref: Ref, tag: string): string {
  const s = shape(ref.s);
  switch (s.t) {
    case 'structure': {
      const o = v as Record<string, unknown>;
      let inner = '';
      for (const [name, m] of Object.entries(s.m)) {
        if (o[name] === undefined || o[name] === null) continue;
        const ms = shape(m.s);
        if (ms.t === 'list' && ms.f) {
          const itemTag = ms.m.n ?? wireName(m, name);
          for (const item of o[name] as unknown[]) inner += writeXml(item, ms.m, itemTag);
        } else if (ms.t === 'map' && ms.f) {
          const entryTag = wireName(m, name);
          for (const [k, x] of Object.entries(o[name] as Record<string, unknown>))
            inner += `<${entryTag}><${ms.k.n ?? 'key'}>${esc(k)}</${ms.k.n ?? 'key'}>${writeXml(x, ms.v, ms.v.n ?? 'value')}</${entryTag}>`;
        } else inner += writeXml(o[name], m, wireName(m, name));
      }
      return `<${tag}>${inner}</${tag}>`;
    }
    case 'list': {
      const itemTag = s.m.n ?? 'member';
      return `<${tag}>${(v as unknown[]).map((x) => writeXml(x, s.m, itemTag)).join('')}</${tag}>`;
    }
    case 'map': {
      let inner = '';
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        inner += `<entry><${s.k.n ?? 'key'}>${esc(k)}</${s.k.n ?? 'key'}>${writeXml(x, s.v, s.v.n ?? 'value')}</entry>`;
      return `<${tag}>${inner}</${tag}>`;
    }
    case 'boolean':
      return `<${tag}>${v ? 'true' : 'false'}</${tag}>`;
    default:
      return `<${tag}>${esc(String(v))}</${tag}>`;
  }
}

export function queryRoute(s: SqsService, ops: Record<string, Op>) {
  return {
    matches(form: URLSearchParams, req: IncomingMessage): boolean {
      const action = form.get('Action') ?? '';
      const version = form.get('Version');
      // A request signed for another service (SNS shares action names: AddPermission, TagResource, …) is not SQS's.
      const scope = credentialScope(req.headers, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
      if (scope && scope.service !== 'sqs') return false;
      return action in OPS && (version === null || version === '2012-11-05') && (version !== null || form.has('QueueUrl') || /^\/\d{12}\//.test(req.url ?? ''));
    },
    async handle(req: ApiRequest, form: URLSearchParams): Promise<ApiResponse> {
      const action = form.get('Action') ?? '';
      const op = ops[action];
      const spec = OPS[action];
      if (!op || !spec) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
      const map = new Map<string, string>();
      for (const [k, v] of form) map.set(k, v);
      const keys = [...map.keys()];
      const input = spec.in ? ((readForm(map, keys, '', { s: spec.in }) as Record<string, unknown>) ?? {}) : {};
      const out = await op(s, input, ctxOf(req));
      const result = spec.out ? writeXml(out, { s: spec.out }, `${action}Result`) : '';
      const body = `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}">${result}<ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></${action}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml' }, body };
    },
  };
}
