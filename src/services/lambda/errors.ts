// Lambda's error messages, per resource and operation, in AWS's words. Sources: responses recorded against AWS (the
// cases of test/fixtures/lambda-aws-errors.json name theirs) and the Lambda API reference.
import { AwsError, notFound } from '../../lib/errors.js';

const invalid = (message: string): AwsError => new AwsError('InvalidParameterValueException', message);

/** An ARN of another region: every function operation, and CreateFunction. */
export const notReachable = (from: string, region: string): AwsError => notFound(`Functions from '${from}' are not reachable in this region ('${region}')`);

/** A function, version or unknown qualifier; `arn` carries the qualifier the caller named. */
export const functionNotFound = (arn: string): AwsError => notFound(`Function not found: ${arn}`);

/** A qualifier that is not a number names an alias: provisioned concurrency, permissions. */
export const aliasNotFound = (aliasArn: string): AwsError => notFound(`Cannot find alias arn: ${aliasArn}`);

/** UpdateAlias of a missing alias. */
export const aliasToUpdateNotFound = (aliasArn: string): AwsError => notFound(`Alias not found: ${aliasArn}`);

/** Put/Update/ListFunctionEventInvokeConfig(s) of a missing function or qualifier. */
export const functionDoesntExist = (): AwsError => notFound("The function doesn't exist.");

/** Get/Delete/UpdateFunctionEventInvokeConfig without a config (also when the function is missing). */
export const noEventInvokeConfig = (qualifiedArn: string): AwsError => notFound(`The function ${qualifiedArn} doesn't have an EventInvokeConfig`);

/** Create/UpdateFunctionUrlConfig and ListFunctionUrlConfigs of a missing function or alias. */
export const urlFunctionMissing = (): AwsError => notFound('Function does not exist');

/** Get/DeleteFunctionUrlConfig of a missing function, alias or config; GetPolicy without one; missing layers. */
export const resourceMissing = (): AwsError => notFound('The resource you requested does not exist.');

/** Operations on the function itself (PutFunctionConcurrency, tags) given a version or alias. */
export const unqualifiedOnly = (): AwsError =>
  invalid('This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.');

export const latestNotDeletable = (): AwsError => invalid('$LATEST version cannot be deleted without deleting the function.');

/** Get/DeleteProvisionedConcurrencyConfig on $LATEST. */
export const provisionedNeedsPublished = (): AwsError => invalid('The function resource provided must be an alias or a published version.');

/** PutProvisionedConcurrencyConfig on $LATEST. */
export const provisionedOnUnpublished = (): AwsError => invalid('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');

export const noErrorHandlingOrDestination = (): AwsError => invalid('You must specify at least one of error handling or destination setting.');

export const destinationInvalid = (arn: string): AwsError => invalid(`The destination ARN ${arn} is invalid.`);

export const destinationIsSelf = (): AwsError => invalid("You can't specify the function as a destination for itself.");

/** A destination of a service Lambda does not deliver to, in AWS's rendering of the whole config. */
export const destinationConfigInvalid = (onSuccess: string | undefined, onFailure: string | undefined): AwsError => {
  const part = (name: string, arn: string | undefined): string => (arn === undefined ? 'null' : `${name}(destination=${arn})`);
  return invalid(`The provided destination config DestinationConfig(onSuccess=${part('OnSuccess', onSuccess)}, onFailure=${part('OnFailure', onFailure)}) is invalid.`);
};

export const tooManyTags = (): AwsError => invalid('Number of tags exceeds resource tag limit.');

export const layerVersionBelowOne = (): AwsError => invalid('Layer Version Cannot be less than 1');

// ---- code signing (code-signing.ts); the three codes are new, so their statuses are given here (the model's).

export const codeSigningConfigNotFound = (arn: string): AwsError =>
  new AwsError('CodeSigningConfigNotFoundException', `The code signing configuration cannot be found. Check that the provided configuration is not deleted: ${arn}.`, { status: 404 });

/** Get/Update/DeleteCodeSigningConfig and ListFunctionsByCodeSigningConfig of a missing configuration. */
export const codeSigningConfigMissing = (arn: string): AwsError => notFound(`The code signing configuration cannot be found. Check that the provided configuration is not deleted: ${arn}.`);

export const codeSigningConfigInUse = (arn: string): AwsError =>
  new AwsError('ResourceConflictException', `The code signing configuration ${arn} cannot be deleted because it is used by one or more functions.`);

/** Expiry, mismatch or revocation under `Enforce` (an unsigned package too). */
export const codeVerificationFailed = (functionName: string): AwsError =>
  new AwsError(
    'CodeVerificationFailedException',
    `Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept. Check the provided signature for ${functionName}.`,
    { status: 400 },
  );

/** The integrity check: blocks the deployment under `Warn` too. */
export const invalidCodeSignature = (functionName: string): AwsError =>
  new AwsError('InvalidCodeSignatureException', `Lambda cannot deploy the function. The code signature failed the integrity check: the code package of ${functionName} was modified after it was signed.`, { status: 400 });

export const codeSigningOnImage = (): AwsError => invalid('Code signing is not supported for functions created with container images.');

// ---- Lambda Managed Instances (capacity providers): not offered by this server.

export const managedInstancesUnsupported = (what: string): AwsError =>
  invalid(`${what} requires Lambda Managed Instances (capacity providers), which are not supported on this server.`);
