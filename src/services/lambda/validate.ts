// Validation of Lambda control-plane requests at the edge: body shapes (zod) and AWS's constraint messages.
import { z } from 'zod';
import { AwsError } from '../../lib/errors.js';
import { checkRuntime } from './runtimes.js';

/** Collects constraint violations and throws them as one ValidationException, in AWS's wording. */
export class Constraints {
  private readonly errors: string[] = [];

  private add(field: string, value: unknown, constraint: string): void {
    const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    this.errors.push(`Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`);
  }

  int(field: string, value: number | undefined, min?: number, max?: number): this {
    if (value === undefined) return this;
    if (min !== undefined && value < min) this.add(field, value, `Member must have value greater than or equal to ${min}`);
    else if (max !== undefined && value > max) this.add(field, value, `Member must have value less than or equal to ${max}`);
    return this;
  }

  len(field: string, value: string | undefined, min: number, max: number): this {
    if (value === undefined) return this;
    if (value.length < min) this.add(field, value, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(field, value, `Member must have length less than or equal to ${max}`);
    return this;
  }

  pattern(field: string, value: string | undefined, pattern: string): this {
    if (value === undefined) return this;
    if (!new RegExp(`^(?:${pattern})$`).test(value)) this.add(field, value, `Member must satisfy regular expression pattern: ${pattern}`);
    return this;
  }

  oneOf(field: string, value: string | undefined, values: readonly string[]): this {
    if (value !== undefined && !values.includes(value)) this.add(field, value, `Member must satisfy enum value set: [${values.join(', ')}]`);
    return this;
  }

  custom(field: string, value: unknown, constraint: string): this {
    this.add(field, value, constraint);
    return this;
  }

  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const n = this.errors.length;
    throw new AwsError('ValidationException', `${n} validation error${n > 1 ? 's' : ''} detected: ${this.errors.join('; ')}`);
  }
}

const strMap = z.record(z.string(), z.string());

const configFields = {
  Role: z.string().optional(),
  Handler: z.string().optional(),
  Description: z.string().optional(),
  Timeout: z.number().int().optional(),
  MemorySize: z.number().int().optional(),
  Runtime: z.string().optional(),
  Environment: z.object({ Variables: strMap.optional() }).optional(),
  DeadLetterConfig: z.object({ TargetArn: z.string().optional() }).optional(),
  KMSKeyArn: z.string().optional(),
  TracingConfig: z.object({ Mode: z.enum(['Active', 'PassThrough']).optional() }).optional(),
  VpcConfig: z.object({ SubnetIds: z.array(z.string()).optional(), SecurityGroupIds: z.array(z.string()).optional(), Ipv6AllowedForDualStack: z.boolean().optional() }).optional(),
  Layers: z.array(z.string()).optional(),
  EphemeralStorage: z.object({ Size: z.number().int() }).optional(),
  LoggingConfig: z
    .object({
      LogFormat: z.enum(['JSON', 'Text']).optional(),
      ApplicationLogLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).optional(),
      SystemLogLevel: z.enum(['DEBUG', 'INFO', 'WARN']).optional(),
      LogGroup: z.string().optional(),
    })
    .optional(),
  SnapStart: z.object({ ApplyOn: z.enum(['PublishedVersions', 'None']).optional() }).optional(),
  FileSystemConfigs: z.array(z.object({ Arn: z.string(), LocalMountPath: z.string() })).optional(),
  ImageConfig: z.unknown().optional(),
  DurableConfig: z.object({ RetentionPeriodInDays: z.number().int().optional(), ExecutionTimeout: z.number().int().optional() }).optional(),
};

/** Where code comes from: CreateFunction's `Code` and UpdateFunctionCode's top level. */
const codeFields = {
  ZipFile: z.string().optional(),
  S3Bucket: z.string().optional(),
  S3Key: z.string().optional(),
  S3ObjectVersion: z.string().optional(),
  ImageUri: z.string().optional(),
};

