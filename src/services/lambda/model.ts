// The stored shape of a function version and its rendering as AWS's FunctionConfiguration.
import { functionArn } from './arn.js';
import type { ImageConfig, StoredImage } from './images.js';
import type { DurableConfig } from './durable/index.js';

/** One version's configuration as stored (the wire shape minus computed members, plus the code's hex hash). */
export interface StoredConfig {
  FunctionName: string;
  Runtime?: string;
  Role: string;
  Handler?: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  Environment?: { Variables: Record<string, string> };
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  TracingConfig: { Mode: 'Active' | 'PassThrough' };
  VpcConfig?: { SubnetIds: string[]; SecurityGroupIds: string[]; VpcId: string; Ipv6AllowedForDualStack: boolean };
  Layers: { Arn: string; CodeSize: number }[];
  Architectures: string[];
  EphemeralStorage: { Size: number };
  LoggingConfig: { LogFormat: 'JSON' | 'Text'; ApplicationLogLevel?: string; SystemLogLevel?: string; LogGroup: string };
  SnapStart: { ApplyOn: string; OptimizationStatus: string };
  PackageType: 'Zip' | 'Image';
  /** Image functions: ImageConfig as set (the wire's ImageConfigResponse). */
  ImageConfigResponse?: { ImageConfig: ImageConfig };
  /** Image functions: the image as resolved at create (hidden; GetFunction's Code shows its URIs). */
  image?: StoredImage;
  LastModified: string;
  RevisionId: string;
  CodeSha256: string;
  CodeSize: number;
  /** Hex SHA-256 of the zip: the key of its blob and of its unpacked directory. */
  codeShaHex: string;
  /** Durable functions (durable/): set at CreateFunction, its values changed by UpdateFunctionConfiguration. */
  DurableConfig?: DurableConfig;
  /** Unpacked size of the code (function plus layers must stay within 250 MB); absent in older records. */
  unzippedSize?: number;
  /**
   * Published versions: the Description $LATEST had when this version was published (hidden; PublishVersion's
   * Description may replace it on the version), so that a later change of $LATEST's description alone publishes anew.
   */
  latestDescription?: string;
  /** A package whose signature passed the integrity check (code-signing.ts): who signed it and in which job. */
  SigningProfileVersionArn?: string;
  SigningJobArn?: string;
}

export interface FunctionRecord {
  region: string;
  name: string;
  /** The next number PublishVersion will use; numbers are never reused. */
  nextVersion: number;
  tags: Record<string, string>;
  versions: Map<string, StoredConfig>;
  aliases: Map<string, StoredAlias>;
  /** Reserved concurrency (PutFunctionConcurrency); absent = draws on the account's unreserved pool. */
  reserved?: number;
}

/** An alias as stored; its wire shape adds AliasArn. */
export interface StoredAlias {
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId: string;
}

export const LATEST = '$LATEST';

/**
 * How one answer shows a configuration, as AWS varies it by operation (recorded AWS answers:
 * test/fixtures/lambda-aws-shapes.json).
 */
export interface WireView {
  /**
   * What the FunctionArn carries after the name. Default: the version, none for $LATEST (GetFunction without a
   * qualifier); a string: that qualifier (GetFunction through an alias or with an explicit $LATEST, list items of
   * ListVersionsByFunction and ListFunctions FunctionVersion=ALL); null: none (CreateFunction with Publish).
   */
  qualifier?: string | null;
  /** A list item (ListFunctions, ListVersionsByFunction): AWS leaves out State, LastUpdateStatus and RuntimeVersionConfig. */
  listItem?: boolean;
  /**
   * The answer of the call that started a change shows it in progress, as AWS does: `creating` (CreateFunction, a
   * version published by CreateFunction/UpdateFunctionCode with Publish) is State Pending; `updating`
   * (UpdateFunctionConfiguration/Code) is LastUpdateStatus InProgress. selfless applies a change before it answers, so
   * every later read sees it settled (Active, Successful).
   */
  phase?: 'creating' | 'updating';
  /**
   * The RevisionId shown instead of the stored one: AWS's in-progress state has a revision of its own, which settling
   * replaces (so that revision is never the one later reads show, nor one a RevisionId precondition accepts).
   */
  revisionId?: string;
}

const IN_PROGRESS_REASON = 'The function is being created.';

/** FunctionConfiguration exactly as Lambda returns it. */
export function toWire(accountId: string, region: string, version: string, c: StoredConfig, view: WireView = {}): Record<string, unknown> {
  const { codeShaHex: _hidden, unzippedSize: _internal, image: _image, latestDescription: _published, ...rest } = c;
  const qualifier = view.qualifier === undefined ? (version === LATEST ? undefined : version) : (view.qualifier ?? undefined);
  const state: Record<string, unknown> = view.listItem
    ? {}
    : view.phase === 'creating'
      ? { State: 'Pending', StateReason: IN_PROGRESS_REASON, StateReasonCode: 'Creating' }
      : view.phase === 'updating'
        ? { State: 'Active', LastUpdateStatus: 'InProgress', LastUpdateStatusReason: IN_PROGRESS_REASON, LastUpdateStatusReasonCode: 'Creating' }
        : { State: 'Active', LastUpdateStatus: 'Successful' };
  return {
    ...rest,
    ...(view.revisionId !== undefined ? { RevisionId: view.revisionId } : {}),
    FunctionArn: functionArn(region, accountId, c.FunctionName, qualifier),
    Version: version,
    Layers: c.Layers.length > 0 ? c.Layers : undefined,
    ...state,
    RuntimeVersionConfig:
      c.Runtime && !view.listItem
        ? { RuntimeVersionArn: `arn:aws:lambda:${region}::runtime:${Buffer.from(c.Runtime).toString('hex').padEnd(64, '0').slice(0, 64)}` }
        : undefined,
  };
}
