// The SNS query protocol at the edge: reads form members (lists `X.member.N`, maps `X.entry.N.key/value`, message
// attributes, tags, batch entries) as botocore's query serializer writes them, and writes AWS's XML answers.
import type { MessageAttributeInput } from './publish.js';

export const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export type Form = URLSearchParams;

export const esc = (s: string): string =>
  s.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);

/** `<tag>text</tag>`, escaped; nothing for undefined. */
export const el = (tag: string, v: string | number | boolean | undefined): string => (v === undefined ? '' : `<${tag}>${esc(String(v))}</${tag}>`);

/** The whole answer of one action. */
export function xmlResponse(action: string, requestId: string, result?: string): string {
  const r = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}">${r}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** A map as `<entry><key>…</key><value>…</value></entry>`. */
export const xmlMap = (tag: string, m: Record<string, string>): string =>
  `<${tag}>${Object.entries(m)
    .map(([k, v]) => `<entry>${el('key', k)}${el('value', v)}</entry>`)
    .join('')}</${tag}>`;

/** A list of `<member>` items, each already XML. */
export const xmlList = (tag: string, items: string[]): string => `<${tag}>${items.map((x) => `<member>${x}</member>`).join('')}</${tag}>`;

/** Indices 1..n present under `prefix.` (stops at the first gap, as botocore numbers them densely). */
function indices(form: Form, prefix: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const p = `${prefix}.`;
  for (const k of form.keys()) {
    if (!k.startsWith(p)) continue;
    const n = Number(k.slice(p.length).split('.')[0]);
    if (Number.isInteger(n) && n > 0) seen.add(n);
  }
  for (let i = 1; seen.has(i); i++) out.push(i);
  return out;
}

export const has = (form: Form, prefix: string): boolean => form.has(prefix) || [...form.keys()].some((k) => k.startsWith(`${prefix}.`));

export function str(form: Form, name: string): string | undefined {
  return form.get(name) ?? undefined;
}

export function bool(form: Form, name: string): boolean | undefined {
  const v = form.get(name);
  return v === null ? undefined : v.toLowerCase() === 'true';
}

export function list(form: Form, prefix: string): string[] {
  return indices(form, `${prefix}.member`).map((i) => form.get(`${prefix}.member.${i}`) ?? '');
}

export function map(form: Form, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of indices(form, `${prefix}.entry`)) {
    const k = form.get(`${prefix}.entry.${i}.key`);
    if (k !== null) out[k] = form.get(`${prefix}.entry.${i}.value`) ?? '';
  }
  return out;
}

export function tags(form: Form, prefix: string): { Key: string; Value: string }[] {
  return indices(form, `${prefix}.member`).map((i) => ({ Key: form.get(`${prefix}.member.${i}.Key`) ?? '', Value: form.get(`${prefix}.member.${i}.Value`) ?? '' }));
}

export function messageAttributes(form: Form, prefix: string): Record<string, MessageAttributeInput> | undefined {
  const idx = indices(form, `${prefix}.entry`);
  if (idx.length === 0) return undefined;
  const out: Record<string, MessageAttributeInput> = {};
  for (const i of idx) {
    const p = `${prefix}.entry.${i}`;
    const name = form.get(`${p}.Name`);
    if (name === null) continue;
    const bin = form.get(`${p}.Value.BinaryValue`);
    out[name] = {
      DataType: form.get(`${p}.Value.DataType`) ?? undefined,
      StringValue: form.get(`${p}.Value.StringValue`) ?? undefined,
      BinaryValue: bin === null ? undefined : Buffer.from(bin, 'base64'),
    };
  }
  return out;
}

/** The members of a list of structures (`prefix.member.N.<field>`), as one sub-form each. */
export function structs(form: Form, prefix: string): Form[] {
  return indices(form, `${prefix}.member`).map((i) => {
    const p = `${prefix}.member.${i}.`;
    const sub = new URLSearchParams();
    for (const [k, v] of form) if (k.startsWith(p)) sub.append(k.slice(p.length), v);
    return sub;
  });
}
