// S3's XML: answers written by hand (escaped, in S3's namespace and element order) and request bodies parsed with
// fast-xml-parser into plain values (MalformedXML when they do not parse).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { malformedXml } from './errors.js';

export const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function esc(s: string): string {
  return s.replace(/[&<>"'\r\n\t]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : `&#${c.charCodeAt(0)};`,
  );
}

/** An element's children in order: [name, value] pairs (a repeated element is repeated pairs); undefined is omitted. */
export type XmlNode = readonly (readonly [string, XmlValue])[];
export type XmlValue = string | number | boolean | undefined | null | XmlNode;

function children(n: XmlNode): string {
  let out = '';
  for (const [k, v] of n) {
    if (v === undefined || v === null) continue;
    out += typeof v === 'object' ? `<${k}>${children(v)}</${k}>` : `<${k}>${esc(String(v))}</${k}>`;
  }
  return out;
}

/** A whole document: `<?xml …?><Root xmlns="…">children</Root>`. */
export function xmlDoc(root: string, body: XmlNode, ns: string | undefined = NS): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns ? ` xmlns="${ns}"` : ''}>${children(body)}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name, jpath) => ARRAYS.has(String(jpath).split('.').slice(1).join('.')),
});

/** Paths (below the root) of elements that may repeat. */
const ARRAYS = new Set([
  'Object',
  'Part',
  'TagSet.Tag',
  'CORSRule',
  'CORSRule.AllowedOrigin',
  'CORSRule.AllowedMethod',
  'CORSRule.AllowedHeader',
  'CORSRule.ExposeHeader',
  'CloudFunctionConfiguration',
  'LambdaFunctionConfiguration',
  'QueueConfiguration',
  'TopicConfiguration',
  'CloudFunctionConfiguration.Event',
  'LambdaFunctionConfiguration.Event',
  'QueueConfiguration.Event',
  'TopicConfiguration.Event',
  'CloudFunctionConfiguration.Filter.S3Key.FilterRule',
  'LambdaFunctionConfiguration.Filter.S3Key.FilterRule',
  'QueueConfiguration.Filter.S3Key.FilterRule',
  'TopicConfiguration.Filter.S3Key.FilterRule',
]);

/** Parses a request body; returns the root element's content and the root's name. Empty bodies give undefined. */
export function parseXml(body: Buffer): { root: string; value: Record<string, unknown> } | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  if (XMLValidator.validate(text) !== true) throw malformedXml();
  const doc = parser.parse(text) as Record<string, unknown>;
  const root = Object.keys(doc).find((k) => k !== '?xml');
  if (!root) throw malformedXml();
  const v = doc[root];
  return { root, value: typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {} };
}

export function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return '';
  return String(v);
}

export function arr(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}
