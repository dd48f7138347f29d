// Durable functions' wire errors: each code the durable-execution operations answer with, its status and message.
import { AwsError, notFound } from '../../../lib/errors.js';

const invalid = (message: string): AwsError => new AwsError('InvalidParameterValueException', message, { status: 400 });

/** Get/History/Stop of an execution this account does not have (or whose retention ended). */
export const executionNotFound = (arn: string): AwsError => notFound(`Durable execution not found: ${arn}`);

/** A checkpoint token of another invocation (a superseded one), of a finished execution, or not ours at all. */
export const invalidCheckpointToken = (): AwsError => invalid('Invalid checkpoint token');

/** A callback id that names no callback of a running execution. */
export const invalidCallbackId = (): AwsError => invalid('Invalid callback id');

/** A callback already completed (succeeded, failed or timed out) is answered with its own error. */
export const callbackTimedOut = (): AwsError => new AwsError('CallbackTimeoutException', 'Callback has timed out', { status: 400 });
export const callbackCompleted = (): AwsError => invalid('Callback has already completed');

/** StopDurableExecution of an execution that already ended. */
export const notRunning = (arn: string): AwsError => invalid(`Durable execution ${arn} is not running`);

/** Invoke with a DurableExecutionName already used by an execution of this function. */
export const alreadyStarted = (name: string): AwsError =>
  new AwsError('DurableExecutionAlreadyStartedException', `Durable execution with name ${name} already exists`, { status: 409 });

/** Invoke of a durable function by its unqualified name or ARN. */
export const unqualifiedInvoke = (): AwsError =>
  invalid('Durable functions must be invoked with a qualified function name or ARN (a version, an alias or $LATEST).');

/** A synchronous invoke of a durable function whose execution may outlive the 15-minute synchronous limit. */
export const syncTooLong = (timeout: number): AwsError =>
  invalid(`Synchronous invocation of a durable function requires an ExecutionTimeout of 900 seconds or less; the function's is ${timeout}.`);

/** An operation update the execution's state does not allow. */
export const invalidUpdate = (message: string): AwsError => invalid(message);

/** DurableConfig on UpdateFunctionConfiguration of a function created without it (durability is chosen at creation). */
export const notDurable = (): AwsError => invalid('DurableConfig can only be updated on a function created with DurableConfig.');

/** A Marker this API did not hand out. */
export const invalidMarker = (): AwsError => invalid('Invalid marker');
