// Resource policies of REST APIs (x-amazon-apigateway-policy): account, IP and VPC allow/deny lists, custom statements.
import { isDict, isStr, p27, pd, ps, PyDict, str, truthy, type PyVal } from './py27.js';
import { conditionalContents, docError, pathWithoutTrailingSlash, pyEqual, pyStrOf, validateIsDict, X_ANY_METHOD, type SwaggerEditor } from './swagger.js';

function methodPathUris(e: SwaggerEditor, path: string, stage: PyVal): PyVal[] {
  const methods: string[] = [];
  for (const item of conditionalContents(e.paths.get(path))) {
    validateIsDict(item, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
    methods.push(...(item as PyDict).keys());
  }
  const p = pathWithoutTrailingSlash(path);
  return methods.map((m) => {
    const method = m.toLowerCase() === X_ANY_METHOD || m.toLowerCase() === 'any' ? '*' : m.toUpperCase();
    return pd([['Fn::Sub', [`execute-api:/\${__Stage__}/${method}${p}`, pd([['__Stage__', stage]])]]]);
  });
}

function pushStatements(e: SwaggerEditor, stmts: PyVal[]): void {
  const cur = e.resourcePolicy.get('Statement');
  if (cur === undefined || cur === null) {
    e.resourcePolicy.setP('Statement', stmts);
    return;
  }
  const list = Array.isArray(cur) ? cur : [cur];
  for (const s of stmts) if (!list.some((x) => pyEqual(x, s))) list.push(s);
  e.resourcePolicy.setP('Statement', list);
}

function iamPolicy(e: SwaggerEditor, accounts: PyVal, effect: string, resources: PyVal[]): void {
  if (!truthy(accounts)) return;
  if (!isDict(accounts) && !Array.isArray(accounts)) throw docError(`Type of '${pyStrOf(accounts)}' must be a list or dictionary`);
  const list = Array.isArray(accounts) ? accounts : [accounts];
  e.resourcePolicy.setP('Version', ps('2012-10-17'));
  const st = p27([['Effect', ps(effect)], ['Action', ps('execute-api:Invoke')], ['Resource', resources], ['Principal', p27([['AWS', list]])]]);
  const cur = e.resourcePolicy.get('Statement');
  if (cur === undefined || cur === null) e.resourcePolicy.setP('Statement', st);
  else {
    const l = Array.isArray(cur) ? cur : [cur];
    l.push(st);
    e.resourcePolicy.setP('Statement', l);
  }
}

function allowDeny(e: SwaggerEditor, resources: PyVal[], condition: PyDict): void {
  e.resourcePolicy.setP('Version', ps('2012-10-17'));
  const allow = p27([['Effect', ps('Allow')], ['Action', ps('execute-api:Invoke')], ['Resource', resources], ['Principal', ps('*')]]);
  const deny = p27([['Effect', ps('Deny')], ['Action', ps('execute-api:Invoke')], ['Resource', resources], ['Principal', ps('*')], ['Condition', condition]]);
  const cur = e.resourcePolicy.get('Statement');
  if (cur === undefined || cur === null) e.resourcePolicy.setP('Statement', [allow, deny]);
  else pushStatements(e, [allow, deny]);
}

function ipPolicy(e: SwaggerEditor, ips: PyVal, conditional: string, resources: PyVal[]): void {
  if (!truthy(ips)) return;
  const list = Array.isArray(ips) ? ips : [ips];
  allowDeny(e, resources, pd([[conditional, pd([['aws:SourceIp', list]])]]));
}

function vpcPolicy(e: SwaggerEditor, strings: PyVal | undefined, vpcs: PyVal | undefined, vpces: PyVal | undefined, conditional: string, resources: PyVal[]): void {
  const cond = new PyDict(true);
  const addTo = (k: string, xs: PyVal[]): void => {
    const cur = cond.setdefault(k, [], true) as PyVal[];
    cur.push(...xs);
  };
  if (strings !== undefined && strings !== null) {
    const list = strings as PyVal[];
    const vpc = list.filter((e) => /^vpc-/.test(str(e) ?? ''));
    const vpce = list.filter((e) => /^vpce-/.test(str(e) ?? ''));
    if (vpc.length) addTo('aws:SourceVpc', vpc);
    if (vpce.length) addTo('aws:SourceVpce', vpce);
  }
  if (vpcs !== undefined && vpcs !== null) addTo('aws:SourceVpc', vpcs as PyVal[]);
  if (vpces !== undefined && vpces !== null) addTo('aws:SourceVpce', vpces as PyVal[]);
  if (!truthy(cond.get('aws:SourceVpc')) && !truthy(cond.get('aws:SourceVpce'))) return;
  allowDeny(e, resources, pd([[conditional, cond]]));
}

/** Auth.ResourcePolicy for one path: account, IP range and VPC lists become Allow/Deny statements. */
export function addResourcePolicy(e: SwaggerEditor, rp: PyVal | undefined, path: string, stage: PyVal): void {
  if (rp === undefined || rp === null) return;
  validateIsDict(rp, 'Resource Policy is not a valid dictionary.');
  const g = (k: string): PyVal | undefined => {
    const v = rp.get(k);
    return v === null ? undefined : v;
  };
  if (g('AwsAccountWhitelist') !== undefined) iamPolicy(e, g('AwsAccountWhitelist')!, 'Allow', methodPathUris(e, path, stage));
  if (g('AwsAccountBlacklist') !== undefined) iamPolicy(e, g('AwsAccountBlacklist')!, 'Deny', methodPathUris(e, path, stage));
  if (g('IpRangeWhitelist') !== undefined) ipPolicy(e, g('IpRangeWhitelist')!, 'NotIpAddress', methodPathUris(e, path, stage));
  if (g('IpRangeBlacklist') !== undefined) ipPolicy(e, g('IpRangeBlacklist')!, 'IpAddress', methodPathUris(e, path, stage));
  const resolvedList = (v: PyVal | undefined): boolean => v === undefined || (Array.isArray(v) && v.every(isStr)) || (!Array.isArray(v) && false);
  if (!resolvedList(g('SourceVpcBlacklist'))) throw docError('SourceVpcBlacklist must be a list of strings. Use IntrinsicVpcBlacklist instead for values that use Intrinsic Functions');
  const resources = methodPathUris(e, path, stage);
  vpcPolicy(e, g('SourceVpcBlacklist'), g('IntrinsicVpcBlacklist'), g('IntrinsicVpceBlacklist'), 'StringEquals', resources);
  if (!resolvedList(g('SourceVpcWhitelist'))) throw docError('SourceVpcWhitelist must be a list of strings. Use IntrinsicVpcWhitelist instead for values that use Intrinsic Functions');
  vpcPolicy(e, g('SourceVpcWhitelist'), g('IntrinsicVpcWhitelist'), g('IntrinsicVpceWhitelist'), 'StringNotEquals', resources);
  e.doc.setP('x-amazon-apigateway-policy', e.resourcePolicy);
}

/** ResourcePolicy.CustomStatements, appended unless already present. */
export function addCustomStatements(e: SwaggerEditor, statements: PyVal): void {
  if (statements !== undefined && statements !== null) {
    e.resourcePolicy.setP('Version', ps('2012-10-17'));
    const cur = e.resourcePolicy.get('Statement');
    if (cur === undefined || cur === null) e.resourcePolicy.setP('Statement', statements);
    else {
      const list = Array.isArray(cur) ? cur : [cur];
      for (const s of Array.isArray(statements) ? statements : [statements]) if (!list.some((x) => pyEqual(x, s))) list.push(s);
      e.resourcePolicy.setP('Statement', list);
    }
  }
  e.doc.setP('x-amazon-apigateway-policy', e.resourcePolicy);
}

