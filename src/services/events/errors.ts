// EventBridge's wire errors (JSON 1.1, `AWSEvents.*`): each code it answers with, its status and AWS's message.
import { AwsError } from '../../lib/errors.js';

const e400 = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });

export const validation = (message: string): AwsError => e400('ValidationException', message);
/** AWS's constraint message: "1 validation error detected: Value 'x' at 'field' failed to satisfy constraint: …". */
export const invalid = (field: string, value: unknown, constraint: string): AwsError =>
  validation(`1 validation error detected: Value ${value === null || value === undefined ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`} at '${field}' failed to satisfy constraint: ${constraint}`);
export const serialization = (message: string): AwsError => e400('SerializationException', message);
export const busNotFound = (name: string): AwsError => e400('ResourceNotFoundException', `Event bus ${name} does not exist.`);
export const ruleNotFound = (name: string, bus: string): AwsError => e400('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
export const archiveNotFound = (name: string): AwsError => e400('ResourceNotFoundException', `Archive ${name} does not exist.`);
export const replayNotFound = (name: string): AwsError => e400('ResourceNotFoundException', `Replay ${name} does not exist.`);
export const resourceNotFound = (arn: string): AwsError => e400('ResourceNotFoundException', `Resource ${arn} does not exist.`);
export const busExists = (arn: string): AwsError => e400('ResourceAlreadyExistsException', `Event bus ${arn} already exists.`);
export const archiveExists = (name: string): AwsError => e400('ResourceAlreadyExistsException', `Archive ${name} already exists.`);
export const replayExists = (name: string): AwsError => e400('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
export const badPattern = (reason: string): AwsError => e400('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
export const limitExceeded = (message = 'The requested resource exceeds the maximum number allowed.'): AwsError => e400('LimitExceededException', message);
export const concurrentModification = (message: string): AwsError => e400('ConcurrentModificationException', message);
export const illegalStatus = (message: string): AwsError => e400('IllegalStatusException', message);
export const managedRule = (message: string): AwsError => e400('ManagedRuleException', message);
export const statementNotFound = (): AwsError => e400('ResourceNotFoundException', 'Statement with the provided id does not exist.');
