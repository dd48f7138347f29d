// SAM's error kinds and its document-level message, phrased exactly as samtranslator phrases them.

/** One problem with one resource, event or the template; `message` is the full sentence samtranslator prints. */
export abstract class SamError extends Error {}

export class InvalidResourceError extends SamError {
  constructor(
    readonly logicalId: string,
    readonly reason: string,
  ) {
    super(`Resource with id [${logicalId}] is invalid. ${reason}`);
  }
}

export class InvalidEventError extends SamError {
  constructor(
    readonly eventId: string,
    readonly reason: string,
  ) {
    super(`Event with id [${eventId}] is invalid. ${reason}`);
  }
}

export class InvalidTemplateError extends SamError {
  constructor(readonly reason: string) {
    super(`Structure of the SAM template is invalid. ${reason}`);
  }
}

export class DuplicateLogicalIdError extends SamError {
  constructor(
    readonly logicalId: string,
    duplicateId: string,
    type: string,
  ) {
    super(
      `Transforming resource with id [${logicalId}] attempts to create a new resource with id [${duplicateId}] and type "${type}". A resource with that id already exists within this template. Please use a different id for that resource.`,
    );
  }
}

/** The key samtranslator's own test harness sorts causes by: logical id, else event id, else the message. */
export function causeSortKey(e: SamError): string {
  if (e instanceof InvalidResourceError || e instanceof DuplicateLogicalIdError) return e.logicalId;
  if (e instanceof InvalidEventError) return e.eventId;
  const own = (e as { logicalId?: unknown }).logicalId;
  return typeof own === 'string' ? own : e.message;
}

/** The document message with causes in the harness's order (stable sort by causeSortKey). */
export function sortedDocumentMessage(e: InvalidDocumentError): string {
  const causes = e.causes.map((c, i) => [c, i] as const).sort((a, b) => {
    const ka = causeSortKey(a[0]);
    const kb = causeSortKey(b[0]);
    return ka < kb ? -1 : ka > kb ? 1 : a[1] - b[1];
  });
  return [`Invalid Serverless Application Specification document. Number of errors found: ${e.causes.length}.`, ...causes.map((c) => c[0].message)].join(' ');
}

/** The error thrown by transformSam: every cause, deduplicated by message as the reference does. */
export class InvalidDocumentError extends Error {
  readonly causes: SamError[];
  constructor(causes: SamError[]) {
    const unique = new Map<string, SamError>();
    for (const c of causes) unique.set(c.message, c);
    // Causes stay in the order they were found, as samtranslator reports them.
    const list = [...unique.values()];
    const head = `Invalid Serverless Application Specification document. Number of errors found: ${list.length}.`;
    super([head, ...list.map((c) => c.message)].join(' '));
    this.name = 'InvalidDocumentError';
    this.causes = list;
  }
}

/** Python's repr of a JSON value, for messages that print user values the way samtranslator does. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** Python's str() of a value: strings bare, everything else as repr. */
export const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));
