// Error shapes of AWS's Node runtime: what a thrown value becomes on the wire, and the init failure types.
import { format } from 'node:util';
import type { ErrorBody } from './rapid.cjs';

/** An error the runtime raises itself while loading the handler (Runtime.ImportModuleError, …). */
export class RuntimeError extends Error {
  constructor(name: string, message: string, cause?: unknown) {
    super(message);
    this.name = name;
    if (cause instanceof Error && cause.stack) this.stack = `${name}: ${message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
  }
}

/** As AWS's runtime serialises a thrown value: {errorType, errorMessage, trace}. */
export function toErrorBody(e: unknown): ErrorBody {
  if (e instanceof Error) {
    return {
      errorType: e.name || 'Error',
      errorMessage: e.message,
      trace: typeof e.stack === 'string' ? e.stack.split('\n') : [],
    };
  }
  try {
    return { errorType: typeof e, errorMessage: e === undefined ? 'undefined' : typeof e === 'string' ? e : format('%s', e), trace: [] };
  } catch {
    return { errorType: 'Error', errorMessage: 'Unknown error', trace: [] };
  }
}

/** The tab-prefixed JSON AWS's runtime logs after "Invoke Error" / "Uncaught Exception". */
export function formatted(e: unknown): string {
  try {
    return `\t${JSON.stringify(toErrorBody(e))}`;
  } catch {
    return '\t{"errorType":"Error","errorMessage":"Unknown error","trace":[]}';
  }
}
