// The OpenAPI 3 editor of HTTP APIs (samtranslator's OpenApiEditor): integrations, authorizers, CORS, tags.
import { pyRepr } from '../errors.js';
import { deepcopy, isDict, isStr, p27, pd, ps, PStr, PyDict, str, toJson, truthy, type PyVal } from './py27.js';
import { BaseEditor, conditionalContents, deepGet, docError, InvalidValueType, makeConditional, normalizeMethod, OPENAPI3, pyEqual, pyStrOf, validateIsDict, X_ANY_METHOD, X_INTEGRATION } from './swagger.js';

export const DEFAULT_PATH = '$default';
const CORS_KEYS = ['allowOrigins', 'allowHeaders', 'allowMethods', 'exposeHeaders', 'maxAge', 'allowCredentials'];

const deepGetDoc = (d: PyDict, path: string[]): PyVal | undefined => {
  try {
    return deepGet(d, path);
  } catch (e) {
    if (e instanceof InvalidValueType) throw docError(`Invalid OpenApi document: ${e.message}`);
    throw e;
  }
};

export class OpenApiEditor extends BaseEditor {
  securitySchemes: PyDict;
  tags: PyVal[];
  info: PyDict;

  constructor(doc: PyVal | undefined) {
    if (!truthy(doc) || !OpenApiEditor.isValid(doc)) throw docError("Invalid OpenApi document. Invalid values or missing keys for 'openapi' or 'paths' in 'DefinitionBody'.");
    super(deepcopy(doc as PyDict));
    const ss = deepGetDoc(this.doc, ['components', 'securitySchemes']);
    this.securitySchemes = truthy(ss) ? (ss as PyDict) : new PyDict(true);
    const tags = deepGetDoc(this.doc, ['tags']);
    this.tags = truthy(tags) ? (tags as PyVal[]) : [];
    const info = deepGetDoc(this.doc, ['info']);
    this.info = truthy(info) ? (info as PyDict) : new PyDict(true);
  }

  static isValid(data: PyVal | undefined): boolean {
    return truthy(data) && isDict(data) && isDict(data.get('paths')) && truthy(data.get('openapi')) && OPENAPI3.test(pyStrOf(data.get('openapi')));
  }

  static skeleton(): PyDict {
    return p27([
      ['openapi', ps('3.0.1')],
      ['info', p27([['version', ps('1.0')], ['title', pd([['Ref', ps('AWS::StackName')]])]])],
      ['paths', new PyDict(true)],
    ]);
  }

  get openapi(): PyDict {
    this.doc.setP('paths', this.paths);
    if (this.tags.length) this.doc.setP('tags', this.tags);
    if (truthy(this.securitySchemes)) {
      this.doc.setdefault('components', new PyDict(true), true);
      if (!truthy(this.doc.get('components'))) this.doc.setP('components', new PyDict(true));
      (this.doc.get('components') as PyDict).setP('securitySchemes', this.securitySchemes);
    }
    if (truthy(this.info)) this.doc.setP('info', this.info);
    return deepcopy(this.doc);
  }

  isIntegrationFunctionLogicalIdMatch(path: string, method: string, logicalId: string): boolean {
    if (!this.hasIntegration(path, method)) return false;
    for (const def of this.methodDefinitionsAt(path, method, false)) {
      const integ = def.has(X_INTEGRATION) ? def.get(X_INTEGRATION) : new PyDict(true);
      if (!isDict(integ)) throw docError(`Value of '${X_INTEGRATION}' must be a dictionary according to Swagger spec.`);
      const uri = integ.get('uri');
      if (!isDict(uri)) return false;
      for (const c of conditionalContents(uri)) {
        const arn = str((c as PyDict).get('Fn::Sub')) ?? '';
        const m = /([A-Za-z0-9]+\.Arn)/.exec(arn);
        if (!m || m[1]!.split('.Arn')[0] !== logicalId) return false;
      }
    }
    return true;
  }

