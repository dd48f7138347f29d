// The texts and wire details of an environment: AWS's signal names, error bodies, trailers, trace ids, output lines.
import type { IncomingMessage } from 'node:http';
import { hex } from '../lib/ids.js';

/** Signals named as AWS's platform (written in Go) prints them: "signal: killed", "signal: aborted", … */
const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGTRAP: 'trace/breakpoint trap',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
};
export const signalText = (signal: string): string => SIGNAL_TEXT[signal] ?? signal.toLowerCase().replace(/^sig/, '');

export function errorBody(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

export function initTimeoutPayload(ms: number): Buffer {
  return errorBody('Runtime.InitTimeout', `Init phase timed out after ${(ms / 1000).toFixed(2)} seconds`);
}

export function trailerError(req: IncomingMessage): { errorType: string; body: string } | undefined {
  const t = req.trailers['lambda-runtime-function-error-type'];
  if (!t) return undefined;
  const b = req.trailers['lambda-runtime-function-error-body'];
  let body = '';
  try {
    body = b ? Buffer.from(b, 'base64').toString('utf8') : '';
  } catch {
    body = '';
  }
  return { errorType: t, body };
}

export function traceId(now: number): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${hex(12)};Parent=${hex(8)};Sampled=0;Lineage=1:${hex(4)}:0`;
}

export function splitLines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf.length > 0) onLine(buf);
    buf = '';
  });
}
