// Execution roles: the credentials an environment starts with (a session of its function's role) and the check
// CreateFunction / UpdateFunctionConfiguration make in enforce mode that Lambda could assume the role.
import type { FunctionKey } from '../../engine/launch.js';
import type { FunctionSpec } from '../../engine/types.js';
import type { AuthMode } from '../../server/auth.js';
import { AwsError } from '../../lib/errors.js';
import type { IamApi } from '../iam/index.js';

export const LAMBDA_PRINCIPAL = 'lambda.amazonaws.com';

/**
 * How long an environment's role session lasts. AWS refreshes an environment's credentials behind the runtime; an
 * environment here keeps the ones it started with, so the session is long (12 h, IAM's longest MaxSessionDuration:
 * idle environments are reaped after minutes) and the engine replaces an environment shortly before its session
 * expires (busy and provisioned ones), rather than rewriting a running process's variables.
 */
export const EXECUTION_SESSION_SECONDS = 12 * 3600;

const cannotAssume = (): AwsError => new AwsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');

export interface ExecutionRolesOptions {
  iam: IamApi;
  mode: AuthMode;
  /** What functions got before roles (dev mode keeps it for roles IAM does not know, as a local convenience). */
  rootKey: FunctionKey;
  log: (message: string) => void;
}

export class ExecutionRoles {
  /** Functions already told that their role does not exist (once per function, not per cold start). */
  private readonly warned = new Set<string>();

  constructor(private readonly o: ExecutionRolesOptions) {}

  /**
   * Enforce mode: the role must exist and trust lambda.amazonaws.com, AWS's answer otherwise. Dev mode takes any
   * role string, as selfless always has, so templates written for AWS deploy without their roles.
   */
  async check(roleArn: string): Promise<void> {
    if (this.o.mode !== 'enforce') return;
    if (!(await this.o.iam.roleTrusts(roleArn, LAMBDA_PRINCIPAL))) throw cannotAssume();
  }

  /** The key an environment of this function starts with: a session `assumed-role/<role>/<function>`. */
  async credentialsFor(spec: FunctionSpec): Promise<FunctionKey> {
    const roleArn = spec.role;
    const role = roleArn ? await this.o.iam.role(roleArn) : undefined;
    if (!roleArn || !role) {
      // Enforce mode never falls back to the root: a role deleted after CreateFunction fails the start as on AWS.
      if (this.o.mode === 'enforce') throw cannotAssume();
      this.warnOnce(spec, `selfless: function ${spec.functionName}: role ${roleArn ?? '(none)'} does not exist in IAM; its environments get the root key here (on AWS the function could not be created or run)`);
      return this.o.rootKey;
    }
    if (!(await this.o.iam.roleTrusts(roleArn, LAMBDA_PRINCIPAL))) {
      if (this.o.mode === 'enforce') throw cannotAssume();
      this.warnOnce(spec, `selfless: function ${spec.functionName}: role ${roleArn} does not trust lambda.amazonaws.com (on AWS the function could not be created or run)`);
    }
    const c = await this.o.iam.issueRoleCredentials(roleArn, sessionName(spec.functionName), EXECUTION_SESSION_SECONDS, spec.region);
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
  }

  private warnOnce(spec: FunctionSpec, message: string): void {
    const k = `${spec.region}/${spec.functionName}`;
    if (this.warned.has(k)) return;
    this.warned.add(k);
    this.o.log(message);
  }
}

/** A session name is at most 64 characters of [\w+=,.@-]; function names fit the set, and AWS cuts long ones. */
const sessionName = (functionName: string): string => functionName.slice(0, 64);
