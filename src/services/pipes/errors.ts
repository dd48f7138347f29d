// EventBridge Pipes' errors: each wire code it answers with (statuses from the pipes model) and AWS's message wording.
import { AwsError } from '../../lib/errors.js';

export const validation = (message: string): AwsError => new AwsError('ValidationException', message, { status: 400 });

/** AWS's constraint message for one member (`1 validation error detected: Value … at 'field' failed to …`). */
export const invalidMember = (field: string, value: unknown, constraint: string): AwsError =>
  validation(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`} at '${field}' failed to satisfy constraint: ${constraint}`,
  );

export const pipeMissing = (name: string): AwsError => new AwsError('NotFoundException', `Pipe ${name} does not exist.`, { status: 404 });
export const resourceMissing = (arn: string): AwsError => new AwsError('NotFoundException', `Resource ${arn} does not exist.`, { status: 404 });
export const pipeExists = (name: string): AwsError =>
  new AwsError('ConflictException', `Pipe ${name} already exists.`, { status: 409, fields: { resourceId: name, resourceType: 'pipe' } });
export const serialization = (): AwsError => new AwsError('SerializationException', 'Request body is not valid JSON.', { status: 400 });
