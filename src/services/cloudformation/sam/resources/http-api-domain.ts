// Custom domains of HTTP APIs (REGIONAL only): DomainName, ApiMappings per base path, Route53 record set groups.
import type { TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { cfn, isObj, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';

const groups = (ctx: TransformContext): Map<string, CfnResource> => {
  let m = ctx.shared.get('sam-api:route53') as Map<string, CfnResource> | undefined;
  if (!m) ctx.shared.set('sam-api:route53', (m = new Map()));
  return m;
};

export function httpApiDomain(ctx: TransformContext, apiId: string, domain: Json | undefined, attrs: JsonObject, tagName: string): Generated[] {
  if (domain === undefined || domain === null) return [];
  if (!isObj(domain)) throw new InvalidResourceError(apiId, "Property 'Domain' should be a map.");
  const dn = domain['DomainName'];
  const cert = domain['CertificateArn'];
  if (dn === undefined || dn === null || cert === undefined || cert === null) throw new InvalidResourceError(apiId, 'Custom Domains only works if both DomainName and CertificateArn are provided.');
  const cfg: JsonObject = { CertificateArn: cert };
  const dnId = `ApiGatewayDomainNameV2${logicalId('', dn)}`;
  domain['ApiDomainName'] = dnId;
  let ep = domain['EndpointConfiguration'];
  if (ep === undefined || ep === null) ep = domain['EndpointConfiguration'] = 'REGIONAL';
  else if (ep !== 'REGIONAL') throw new InvalidResourceError(apiId, "EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].");
  cfg['EndpointType'] = ep;
  if (domain['OwnershipVerificationCertificateArn']) cfg['OwnershipVerificationCertificateArn'] = domain['OwnershipVerificationCertificateArn'];
  if (domain['SecurityPolicy']) cfg['SecurityPolicy'] = domain['SecurityPolicy'];
  const props: JsonObject = { DomainName: dn, DomainNameConfigurations: [cfg], Tags: { [tagName]: 'SAM' } };
  const mtls = domain['MutualTlsAuthentication'];
  if (mtls) {
    if (!isObj(mtls)) throw new InvalidResourceError(apiId, "MutualTlsAuthentication must be a map with at least one of the following fields ['TruststoreUri', 'TruststoreVersion'].");
    const bad = Object.keys(mtls).filter((k) => k !== 'TruststoreUri' && k !== 'TruststoreVersion').sort();
    if (bad.length) throw new InvalidResourceError(bad.join(','), "Available MutualTlsAuthentication fields are ['TruststoreUri', 'TruststoreVersion'].");
    const m: JsonObject = {};
    if (mtls['TruststoreUri']) m['TruststoreUri'] = mtls['TruststoreUri'];
    if (mtls['TruststoreVersion']) m['TruststoreVersion'] = mtls['TruststoreVersion'];
    props['MutualTlsAuthentication'] = m;
  }
  const out: Generated[] = [{ id: dnId, resource: cfn('AWS::ApiGatewayV2::DomainName', props, attrs) }];
  const bp = domain['BasePath'];
  const paths = bp && typeof bp === 'string' ? [bp] : bp && Array.isArray(bp) && bp.length ? bp : undefined;
  const mapping = (mid: string, key?: string): Generated => ({
    id: mid,
    resource: cfn('AWS::ApiGatewayV2::ApiMapping', { DomainName: { Ref: dnId }, ApiId: { Ref: apiId }, Stage: { Ref: `${apiId}.Stage` }, ApiMappingKey: key }, attrs),
  });
  if (!paths) out.push(mapping(`${apiId}ApiMapping`));
  else {
    for (const p of paths) {
      if (typeof p !== 'string') throw new InvalidResourceError(apiId, 'Basepath must be a string.');
      if (/[^0-9a-zA-Z/\-_]+/.test(p)) throw new InvalidResourceError(apiId, 'Invalid Basepath name provided.');
      out.push(mapping(`${apiId}${p.replace(/[-_/]+/g, '')}ApiMapping`, p.replace(/^\/+|\/+$/g, '')));
    }
  }
  const r53 = domain['Route53'];
  if (r53 !== undefined && r53 !== null) {
    if (!isObj(r53)) throw new InvalidResourceError(apiId, "Property 'Domain.Route53' should be a map.");
    if ((r53['HostedZoneId'] === undefined || r53['HostedZoneId'] === null) && (r53['HostedZoneName'] === undefined || r53['HostedZoneName'] === null)) {
      throw new InvalidResourceError(apiId, 'HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.');
    }
    const gid = `RecordSetGroup${logicalId('', r53['HostedZoneId'] || r53['HostedZoneName'])}`;
    const m = groups(ctx);
    let group = m.get(gid);
    if (!group) {
      const gp: JsonObject = {};
      if ('HostedZoneId' in r53) gp['HostedZoneId'] = r53['HostedZoneId']!;
      else if ('HostedZoneName' in r53) gp['HostedZoneName'] = r53['HostedZoneName']!;
      gp['RecordSets'] = [];
      group = cfn('AWS::Route53::RecordSetGroup', gp, attrs);
      m.set(gid, group);
    }
    const alias = (): JsonObject => {
      const at: JsonObject = {};
      if (r53['EvaluateTargetHealth'] !== undefined && r53['EvaluateTargetHealth'] !== null) at['EvaluateTargetHealth'] = r53['EvaluateTargetHealth'];
      if (domain['EndpointConfiguration'] !== 'REGIONAL') throw new InvalidResourceError(apiId, 'Only REGIONAL endpoint is supported on HTTP APIs.');
      at['HostedZoneId'] = { 'Fn::GetAtt': [dnId, 'RegionalHostedZoneId'] };
      at['DNSName'] = { 'Fn::GetAtt': [dnId, 'RegionalDomainName'] };
      return at;
    };
    const routing = (rs: JsonObject): JsonObject => {
      if (r53['Region'] !== undefined && r53['Region'] !== null) rs['Region'] = r53['Region'];
      if (r53['SetIdentifier'] !== undefined && r53['SetIdentifier'] !== null) rs['SetIdentifier'] = r53['SetIdentifier'];
      return rs;
    };
    const sets = [routing({ Name: dn, Type: 'A', AliasTarget: alias() })];
    if (r53['IpV6'] === true) sets.push(routing({ Name: dn, Type: 'AAAA', AliasTarget: alias() }));
    (group.Properties!['RecordSets'] as JsonObject[]).push(...sets);
    out.push({ id: gid, resource: group });
  }
  return out;
}
