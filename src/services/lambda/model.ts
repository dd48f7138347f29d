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

/** FunctionConfiguration exactly as Lambda returns it. */
export function toWire(accountId: string, region: string, version: string, c: StoredConfig): Record<string, unknown> {
  const { codeShaHex: _hidden, unzippedSize: _internal, image: _image, ...rest } = c;
  return {
    ...rest,
    FunctionArn: functionArn(region, accountId, c.FunctionName, version === LATEST ? undefined : version),
    Version: version,
    Layers: c.Layers.length > 0 ? c.Layers : undefined,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    RuntimeVersionConfig: c.Runtime
      ? { RuntimeVersionArn: `arn:aws:lambda:${region}::runtime:${Buffer.from(c.Runtime).toString('hex').padEnd(64, '0').slice(0, 64)}` }
      : undefined,
  };
}
