// The platform's log lines (START, END, REPORT, timeouts, crashes) in AWS's exact formats, and Tail's last 4 KB.

export const startLine = (requestId: string, version: string): string => `START RequestId: ${requestId} Version: ${version}`;
export const endLine = (requestId: string): string => `END RequestId: ${requestId}`;

export interface ReportFields {
  requestId: string;
  durationMs: number;
  memorySize: number;
  maxMemoryUsedMB: number;
  initMs?: number;
  status?: 'timeout' | 'error';
  errorType?: string;
  /** The extensions' time after the runtime's response (part of Duration), when the function has extensions. */
  postRuntimeMs?: number;
}

export function reportLine(f: ReportFields): string {
  const billed = Math.ceil(f.durationMs + (f.initMs ?? 0));
  const parts = [
    `REPORT RequestId: ${f.requestId}`,
    `Duration: ${f.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.max(1, billed)} ms`,
    `Memory Size: ${f.memorySize} MB`,
    `Max Memory Used: ${f.maxMemoryUsedMB} MB`,
  ];
  if (f.initMs !== undefined) parts.push(`Init Duration: ${f.initMs.toFixed(2)} ms`);
  if (f.postRuntimeMs !== undefined) parts.push(`PostRuntimeExtensionsDuration: ${f.postRuntimeMs.toFixed(2)} ms`);
  if (f.status) parts.push(`Status: ${f.status}`);
  if (f.errorType) parts.push(`Error Type: ${f.errorType}`);
  return `${parts.join('\t')}\t`;
}

/** INIT_REPORT: for a failed init (with its error type), or a successful one ahead of demand (provisioned). */
export function initReportLine(initMs: number, errorType?: string): string {
  const base = `INIT_REPORT Init Duration: ${initMs.toFixed(2)} ms\tPhase: init\tStatus: ${errorType ? 'error' : 'success'}`;
  return errorType ? `${base}\tError Type: ${errorType}` : base;
}

export const timeoutSeconds = (timeoutMs: number): string => (timeoutMs / 1000).toFixed(2);

/** base64 of the last 4 KB of an invocation's log, as X-Amz-Log-Result carries it. */
export function tail(lines: readonly string[]): string {
  const buf = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  return buf.subarray(Math.max(0, buf.length - 4096)).toString('base64');
}
