// Function environment variables encrypted at rest: the stored configuration holds them sealed by KMS under the
// function's KMSKeyArn or the AWS managed key alias/aws/lambda (encryption context LambdaFunctionName); memory holds
// them in plaintext for GetFunctionConfiguration, and every environment start decrypts again, so a disabled or
// deleted key stops new environments with AWS's KMS errors.
import { AwsError } from '../../lib/errors.js';
import type { KmsApi } from '../kms/index.js';
import type { StoredConfig } from './model.js';

/** How the variables are kept in the stored row: the blob KMS made of their JSON, and the key it used. */
interface SealedEnvironment { Sealed: { KeyArn: string; Blob: string } }

export const DEFAULT_ENV_KEY_ALIAS = 'alias/aws/lambda';

/** Lambda's wording for a key it cannot decrypt with at an environment start (502, as AWS answers Invoke). */
function decryptError(e: unknown): AwsError {
  const code = e instanceof AwsError ? e.code : '';
  if (code === 'DisabledException') return new AwsError('KMSDisabledException', "Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Please check the function's KMS key settings.", { status: 502 });
  if (code === 'KMSInvalidStateException') return new AwsError('KMSInvalidStateException', "Lambda was unable to decrypt the environment variables because the KMS key used is in an invalid state for Decrypt. Please check the function's KMS key settings.", { status: 502 });
  if (code === 'NotFoundException') return new AwsError('KMSNotFoundException', "Lambda was unable to decrypt the environment variables because the KMS key was not found. Please check the function's KMS key settings.", { status: 502 });
  return new AwsError('KMSAccessDeniedException', "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings.", { status: 502 });
}

export class EnvCrypto {
  /** The sealed form of each configuration revision this node knows (region/name/RevisionId), for environment starts. */
  private readonly sealed = new Map<string, { keyArn: string; blob: Buffer }>();

  constructor(private readonly kms: KmsApi) {}

  private static id(region: string, c: Pick<StoredConfig, 'FunctionName' | 'RevisionId'>): string {
    return `${region}/${c.FunctionName}/${c.RevisionId}`;
  }

  /**
   * The row text of a configuration: its variables sealed (none: stored as they are). A customer key that does not
   * exist or cannot encrypt is refused as AWS refuses it at CreateFunction / UpdateFunctionConfiguration.
   */
  async seal(region: string, c: StoredConfig): Promise<string> {
    const vars = c.Environment?.Variables;
    const empty = !vars || Object.keys(vars).length === 0;
    let keyArn: string;
    let blob: Buffer;
    try {
      if (empty) {
        if (c.KMSKeyArn) await this.kms.keyArn(region, c.KMSKeyArn);
        return JSON.stringify(c);
      }
      keyArn = c.KMSKeyArn ? await this.kms.keyArn(region, c.KMSKeyArn) : await this.kms.awsManagedKey(region, DEFAULT_ENV_KEY_ALIAS);
      blob = (await this.kms.encrypt(region, keyArn, Buffer.from(JSON.stringify(vars), 'utf8'), { LambdaFunctionName: c.FunctionName })).blob;
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      throw new AwsError(
        'InvalidParameterValueException',
        `Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: ${e.code} KMS Message: ${e.message}`,
        { status: 400 },
      );
    }
    this.sealed.set(EnvCrypto.id(region, c), { keyArn, blob });
    const env: SealedEnvironment = { Sealed: { KeyArn: keyArn, Blob: blob.toString('base64') } };
    return JSON.stringify({ ...c, Environment: env });
  }

  /**
   * A stored row's configuration with its variables in plaintext. Rows written before encryption at rest hold
   * plaintext and are read as they are. A key that cannot decrypt leaves the variables out and records AWS's
   * EnvironmentError, which GetFunctionConfiguration shows.
   */
  async open(region: string, text: string): Promise<string> {
    const c = JSON.parse(text) as StoredConfig & { Environment?: Partial<SealedEnvironment> & { Variables?: Record<string, string> } };
    const sealed = c.Environment?.Sealed;
    if (!sealed) return text;
    const blob = Buffer.from(sealed.Blob, 'base64');
    this.sealed.set(EnvCrypto.id(region, c), { keyArn: sealed.KeyArn, blob });
    try {
      const { plaintext } = await this.kms.decrypt(region, blob, { LambdaFunctionName: c.FunctionName });
      return JSON.stringify({ ...c, Environment: { Variables: JSON.parse(plaintext.toString('utf8')) as Record<string, string> } });
    } catch (e) {
      const err = decryptError(e);
      return JSON.stringify({ ...c, Environment: { Variables: {}, Error: { ErrorCode: err.code, Message: err.message } } });
    }
  }

  /** At an environment start: decrypts the revision's sealed variables again (throws Lambda's KMS error when it cannot). */
  async check(region: string, c: Pick<StoredConfig, 'FunctionName' | 'RevisionId'>): Promise<void> {
    const s = this.sealed.get(EnvCrypto.id(region, c));
    if (!s) return;
    try {
      await this.kms.decrypt(region, s.blob, { LambdaFunctionName: c.FunctionName });
    } catch (e) {
      throw decryptError(e);
    }
  }
}
