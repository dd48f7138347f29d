// A function's DurableConfig as CreateFunction and UpdateFunctionConfiguration accept it: AWS's constraints.
import { AwsError } from '../../../lib/errors.js';
import { notDurable } from './errors.js';

export interface DurableConfig {
  RetentionPeriodInDays?: number;
  ExecutionTimeout?: number;
}

function range(field: string, v: number | undefined, min: number, max: number, errors: string[]): void {
  if (v === undefined) return;
  if (v < min) errors.push(`Value '${v}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  else if (v > max) errors.push(`Value '${v}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
}

/**
 * Checks a DurableConfig and answers the one to store: `current` is the function's (UpdateFunctionConfiguration),
 * undefined at CreateFunction. Durability is chosen when a function is created; an update only changes its values.
 */
export function checkDurableConfig(input: DurableConfig | undefined, current: DurableConfig | undefined, creating: boolean): DurableConfig | undefined {
  if (input === undefined) return current;
  const errors: string[] = [];
  range('durableConfig.retentionPeriodInDays', input.RetentionPeriodInDays, 1, 90, errors);
  range('durableConfig.executionTimeout', input.ExecutionTimeout, 1, 31_622_400, errors);
  if (errors.length) throw new AwsError('ValidationException', `${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`);
  if (!creating && current === undefined) throw notDurable();
  return {
    ...current,
    ...(input.RetentionPeriodInDays !== undefined ? { RetentionPeriodInDays: input.RetentionPeriodInDays } : {}),
    ...(input.ExecutionTimeout !== undefined ? { ExecutionTimeout: input.ExecutionTimeout } : {}),
  };
}
