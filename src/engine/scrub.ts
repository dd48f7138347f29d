// Hides the server's own file system in what a function reports (error payloads, log lines): code, layer and
// runtime directories read as Lambda's /var/task, /opt and /var/runtime, as a function on AWS would see them.
import { NODE_RUNTIME_DIR, PYTHON_RUNTIME_DIR } from './launch.js';

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const RULES: [RegExp, string][] = [
  // Content-addressed package directories of the blob store: <data>/blobs/code/ab/<sha256> and …/opt/ab/<id>.
  [/(?:file:\/\/)?\/[^\s"'()<>:]*?\/code\/[0-9a-f]{2}\/[0-9a-f]{64}/g, '/var/task'],
  [/(?:file:\/\/)?\/[^\s"'()<>:]*?\/opt\/[0-9a-f]{2}\/[0-9a-f]+/g, '/opt'],
  [new RegExp(`(?:file://)?${esc(NODE_RUNTIME_DIR)}`, 'g'), '/var/runtime'],
  [new RegExp(`(?:file://)?${esc(PYTHON_RUNTIME_DIR)}`, 'g'), '/var/runtime'],
];

/** The text with the server's paths replaced by the ones a function sees on AWS. */
export function scrubPaths(text: string): string {
  if (!text.includes('/')) return text;
  let out = text;
  for (const [re, to] of RULES) out = out.replace(re, to);
  return out;
}

/** The same for a payload; returns the very buffer when nothing changed. */
export function scrubPayload(buf: Buffer): Buffer {
  const text = buf.toString('utf8');
  const out = scrubPaths(text);
  return out === text ? buf : Buffer.from(out);
}