  addLambdaIntegration(path: string, method: PyVal, uri: PyVal, condition?: PyVal, invokeMode?: PyVal): void {
    const m = str(normalizeMethod(method))!;
    if (this.hasIntegration(path, method)) return;
    this.addPath(path, method);
    const theUri = truthy(condition) ? makeConditional(condition!, uri) : uri;
    for (const item of conditionalContents(this.paths.get(path))) {
      validateIsDict(item, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
      if (item.get(m) === null) item.set(m, new PyDict(true));
      const def = item.get(m) as PyDict;
      const integ = new PyDict(true);
      def.setP(X_INTEGRATION, integ);
      integ.setP('type', ps('aws_proxy'));
      integ.setP('httpMethod', ps('POST'));
      integ.setP('payloadFormatVersion', ps('2.0'));
      integ.setP('uri', theUri);
      if (truthy(invokeMode)) integ.setP('invokeMode', invokeMode!);
      if (path === DEFAULT_PATH && m === X_ANY_METHOD) def.setP('isDefaultRoute', true);
      def.setdefault('responses', new PyDict(true), true);
      if (truthy(condition)) item.set(m, makeConditional(condition!, def));
    }
  }

  addPathParameters(path: string, method: PyVal, params: string[]): void {
    for (const def of this.methodDefinitionsAt(path, method)) {
      const list = def.setdefault('parameters', [], true) as PyVal[];
      for (const p of params) {
        const existing = list.find((x) => isDict(x) && str(x.get('name')) === p) as PyDict | undefined;
        if (existing) {
          existing.setP('in', ps('path'));
          existing.setP('required', true);
        } else list.push(p27([['name', p], ['in', ps('path')], ['required', true]]));
      }
    }
  }

  addPayloadFormatVersion(path: string, method: PyVal, v: PyVal): void {
    for (const def of this.methodDefinitionsAt(path, method)) (def.get(X_INTEGRATION) as PyDict).setP('payloadFormatVersion', v);
  }

  addAuthorizers(list: [string, PyDict][]): void {
    for (const [n, a] of list) this.securitySchemes.set(n, a);
  }

  setPathDefaultAuthorizer(path: string, defaultAuthorizer: string, scopes: PyVal): void {
    for (const item of conditionalContents(this.paths.get(path))) {
      validateIsDict(item, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
      for (const [name, method] of item.entries()) {
        const n = str(normalizeMethod(name)) ?? name;
        if (n === 'parameters' || n === 'options') continue;
        if (!item.has(n)) throw docError(`Could not find ${n} in ${path} within DefinitionBody.`);
        for (const def of conditionalContents(method)) {
          validateIsDict(def, `Definition of method '${name}' for path '${path}' should be a map.`);
          if (!BaseEditor.methodHasIntegration(def)) continue;
          if (truthy(def.get('security'))) continue;
          const sd = pd();
          sd.set(defaultAuthorizer, scopes);
          def.setP('security', [sd]);
        }
      }
    }
  }

  addAuthToMethod(path: string, method: PyVal, auth: PyDict, apiAuth: PyDict | undefined): void {
    const authorizer = auth.get('Authorizer');
    const scopes = auth.has('AuthorizationScopes') ? auth.get('AuthorizationScopes') : [];
    const authorizers = apiAuth?.get('Authorizers');
    if (!truthy(authorizer)) return;
    const name = str(authorizer)!;
    for (const def of this.methodDefinitionsAt(path, method)) {
      const sd = pd();
      sd.set(name, []);
      if (name !== 'NONE' && name !== 'AWS_IAM') {
        const a = isDict(authorizers) ? (authorizers.has(name) ? authorizers.get(name) : new PyDict(true)) : new PyDict(true);
        if (!isDict(a)) throw docError(`Type of authorizer '${name}' must be a dictionary`);
        let s = a.get('AuthorizationScopes');
        if (truthy(scopes)) s = scopes;
        if (truthy((authorizers as PyDict).get(name)) && truthy(s)) sd.set(name, s!);
      }
      const existing = def.has('security') ? def.get('security') : [];
      if (!Array.isArray(existing)) throw docError(`Type of security for path ${path} method ${str(method)} must be a list`);
      def.setP('security', [...existing, sd]);
    }
  }

  addTags(tags: PyDict): void {
    for (const [name, value] of tags.entries()) {
      if (!Array.isArray(this.tags)) throw docError(`Tags in OpenApi DefinitionBody needs to be a list. ${pyRepr(toJson(this.tags))} is a ${isDict(this.tags) ? 'dict' : typeof this.tags === 'number' ? 'int' : typeof this.tags === 'boolean' ? 'bool' : 'str'} not a list.`);
      const existing = this.tags.find((t) => isDict(t) && str(t.get('name')) === name) as PyDict | undefined;
      if (existing) existing.setP('x-amazon-apigateway-tag-value', value);
      else this.tags.push(p27([['name', name], ['x-amazon-apigateway-tag-value', value]]));
    }
  }

  addEndpointConfig(disable: PyVal): void {
    const servers = (this.doc.has('servers') ? this.doc.get('servers') : [new PyDict(true)]) as PyVal[];
    for (const c of servers) {
      if (!isDict(c)) throw docError("Value of 'servers' item must be a dictionary according to Swagger spec.");
      const ec = (c.has('x-amazon-apigateway-endpoint-configuration') ? c.get('x-amazon-apigateway-endpoint-configuration') : pd()) as PyDict;
      ec.setP('disableExecuteApiEndpoint', disable);
      c.setP('x-amazon-apigateway-endpoint-configuration', ec);
    }
    this.doc.setP('servers', servers);
  }

  addCors(origins: PyVal, headers: PyVal, methods: PyVal, expose: PyVal, maxAge: PyVal, cred: PyVal): void {
    const cfg = this.doc.has('x-amazon-apigateway-cors') ? this.doc.get('x-amazon-apigateway-cors') : pd();
    if (!isDict(cfg)) throw docError("Value of 'x-amazon-apigateway-cors' must be a dictionary according to Swagger spec.");
    if (truthy(origins) && isIntrinsicPy(origins)) {
      const rename = (v: PyVal): PyVal => {
        if (isDict(v)) {
          const d = new PyDict(false);
          for (const [k, x] of v.entries()) d.set(renameKey(k), rename(x), v.isPlainKey(k));
          return d;
        }
        if (Array.isArray(v)) return v.map(rename);
        if (typeof v === 'string') return renameKey(v);
        if (v instanceof PStr) return ps(renameKey(v.s));
        return v;
      };
      const d = rename(origins) as PyDict;
      for (const [k, x] of d.entries()) cfg.set(k, x);
    } else {
      if (truthy(origins)) cfg.setP('allowOrigins', origins);
      if (truthy(headers)) cfg.setP('allowHeaders', headers);
      if (truthy(methods)) cfg.setP('allowMethods', methods);
      if (truthy(expose)) cfg.setP('exposeHeaders', expose);
      if (maxAge !== undefined && maxAge !== null) cfg.setP('maxAge', maxAge);
      if (cred === true) cfg.setP('allowCredentials', cred);
    }
    this.doc.setP('x-amazon-apigateway-cors', cfg);
  }

  addDescription(d: PyVal): void {
    if (truthy(this.info.get('description'))) return;
    this.info.setP('description', d);
  }

  addTitle(t: PyVal): void {
    if (!pyEqual(this.info.get('title'), pd([['Ref', ps('AWS::StackName')]]))) return;
    this.info.setP('title', t);
  }

  hasApiGatewayCors(): boolean {
    return truthy(this.doc.get('x-amazon-apigateway-cors'));
  }
}

/** json.dumps then replace the capitalised CORS keywords (the reference edits the JSON text). */
function renameKey(s: string): string {
  let out = s;
  for (const h of CORS_KEYS) out = out.split(h[0]!.toUpperCase() + h.slice(1)).join(h);
  return out;
}

export function isIntrinsicPy(v: PyVal | undefined): boolean {
  if (!isDict(v) || v.size !== 1) return false;
  const k = v.keys()[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::');
}

export const pathWithoutTrailingSlashHttp = (p: string): string => p.replace(/\{([a-zA-Z0-9._-]+|proxy\+)\}/g, '*');
export { isStr };
