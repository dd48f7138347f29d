// Console output as AWS's Node runtime writes it: `ISO-time\trequestId\tLEVEL\tmessage` (or JSON lines), one event
// per call with inner newlines turned into \r so a multi-line message stays one log event.
import { format } from 'node:util';

type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
const RANK: Record<Level, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };

let requestId: string | undefined;
export const setRequestId = (id: string | undefined): void => {
  requestId = id;
};

/** Writes one log record to stdout (synchronous for pipes on Linux, so it precedes the response). */
export function log(level: Level, message: string): void {
  const json = process.env['AWS_LAMBDA_LOG_FORMAT'] === 'JSON';
  if (json) {
    const min = (process.env['AWS_LAMBDA_LOG_LEVEL'] ?? 'INFO').toUpperCase() as Level;
    if (RANK[level] < (RANK[min] ?? 2)) return;
    process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, requestId, message })}\n`);
    return;
  }
  process.stdout.write(`${new Date().toISOString()}\t${String(requestId)}\t${level}\t${message.replace(/\n/g, '\r')}\n`);
}

export function patchConsole(): void {
  const bind =
    (level: Level) =>
    (...args: unknown[]): void =>
      log(level, format(...args));
  console.log = bind('INFO');
  console.info = bind('INFO');
  console.warn = bind('WARN');
  console.error = bind('ERROR');
  console.debug = bind('DEBUG');
  console.trace = (...args: unknown[]): void => {
    const err = { name: 'Trace', message: format(...args) } as Error;
    Error.captureStackTrace(err, console.trace);
    log('TRACE', err.stack ?? err.message);
  };
  (console as unknown as { fatal: (...a: unknown[]) => void }).fatal = bind('FATAL');
}
