// The one error type of the template language: a code from a closed set and CloudFormation's own message.
//
// CloudFormation answers every template problem on the wire as `ValidationError` (HTTP 400); the code here
// says which kind of problem it is, so the stack engine can decide (e.g. a missing export fails a resource, a
// malformed template refuses the call) without parsing messages.

export const TEMPLATE_ERROR_CODES = [
  /** The template's structure: sections, declarations, attribute shapes. */
  'FormatError',
  /** An intrinsic function's arguments, found while checking or evaluating it. */
  'FunctionError',
  /** A reference (Ref, GetAtt, Sub, DependsOn, Condition) to something the template does not declare. */
  'UnresolvedDependency',
  /** A cycle among resources or conditions. */
  'CircularDependency',
  /** A parameter value: missing, unknown, or failing its constraints. */
  'ParameterError',
  /** An SSM parameter type whose value could not be fetched (absent, or no resolver injected). */
  'SsmParameterNotFound',
  /** Fn::ImportValue naming an export that does not exist. */
  'ExportNotFound',
  /** The AWS::LanguageExtensions transform refused the template. */
  'TransformError',
] as const;
export type TemplateErrorCode = (typeof TEMPLATE_ERROR_CODES)[number];

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** CloudFormation's wire code for every one of these. */
  readonly awsCode = 'ValidationError' as const;
  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    /** A JSON pointer into the template where the problem is, when known (not part of CloudFormation's words). */
    readonly path?: string,
  ) {
    super(message);
  }
}

export const isTemplateError = (e: unknown): e is TemplateError => e instanceof TemplateError;

/** Collects errors without duplicates (same code and message), in the order found. */
export class ErrorList {
  readonly items: TemplateError[] = [];
  private readonly seen = new Set<string>();
  add(e: TemplateError): void {
    const k = `${e.code}\u0000${e.message}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.items.push(e);
  }
  /** Runs `fn`, recording a thrown TemplateError instead of propagating it; other errors propagate. */
  capture<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!isTemplateError(e)) throw e;
      this.add(e);
      return undefined;
    }
  }
}
