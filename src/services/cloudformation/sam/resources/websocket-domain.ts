// WebSocketApi `Domain`: the API Gateway v2 custom domain, its API mappings and the Route53 record set group.
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { cfn, getAtt, ref, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { expectType } from '../validate.js';

export interface DomainResources {
  domain: Generated;
  mappings: Generated[];
  recordSetGroup: Generated | undefined;
}

const BASEPATH_INVALID = /[^0-9a-zA-Z/\-_]+/;

/**
 * The reference's ApiV2Generator domain for a WebSocket API: the domain always carries the WebSocket default tag,
 * only REGIONAL endpoints, and one mapping per base path (or one without a key). `domain` is mutated as the
 * reference mutates it (EndpointConfiguration defaults to REGIONAL).
 */
export function websocketDomain(apiId: string, domain: JsonObject, defaultTag: JsonObject): DomainResources {
  const domainName = domain['DomainName'];
  const certificateArn = domain['CertificateArn'];
  if (domainName === undefined || domainName === null || certificateArn === undefined || certificateArn === null) {
    throw new InvalidResourceError(apiId, 'Custom Domains only works if both DomainName and CertificateArn are provided.');
  }
  const config: JsonObject = { CertificateArn: certificateArn };
  const domainId = logicalId('ApiGatewayDomainNameV2', domainName);
  let endpoint = domain['EndpointConfiguration'];
  if (endpoint === undefined || endpoint === null) {
    endpoint = 'REGIONAL';
    domain['EndpointConfiguration'] = 'REGIONAL';
  } else if (endpoint !== 'REGIONAL') {
    throw new InvalidResourceError(apiId, "EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].");
  }
  config['EndpointType'] = endpoint;
  if (truthy(domain['OwnershipVerificationCertificateArn'])) config['OwnershipVerificationCertificateArn'] = domain['OwnershipVerificationCertificateArn']!;
  if (truthy(domain['SecurityPolicy'])) config['SecurityPolicy'] = domain['SecurityPolicy']!;
  const domainRes: Generated = {
    id: domainId,
    resource: cfn('AWS::ApiGatewayV2::DomainName', { DomainName: domainName, DomainNameConfigurations: [config], Tags: { ...defaultTag } }),
  };

  const bp = domain['BasePath'];
  const basePaths: Json[] | undefined = typeof bp === 'string' && bp !== '' ? [bp] : Array.isArray(bp) && bp.length > 0 ? bp : undefined;
  const mapping = (id: string, key?: string): Generated => ({
    id,
    resource: cfn('AWS::ApiGatewayV2::ApiMapping', { DomainName: ref(domainId), ApiId: ref(apiId), Stage: ref(`${apiId}.Stage`), ApiMappingKey: key }),
  });
  const mappings: Generated[] = [];
  if (!basePaths) mappings.push(mapping(`${apiId}ApiMapping`));
  else {
    for (const path of basePaths) {
      if (typeof path !== 'string') throw new InvalidResourceError(apiId, 'Basepath must be a string.');
      if (BASEPATH_INVALID.test(path)) throw new InvalidResourceError(apiId, 'Invalid Basepath name provided.');
      mappings.push(mapping(`${apiId}${path.replace(/[-_/]+/g, '')}ApiMapping`, path.replace(/^\/+|\/+$/g, '')));
    }
  }
  return { domain: domainRes, mappings, recordSetGroup: recordSetGroup(apiId, domain, domainId) };
}

function recordSetGroup(apiId: string, domain: JsonObject, domainId: string): Generated | undefined {
  const r53 = domain['Route53'];
  if (r53 === undefined || r53 === null) return undefined;
  expectType(apiId, 'Domain.Route53', r53, 'map');
  const cfg = r53 as JsonObject;
  const zoneId = cfg['HostedZoneId'];
  const zoneName = cfg['HostedZoneName'];
  if ((zoneId === undefined || zoneId === null) && (zoneName === undefined || zoneName === null)) {
    throw new InvalidResourceError(apiId, 'HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.');
  }
  const id = logicalId('RecordSetGroup', truthy(zoneId) ? zoneId : zoneName);
  const record = (type: string): JsonObject => {
    const alias: JsonObject = {};
    if (cfg['EvaluateTargetHealth'] !== undefined && cfg['EvaluateTargetHealth'] !== null) alias['EvaluateTargetHealth'] = cfg['EvaluateTargetHealth'];
    alias['HostedZoneId'] = getAtt(domainId, 'RegionalHostedZoneId');
    alias['DNSName'] = getAtt(domainId, 'RegionalDomainName');
    const rs: JsonObject = { Name: domain['DomainName'] ?? null, Type: type, AliasTarget: alias };
    if (cfg['Region'] !== undefined && cfg['Region'] !== null) rs['Region'] = cfg['Region'];
    if (cfg['SetIdentifier'] !== undefined && cfg['SetIdentifier'] !== null) rs['SetIdentifier'] = cfg['SetIdentifier'];
    return rs;
  };
  const records = [record('A')];
  if (cfg['IpV6'] === true) records.push(record('AAAA'));
  const props: Record<string, Json | undefined> = {};
  if ('HostedZoneId' in cfg) props['HostedZoneId'] = zoneId ?? undefined;
  else if ('HostedZoneName' in cfg) props['HostedZoneName'] = zoneName ?? undefined;
  props['RecordSets'] = records;
  return { id, resource: cfn('AWS::Route53::RecordSetGroup', props) };
}