export const CreateFunctionShape = z.object({
  FunctionName: z.string(),
  Code: z.object(codeFields),
  Publish: z.boolean().optional(),
  PackageType: z.enum(['Zip', 'Image']).optional(),
  Tags: strMap.optional(),
  Architectures: z.array(z.string()).optional(),
  CodeSigningConfigArn: z.string().optional(),
  ...configFields,
});
export type CreateFunctionInput = z.infer<typeof CreateFunctionShape>;

export const UpdateConfigurationShape = z.object({ RevisionId: z.string().optional(), ...configFields });
export type UpdateConfigurationInput = z.infer<typeof UpdateConfigurationShape>;

export const UpdateCodeShape = z.object({
  ...codeFields,
  Publish: z.boolean().optional(),
  DryRun: z.boolean().optional(),
  RevisionId: z.string().optional(),
  Architectures: z.array(z.string()).optional(),
});
export type UpdateCodeInput = z.infer<typeof UpdateCodeShape>;

export const ROLE_PATTERN = 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+';
const ENV_NAME_PATTERN = '[a-zA-Z]([a-zA-Z0-9_])+';
const LAYER_ARN_PATTERN = 'arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+';

/** Variables Lambda sets itself; AWS refuses them in a function's environment. */
export const RESERVED_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

/** Checks the configuration members shared by CreateFunction and UpdateFunctionConfiguration. */
export function checkConfig(input: Partial<CreateFunctionInput>): void {
  const c = new Constraints();
  c.pattern('role', input.Role, ROLE_PATTERN)
    .len('handler', input.Handler, 0, 128)
    .len('description', input.Description, 0, 256)
    .int('timeout', input.Timeout, 1, 900)
    .int('memorySize', input.MemorySize, 128, 10240)
    .int('ephemeralStorage.size', input.EphemeralStorage?.Size, 512, 10240);
  if (input.Handler !== undefined && input.Handler !== '' && !/^[^\s]+$/.test(input.Handler)) {
    c.pattern('handler', input.Handler, '[^\\s]+');
  }
  if (input.Runtime !== undefined) {
    const r = checkRuntime(input.Runtime);
    if (!r.ok && r.kind === 'unknown') c.custom('runtime', input.Runtime, r.message);
  }
  input.Architectures?.forEach((a, i) => c.oneOf(`architectures.${i + 1}.member`, a, ['x86_64', 'arm64']));
  if (input.Architectures && input.Architectures.length !== 1) c.custom('architectures', input.Architectures, 'Member must have length less than or equal to 1');
  input.Layers?.forEach((l, i) => c.len(`layers.${i + 1}.member`, l, 1, 140).pattern(`layers.${i + 1}.member`, l, LAYER_ARN_PATTERN));
  for (const k of Object.keys(input.Environment?.Variables ?? {})) c.pattern('environment.variables', k, ENV_NAME_PATTERN);
  c.throwIfAny();

  if (input.Runtime !== undefined) {
    const r = checkRuntime(input.Runtime);
    if (!r.ok) throw new AwsError('InvalidParameterValueException', r.message);
  }
  const vars = input.Environment?.Variables;
  if (vars) {
    const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k));
    if (reserved.length > 0) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
      );
    }
    const measured = JSON.stringify(vars);
    if (Buffer.byteLength(measured) > 4096) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured.slice(0, 4096)}`,
      );
    }
  }
  if (input.Layers && input.Layers.length > 5) {
    throw new AwsError('InvalidParameterValueException', 'Cannot reference more than 5 layers.');
  }
}

export function checkMaxItems(raw: string | null, max = 10000): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  const c = new Constraints();
  if (!Number.isInteger(n)) c.custom('maxItems', raw, 'Member must be an integer');
  else c.int('maxItems', n, 1, max);
  c.throwIfAny();
  return n;
}
