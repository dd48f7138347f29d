// The Lambda service's module API for other services (Step Functions, async worker, gateway, event sources):
// resolve a function reference as the Invoke API does and run it through the engine.
import type { Engine } from '../../engine/engine.js';
import type { InvokeResult, StreamSink } from '../../engine/types.js';
import { combineQualifier, parseFunctionRef, INVOKE_FUNCTION_NAME_PATTERN } from './arn.js';
import type { FunctionRegistry, ResolvedVersion } from './functions.js';
import { pickVersion } from './routing.js';
import type { SpecCache } from './spec.js';
import type { InvocationSource, RecursionControl } from './recursion.js';

export interface InvokeInput {
  region: string;
  /** Name, `name:qualifier`, partial or full ARN (qualified or not). */
  functionName: string;
  qualifier?: string;
  payload: Buffer;
  requestId: string;
  tail?: boolean;
  /** Decoded client context JSON. */
  clientContext?: string;
  stream?: StreamSink;
  /** The caller already holds concurrency (async worker). */
  admitted?: boolean;
  /** Already resolved by the caller (so that alias routing picks a version once); skips resolution. */
  resolved?: Resolved;
  /**
   * The X-Ray trace header of the request or event that causes this invocation (recursive loop detection counts
   * its Lineage); with `source`, what caused it. Ignored when `traceId` is set.
   */
  traceHeader?: string;
  source?: InvocationSource;
  /** The header the invocation runs with, already admitted by the caller (RecursionControl.admit). */
  traceId?: string;
}

export interface Resolved extends ResolvedVersion {
  region: string;
  /** The qualifier the caller named (alias or version), undefined for the unqualified function. */
  qualifier: string | undefined;
  /** The ARN the function sees as invokedFunctionArn. */
  invokedArn: string;
}

/** How other services call functions. Errors are AwsErrors (ResourceNotFoundException, TooManyRequestsException, …). */
export interface LambdaInvoker {
  /** Resolves from this node's cache (synchronous; throws ResourceNotFoundException for a function it has not seen). */
  resolve(region: string, functionName: string, qualifier?: string): Resolved;
  /**
   * resolve(), but a function this node has not cached yet (created on another node a moment ago) is read from the
   * store before it counts as missing.
   */
  resolveFresh(region: string, functionName: string, qualifier?: string): Promise<Resolved>;
  invoke(input: InvokeInput): Promise<InvokeResult>;
}

export interface InvokerDeps {
  registry: FunctionRegistry;
  specs: SpecCache;
  engine: Engine;
  recursion: RecursionControl;
}

export function createInvoker(d: InvokerDeps): LambdaInvoker {
  const resolve = (region: string, functionName: string, qualifierParam?: string): Resolved => {
    const ref = parseFunctionRef(functionName, 170, 'functionName', INVOKE_FUNCTION_NAME_PATTERN);
    const qualifier = combineQualifier(ref, qualifierParam);
    const fn = d.registry.requireFunction(region, ref);
    // An alias picks its version per invocation by its routing weights; versions pass through.
    const alias = qualifier === undefined ? undefined : fn.aliases.get(qualifier);
    const version = alias ? pickVersion(alias, Math.random()) : qualifier;
    const resolved = d.registry.requireVersion(region, ref, version);
    return { ...resolved, region, qualifier, invokedArn: d.registry.arn(region, fn.name, qualifier) };
  };
  const resolveFresh = async (region: string, functionName: string, qualifier?: string): Promise<Resolved> => {
    try {
      return resolve(region, functionName, qualifier);
    } catch (e) {
      let name: string;
      try {
        name = parseFunctionRef(functionName).name;
      } catch {
        throw e;
      }
      await d.registry.ensure(region, name);
      return resolve(region, functionName, qualifier);
    }
  };
  return {
    resolve,
    resolveFresh,
    async invoke(i) {
      const r = i.resolved ?? (await resolveFresh(i.region, i.functionName, i.qualifier));
      const traceId = i.traceId ?? (await d.recursion.admit(r, i.traceHeader, i.source ?? 'lambda')).header;
      const spec = await d.specs.get(i.region, r);
      return d.engine.invoke(spec, {
        requestId: i.requestId,
        payload: i.payload,
        invokedArn: r.invokedArn,
        clientContext: i.clientContext,
        tail: i.tail ?? false,
        stream: i.stream,
        admitted: i.admitted,
        traceId,
      });
    },
  };
}
