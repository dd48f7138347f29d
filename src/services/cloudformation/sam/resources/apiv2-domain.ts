// Custom domains of API Gateway v2 APIs (WebSocket here; HttpApi can share it): domain name, API mappings, Route53.
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { cfn, getAtt, isObj, ref, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';

export interface DomainOptions {
  apiId: string;
  /** Tag samtranslator puts on the domain (`websocketapi:createdBy`, `httpapi:createdBy`), or none. */
  defaultTagName?: string;
  attributes: JsonObject;
  /** Route53 record set groups by logical id, shared by the APIs that share one map. */
  recordSetGroups: Map<string, CfnResource>;
}

const ENDPOINTS = ['REGIONAL'];

/** _construct_api_domain of ApiV2Generator: nothing when there is no Domain. */
export function apiV2Domain(domain: JsonObject | undefined, o: DomainOptions): Generated[] {
  if (domain === undefined || domain === null) return [];
  const id = o.apiId;
  const name = domain['DomainName'];
  const cert = domain['CertificateArn'];
  if (name === undefined || name === null || cert === undefined || cert === null) throw new InvalidResourceError(id, 'Custom Domains only works if both DomainName and CertificateArn are provided.');
  const config: JsonObject = { CertificateArn: cert };
  const domainId = `ApiGatewayDomainNameV2${logicalId('', name)}`;
  domain['ApiDomainName'] = domainId;
  const dp: Record<string, Json | undefined> = { DomainName: name };
  let endpoint = domain['EndpointConfiguration'];
  if (endpoint === undefined || endpoint === null) endpoint = domain['EndpointConfiguration'] = 'REGIONAL';
  else if (!ENDPOINTS.includes(endpoint as string)) throw new InvalidResourceError(id, "EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].");
  config['EndpointType'] = endpoint;
  if (domain['OwnershipVerificationCertificateArn']) config['OwnershipVerificationCertificateArn'] = domain['OwnershipVerificationCertificateArn'];
  if (domain['SecurityPolicy']) config['SecurityPolicy'] = domain['SecurityPolicy'];
  dp['DomainNameConfigurations'] = [config];
  const mtls = domain['MutualTlsAuthentication'];
  if (mtls) {
    if (!isObj(mtls)) throw new InvalidResourceError(id, "MutualTlsAuthentication must be a map with at least one of the following fields ['TruststoreUri', 'TruststoreVersion'].");
    const bad = Object.keys(mtls).filter((k) => k !== 'TruststoreUri' && k !== 'TruststoreVersion').sort();
    if (bad.length) throw new InvalidResourceError(bad.join(','), "Available MutualTlsAuthentication fields are ['TruststoreUri', 'TruststoreVersion'].");
    const m: JsonObject = {};
    if (mtls['TruststoreUri']) m['TruststoreUri'] = mtls['TruststoreUri'];
    if (mtls['TruststoreVersion']) m['TruststoreVersion'] = mtls['TruststoreVersion'];
    dp['MutualTlsAuthentication'] = m;
  }
  if (o.defaultTagName) dp['Tags'] = { [o.defaultTagName]: 'SAM' };
  const out: Generated[] = [{ id: domainId, resource: cfn('AWS::ApiGatewayV2::DomainName', dp, o.attributes) }];
  const bp = domain['BasePath'];
  const paths: Json[] | undefined = bp && typeof bp === 'string' ? [bp] : bp && Array.isArray(bp) ? bp : undefined;
  if (paths === undefined) {
    out.push({ id: `${id}ApiMapping`, resource: cfn('AWS::ApiGatewayV2::ApiMapping', { DomainName: ref(domainId), ApiId: ref(id), Stage: ref(`${id}.Stage`) }, o.attributes) });
  } else {
    for (const p of paths) {
      if (typeof p !== 'string') throw new InvalidResourceError(id, 'Basepath must be a string.');
      if (/[^0-9a-zA-Z/\-_]+/.test(p)) throw new InvalidResourceError(id, 'Invalid Basepath name provided.');
      out.push({
        id: `${id}${p.replace(/[-_/]+/g, '')}ApiMapping`,
        resource: cfn('AWS::ApiGatewayV2::ApiMapping', { DomainName: ref(domainId), ApiId: ref(id), Stage: ref(`${id}.Stage`), ApiMappingKey: p.replace(/^\/+|\/+$/g, '') }, o.attributes),
      });
    }
  }
  const r53 = domain['Route53'];
  if (r53 !== undefined && r53 !== null) {
    if (!isObj(r53)) throw new InvalidResourceError(id, "Property 'Domain.Route53' should be a map.");
    const zone = r53['HostedZoneId'] ?? r53['HostedZoneName'];
    if (zone === undefined || zone === null) throw new InvalidResourceError(id, 'HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.');
    const gid = `RecordSetGroup${logicalId('', r53['HostedZoneId'] || r53['HostedZoneName'])}`;
    let group = o.recordSetGroups.get(gid);
    if (!group) {
      const gp: Record<string, Json | undefined> = {};
      if ('HostedZoneId' in r53) gp['HostedZoneId'] = r53['HostedZoneId'];
      else if ('HostedZoneName' in r53) gp['HostedZoneName'] = r53['HostedZoneName'];
      gp['RecordSets'] = [];
      group = cfn('AWS::Route53::RecordSetGroup', gp, o.attributes);
      o.recordSetGroups.set(gid, group);
    }
    const sets = (group.Properties!['RecordSets'] ??= []) as Json[];
    const alias = (): JsonObject => {
      const a: JsonObject = {};
      if (r53['EvaluateTargetHealth'] !== undefined && r53['EvaluateTargetHealth'] !== null) a['EvaluateTargetHealth'] = r53['EvaluateTargetHealth'];
      if (domain['EndpointConfiguration'] !== 'REGIONAL') throw new InvalidResourceError(id, 'Only REGIONAL endpoint is supported on HTTP APIs.');
      a['HostedZoneId'] = getAtt(domainId, 'RegionalHostedZoneId');
      a['DNSName'] = getAtt(domainId, 'RegionalDomainName');
      return a;
    };
    const record = (type: string): JsonObject => {
      const rs: JsonObject = { Name: name, Type: type, AliasTarget: alias() };
      if (r53['Region'] !== undefined && r53['Region'] !== null) rs['Region'] = r53['Region'];
      if (r53['SetIdentifier'] !== undefined && r53['SetIdentifier'] !== null) rs['SetIdentifier'] = r53['SetIdentifier'];
      return rs;
    };
    sets.push(record('A'));
    if (r53['IpV6'] === true) sets.push(record('AAAA'));
    out.push({ id: gid, resource: group });
  }
  return out;
}
