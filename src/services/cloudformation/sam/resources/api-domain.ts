// Custom domains of REST APIs: DomainName (regional/edge) or DomainNameV2 (private), base path mappings,
// Route53 record set groups (shared per hosted zone across APIs) and access associations.
import type { TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { isDict, isStr, pd, ps, PyDict, pyJsonDumps, str, toJson, truthy, type PyVal } from '../openapi/py27.js';
import { cfn, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';

export interface DomainResult {
  generated: Generated[];
  /** json.dumps of the domain after the generator annotated it (part of the Deployment hash). */
  hashText: string;
}

const recordGroups = (ctx: TransformContext): Map<string, CfnResource> => {
  let m = ctx.shared.get('sam-api:route53') as Map<string, CfnResource> | undefined;
  if (!m) ctx.shared.set('sam-api:route53', (m = new Map()));
  return m;
};

const g = (d: PyDict, k: string): PyVal | undefined => {
  const v = d.get(k);
  return v === null ? undefined : v;
};
const j = (v: PyVal | undefined): Json | undefined => (v === undefined ? undefined : toJson(v));
const idData = (v: PyVal | undefined): Json => (v === undefined ? null : toJson(v));

function optional(domain: PyDict, props: JsonObject): void {
  for (const k of ['SecurityPolicy', 'EndpointAccessMode', 'Policy', 'OwnershipVerificationCertificateArn']) if (truthy(domain.get(k))) props[k] = toJson(domain.get(k)!);
}

function aliasTarget(domain: PyDict, apiDomainName: string, route53: PyDict): JsonObject {
  const at: JsonObject = {};
  const th = route53.get('EvaluateTargetHealth');
  if (th !== undefined && th !== null) at['EvaluateTargetHealth'] = toJson(th);
  const ep = str(domain.get('EndpointConfiguration'));
  if (ep === 'REGIONAL') {
    at['HostedZoneId'] = { 'Fn::GetAtt': [apiDomainName, 'RegionalHostedZoneId'] };
    at['DNSName'] = { 'Fn::GetAtt': [apiDomainName, 'RegionalDomainName'] };
  } else if (ep === 'EDGE') {
    if (route53.get('DistributionDomainName') === undefined || route53.get('DistributionDomainName') === null) {
      route53.setP('DistributionDomainName', pd([['Fn::GetAtt', [apiDomainName, ps('DistributionDomainName')]]]));
    }
    at['HostedZoneId'] = 'Z2FDTNDATAQYW2';
    at['DNSName'] = toJson(route53.get('DistributionDomainName')!);
  } else {
    at['HostedZoneId'] = j(route53.get('VpcEndpointHostedZoneId')) ?? null;
    at['DNSName'] = j(route53.get('VpcEndpointDomainName')) ?? null;
  }
  return at;
}

function recordSets(domain: PyDict, apiDomainName: string, route53: PyDict): JsonObject[] {
  const at = aliasTarget(domain, apiDomainName, route53);
  const routing = (rs: JsonObject): JsonObject => {
    if (route53.get('Region') !== undefined && route53.get('Region') !== null) rs['Region'] = toJson(route53.get('Region')!);
    if (route53.get('SetIdentifier') !== undefined && route53.get('SetIdentifier') !== null) rs['SetIdentifier'] = toJson(route53.get('SetIdentifier')!);
    return rs;
  };
  const out = [routing({ Name: j(domain.get('DomainName')) ?? null, Type: 'A', AliasTarget: at })];
  if (route53.get('IpV6') === true) out.push(routing({ Name: j(domain.get('DomainName')) ?? null, Type: 'AAAA', AliasTarget: at }));
  return out;
}

function route53Group(ctx: TransformContext, apiId: string, domain: PyDict, nameForRecords: string, attrs: JsonObject): Generated | undefined {
  const route53 = domain.get('Route53');
  if (route53 === undefined || route53 === null) return undefined;
  if (!isDict(route53)) throw new InvalidResourceError(apiId, "Property 'Domain.Route53' should be a map.");
  const hzId = route53.get('HostedZoneId');
  const hzName = route53.get('HostedZoneName');
  if ((hzId === undefined || hzId === null) && (hzName === undefined || hzName === null)) {
    throw new InvalidResourceError(apiId, 'HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.');
  }
  const zone = truthy(hzId) ? hzId : hzName;
  const groupId = `RecordSetGroup${logicalId('', idData(zone))}`;
  if (truthy(route53.get('SeparateRecordSetGroup'))) {
    if (typeof route53.get('SeparateRecordSetGroup') !== 'boolean') throw new InvalidResourceError(apiId, "Property 'Domain.Route53.SeparateRecordSetGroup' should be a boolean.");
    const sid = logicalId('RecordSetGroup', [idData(zone), idData(domain.get('DomainName'))]);
    const props: JsonObject = {};
    if (truthy(hzId)) props['HostedZoneId'] = toJson(hzId!);
    if (truthy(hzName)) props['HostedZoneName'] = toJson(hzName!);
    props['RecordSets'] = recordSets(domain, nameForRecords, route53);
    return { id: sid, resource: cfn('AWS::Route53::RecordSetGroup', props, attrs) };
  }
  const groups = recordGroups(ctx);
  let group = groups.get(groupId);
  if (!group) {
    const props: JsonObject = {};
    if (route53.has('HostedZoneId')) props['HostedZoneId'] = toJson(route53.get('HostedZoneId')!);
    if (route53.has('HostedZoneName')) props['HostedZoneName'] = toJson(route53.get('HostedZoneName')!);
    props['RecordSets'] = [];
    group = cfn('AWS::Route53::RecordSetGroup', props, attrs);
    groups.set(groupId, group);
  }
  (group.Properties!['RecordSets'] as JsonObject[]).push(...recordSets(domain, nameForRecords, route53));
  return { id: groupId, resource: group };
}

function basePaths(apiId: string, domain: PyDict): PyVal[] | undefined {
  const bp = domain.get('BasePath');
  if (truthy(bp) && isStr(bp)) return [bp!];
  if (truthy(bp) && Array.isArray(bp)) return bp;
  return undefined;
}

const alnum = (s: string): string => [...s].filter((c) => /[\p{L}\p{N}]/u.test(c)).join('');

export function restApiDomain(ctx: TransformContext, apiId: string, domain: PyVal | undefined, attrs: JsonObject): DomainResult {
  if (domain === undefined || domain === null) return { generated: [], hashText: '' };
  if (!isDict(domain)) throw new InvalidResourceError(apiId, "Property 'Domain' should be a map.");
  const domainName = g(domain, 'DomainName');
  if (domainName === undefined) throw new InvalidResourceError(apiId, "Property 'Domain.DomainName' is required.");
  const cert = g(domain, 'CertificateArn');
  if (cert === undefined) throw new InvalidResourceError(apiId, "Property 'Domain.CertificateArn' is required.");
  const isPrivate = str(domain.get('EndpointConfiguration')) === 'PRIVATE';
  const out: Generated[] = [];
  const normalize = domain.has('NormalizeBasePath') ? domain.get('NormalizeBasePath') : true;
  const bps = basePaths(apiId, domain);
  const checkList = (): void => {
    bps!.forEach((b, i) => {
      if (!isStr(b)) throw new InvalidResourceError(apiId, `Property 'Domain.BasePath[${i}]' should be a string.`);
    });
    if (!Array.isArray(bps)) throw new InvalidResourceError(apiId, "Property 'Domain.BasePath' should be a list.");
  };
  if (!isPrivate) {
    const dnId = `ApiGatewayDomainName${logicalId('', idData(domainName))}`;
    domain.setP('ApiDomainName', dnId);
    let ep = domain.get('EndpointConfiguration');
    if (ep === undefined || ep === null) {
      ep = ps('REGIONAL');
      domain.setP('EndpointConfiguration', ps('REGIONAL'));
    } else if (!['EDGE', 'REGIONAL', 'PRIVATE'].includes(str(ep) ?? '')) {
      throw new InvalidResourceError(apiId, "EndpointConfiguration for Custom Domains must be one of ['EDGE', 'REGIONAL', 'PRIVATE'].");
    }
    const props: JsonObject = { DomainName: toJson(domainName) };
    if (str(ep) === 'REGIONAL') props['RegionalCertificateArn'] = toJson(cert);
    else props['CertificateArn'] = toJson(cert);
    const ec: JsonObject = { Types: [toJson(ep)] };
    props['EndpointConfiguration'] = ec;
    if (truthy(domain.get('IpAddressType'))) ec['IpAddressType'] = toJson(domain.get('IpAddressType')!);
    const mtls = domain.get('MutualTlsAuthentication');
    if (truthy(mtls)) {
      if (!isDict(mtls)) throw new InvalidResourceError(apiId, "Property 'Domain.MutualTlsAuthentication' should be a map.");
      if (!mtls.keys().every((k) => k === 'TruststoreUri' || k === 'TruststoreVersion')) throw new InvalidResourceError(apiId, "Available Domain.MutualTlsAuthentication fields are ['TruststoreUri', 'TruststoreVersion'].");
      const m: JsonObject = {};
      if (truthy(mtls.get('TruststoreUri'))) m['TruststoreUri'] = toJson(mtls.get('TruststoreUri')!);
      if (truthy(mtls.get('TruststoreVersion'))) m['TruststoreVersion'] = toJson(mtls.get('TruststoreVersion')!);
      props['MutualTlsAuthentication'] = m;
    }
    optional(domain, props);
    out.push({ id: dnId, resource: cfn('AWS::ApiGateway::DomainName', props, attrs) });
    const mapping = (mid: string, bp: PyVal | undefined): Generated => {
      const mp: JsonObject = { DomainName: { Ref: dnId }, RestApiId: { Ref: apiId }, Stage: { Ref: `${apiId}.Stage` } };
      if (bp !== undefined) mp['BasePath'] = toJson(bp);
      return { id: mid, resource: cfn('AWS::ApiGateway::BasePathMapping', mp, attrs) };
    };
    if (!bps) out.push(mapping(`${apiId}BasePathMapping`, undefined));
    else {
      checkList();
      for (const b of bps) {
        const path = alnum(str(b)!);
        out.push(mapping(`${apiId}${path}BasePathMapping`, truthy(normalize) ? path : b));
      }
    }
    const rs = route53Group(ctx, apiId, domain, dnId, attrs);
    if (rs) out.push(rs);
  } else {
    const dnId = `ApiGatewayDomainNameV2${logicalId('', idData(domainName))}`;
    const arn = { Ref: dnId };
    const props: JsonObject = { DomainName: toJson(domainName), CertificateArn: toJson(cert), EndpointConfiguration: { Types: ['PRIVATE'] } };
    if (truthy(domain.get('IpAddressType'))) (props['EndpointConfiguration'] as JsonObject)['IpAddressType'] = toJson(domain.get('IpAddressType')!);
    optional(domain, props);
    out.push({ id: dnId, resource: cfn('AWS::ApiGateway::DomainNameV2', props, attrs) });
    if (!bps) out.push({ id: `${apiId}BasePathMapping`, resource: cfn('AWS::ApiGateway::BasePathMappingV2', { DomainNameArn: arn, RestApiId: { Ref: apiId }, Stage: { Ref: `${apiId}.Stage` } }, attrs) });
    else {
      checkList();
      for (const b of bps) {
        const path = alnum(str(b)!);
        out.push({
          id: `${apiId}${path}BasePathMapping`,
          resource: cfn('AWS::ApiGateway::BasePathMappingV2', { DomainNameArn: arn, RestApiId: { Ref: apiId }, Stage: { Ref: `${apiId}.Stage` }, BasePath: truthy(normalize) ? path : toJson(b) }, attrs),
        });
      }
    }
    const aa = domain.get('AccessAssociation');
    if (aa !== undefined && aa !== null) {
      if (!isDict(aa)) throw new InvalidResourceError(apiId, "Property 'Domain.AccessAssociation' should be a map.");
      const vpce = aa.get('VpcEndpointId');
      const aid = logicalId('DomainNameAccessAssociation', [idData(vpce), dnId]);
      out.push({ id: aid, resource: cfn('AWS::ApiGateway::DomainNameAccessAssociation', { DomainNameArn: arn, AccessAssociationSourceType: 'VPCE', AccessAssociationSource: j(vpce) ?? null }, attrs) });
    }
    const rs = route53Group(ctx, apiId, domain, str(domainName) ?? '', attrs);
    if (rs) {
      // Private domains alias the VPC endpoint and name records after the domain itself.
      out.push(rs);
    }
  }
  return { generated: out, hashText: pyJsonDumps(domain) };
}
