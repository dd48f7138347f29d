// EventBridge Scheduler's errors: each wire code it answers with (statuses as the scheduler model gives them) and
// the message templates in AWS's words.
import { AwsError } from '../../../lib/errors.js';

export const validation = (message: string): AwsError => new AwsError('ValidationException', message, { status: 400 });

/** AWS's constraint message for one member (`1 validation error detected: Value … at 'field' failed to …`). */
export const invalidMember = (field: string, value: unknown, constraint: string): AwsError =>
  validation(`1 validation error detected: Value ${value === null ? 'null' : `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`} at '${field}' failed to satisfy constraint: ${constraint}`);

export const invalidExpression = (expr: string): AwsError => validation(`Invalid Schedule Expression ${expr}.`);
export const invalidTimezone = (tz: string): AwsError => validation(`Invalid ScheduleExpressionTimezone ${tz}.`);

export const scheduleExists = (name: string): AwsError => new AwsError('ConflictException', `Schedule ${name} already exists.`, { status: 409 });
export const scheduleMissing = (name: string): AwsError => new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, { status: 404 });
export const groupExists = (name: string): AwsError => new AwsError('ConflictException', `Schedule group ${name} already exists.`, { status: 409 });
export const groupMissing = (name: string): AwsError => new AwsError('ResourceNotFoundException', `Schedule group ${name} does not exist.`, { status: 404 });
export const defaultGroupUndeletable = (): AwsError => validation('You cannot delete the default schedule group.');
export const resourceMissing = (arn: string): AwsError => new AwsError('ResourceNotFoundException', `Resource ${arn} does not exist.`, { status: 404 });
export const badRequestBody = (message: string): AwsError => validation(message);
