// The Swagger 2.0 / OpenAPI 3 editor of REST APIs (samtranslator's SwaggerEditor), over Python-ordered dicts.
import { InvalidDocumentError, InvalidTemplateError } from '../errors.js';
import { deepcopy, isDict, isStr, p27, pd, ps, PStr, PyDict, str, truthy, type PyVal } from './py27.js';
import { addCustomStatements, addResourcePolicy } from './swagger-policy.js';

export const X_INTEGRATION = 'x-amazon-apigateway-integration';
export const X_ANY_METHOD = 'x-amazon-apigateway-any-method';
const ALL_HTTP_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];
const EXCLUDED_PATH_FIELDS = ['summary', 'description', 'parameters'];
export const OPENAPI3 = /^3(\.\d)(\.\d)?$/;

/** Errors of the editor are template errors (samtranslator's InvalidDocumentException of one InvalidTemplateException). */
export const docError = (msg: string): InvalidDocumentError => new InvalidDocumentError([new InvalidTemplateError(msg)]);

/** dict_deep_get's error text for a non-map parent on the way. */
export class InvalidValueType extends Error {}
export function deepGet(d: PyVal | undefined, path: string[]): PyVal | undefined {
  let cur: PyVal | undefined = d;
  let rel = '';
  for (const node of path) {
    if (cur === undefined || cur === null) return undefined;
    if (!isDict(cur)) throw new InvalidValueType(rel ? `The value of '${rel}' should be a map` : 'It should be a map');
    cur = cur.get(node);
    rel = rel ? `${rel}.${node}` : node;
  }
  return cur;
}

export const isNoValue = (v: PyVal | undefined): boolean => isDict(v) && v.size === 1 && str(v.get('Ref')) === 'AWS::NoValue';

/** The branches of an `Fn::If` (without NoValue), or the item itself. */
export function conditionalContents(item: PyVal | undefined): PyVal[] {
  if (isDict(item) && item.has('Fn::If')) {
    const args = item.get('Fn::If');
    if (!Array.isArray(args)) throw docError('Value of Fn::If must be a list.');
    return args.slice(1).filter((c) => !isNoValue(c));
  }
  return [item ?? null];
}

export function validateIsDict(v: PyVal | undefined, msg: string): asserts v is PyDict {
  if (!isDict(v)) throw docError(msg);
}
const pathItemIsDict = (v: PyVal | undefined, path: string): void => validateIsDict(v, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
const methodIsDict = (v: PyVal | undefined, path: string, method: string): void => validateIsDict(v, `Definition of method '${method}' for path '${path}' should be a map.`);

export function normalizeMethod(m: PyVal | undefined): PyVal | undefined {
  if (!isStr(m) || str(m) === '') return m;
  const lower = str(m)!.toLowerCase();
  if (lower === 'any') return ps(X_ANY_METHOD);
  return m instanceof PStr ? ps(lower) : lower;
}
const methodKey = (m: PyVal | undefined): string => str(normalizeMethod(m)) ?? String(m);
const methodPlain = (m: PyVal | undefined): boolean => normalizeMethod(m) instanceof PStr;

export const makeConditional = (condition: PyVal, data: PyVal): PyDict => pd([['Fn::If', [condition, data, pd([['Ref', ps('AWS::NoValue')]])]]]);

export function pathWithoutTrailingSlash(path: string): string {
  return path.replace(/\{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)\}/g, '*');
}

/** Shared by the Swagger and OpenAPI editors: paths, methods and conditional path items. */
export class BaseEditor {
  doc: PyDict;
  paths: PyDict;

  constructor(doc: PyDict) {
    this.doc = doc;
    this.paths = doc.get('paths') as PyDict;
  }

  static methodHasIntegration(def: PyVal | undefined): boolean {
    return isDict(def) && truthy(def.get(X_INTEGRATION));
  }

  methodHasIntegration(raw: PyVal, path: string, method: string): boolean {
    for (const def of conditionalContents(raw)) {
      methodIsDict(def, path, method);
      if (BaseEditor.methodHasIntegration(def)) return true;
    }
    return false;
  }

  hasPath(path: string, method?: PyVal): boolean {
    if (!this.paths.has(path)) return false;
    if (method !== undefined && truthy(method)) {
      const m = methodKey(method);
      for (const item of conditionalContents(this.paths.get(path))) if (!isDict(item) || !item.has(m)) return false;
    }
    return true;
  }

  hasIntegration(path: string, method: PyVal): boolean {
    const m = methodKey(method);
    if (!this.hasPath(path, method)) return false;
    for (const item of conditionalContents(this.paths.get(path))) {
      pathItemIsDict(item, path);
      const def = (item as PyDict).get(m);
      if (!(isDict(def) && this.methodHasIntegration(def, path, m))) return false;
    }
    return true;
  }

  addPath(path: string, method: PyVal, pathPlain = false): void {
    const m = methodKey(method);
    const pathDict = this.paths.setdefault(path, new PyDict(true), pathPlain);
    if (!isDict(pathDict)) throw docError(`Value of '${path}' path must be a dictionary according to Swagger spec.`);
    for (const item of conditionalContents(pathDict)) (item as PyDict).setdefault(m, new PyDict(true), methodPlain(method));
  }

  makePathConditional(path: string, condition: PyVal): void {
    this.paths.set(path, makeConditional(condition, this.paths.get(path)!));
  }

  *methodDefinitionsAt(path: string, method: PyVal, skipWithoutIntegration = true): Generator<PyDict> {
    const m = methodKey(method);
    for (const item of conditionalContents(this.paths.get(path))) {
      pathItemIsDict(item, path);
      for (const def of conditionalContents((item as PyDict).get(m))) {
        methodIsDict(def, path, str(method) ?? '');
        if (skipWithoutIntegration && !BaseEditor.methodHasIntegration(def)) continue;
        yield def as PyDict;
      }
    }
  }

  addTimeoutToMethod(path: string, method: PyVal, timeout: PyVal): void {
    for (const def of this.methodDefinitionsAt(path, method)) (def.get(X_INTEGRATION) as PyDict).setP('timeoutInMillis', timeout);
  }
}

export class SwaggerEditor extends BaseEditor {
  securityDefinitions: PyDict;
  gatewayResponses: PyDict;
  resourcePolicy: PyDict;
  definitions: PyDict;

  constructor(doc: PyVal | undefined) {
    if (!truthy(doc) || !SwaggerEditor.isValid(doc)) throw docError("Invalid Swagger document or the Swagger document is not explicitly defined in 'DefinitionBody'.");
    super(deepcopy(doc as PyDict));
    const or = (v: PyVal | undefined): PyDict => (truthy(v) ? (v as PyDict) : new PyDict(true));
    this.securityDefinitions = or(this.doc.get('securityDefinitions'));
    this.gatewayResponses = or(this.doc.get('x-amazon-apigateway-gateway-responses'));
    this.resourcePolicy = or(this.doc.get('x-amazon-apigateway-policy'));
    this.definitions = (this.doc.has('definitions') ? this.doc.get('definitions') : new PyDict(true)) as PyDict;
    for (const path of this.paths.keys()) for (const item of conditionalContents(this.paths.get(path))) pathItemIsDict(item, path);
  }

  static isValid(data: PyVal | undefined): boolean {
    if (!truthy(data) || !isDict(data) || !isDict(data.get('paths'))) return false;
    if (truthy(data.get('swagger'))) return true;
    if (truthy(data.get('openapi'))) return OPENAPI3.test(pyStrOf(data.get('openapi')));
    return false;
  }

  static skeleton(): PyDict {
    return p27([
      ['swagger', ps('2.0')],
      ['info', p27([['version', ps('1.0')], ['title', pd([['Ref', ps('AWS::StackName')]])]])],
      ['paths', new PyDict(true)],
    ]);
  }

  get swagger(): PyDict {
    if (this.doc.has('paths')) this.doc.set('paths', this.paths);
    if (truthy(this.securityDefinitions)) this.doc.setP('securityDefinitions', this.securityDefinitions);
    if (truthy(this.gatewayResponses)) this.doc.setP('x-amazon-apigateway-gateway-responses', this.gatewayResponses);
    if (truthy(this.definitions)) this.doc.setP('definitions', this.definitions);
    return deepcopy(this.doc);
  }

  addDisableExecuteApiEndpoint(value: PyVal): void {
    const setDeep = (d: PyDict, where: string): void => {
      const cfg = d.setdefault('x-amazon-apigateway-endpoint-configuration', new PyDict(false), true);
      if (!isDict(cfg)) throw docError(`${where}: The value of 'x-amazon-apigateway-endpoint-configuration' should be a map.`);
      cfg.setP('disableExecuteApiEndpoint', value);
    };
    const oas = this.doc.get('openapi');
    if (truthy(oas) && OPENAPI3.test(pyStrOf(oas))) {
      const servers = (this.doc.has('servers') ? this.doc.get('servers') : [new PyDict(true)]) as PyVal[];
      servers.forEach((c, i) => {
        if (!isDict(c)) throw docError(`Invalid OpenAPI definition of 'servers[${i}]': It should be a map.`);
        setDeep(c, `Invalid OpenAPI definition of 'servers[${i}]'`);
      });
      this.doc.setP('servers', servers);
    } else {
      setDeep(this.doc, 'Invalid OpenAPI definition');
    }
  }

  addLambdaIntegration(path: string, method: PyVal, uri: PyVal, methodAuth: PyDict, apiAuth: PyDict, condition?: PyVal, invokeMode?: PyVal, partition = 'aws'): void {
    const m = methodKey(method);
    if (this.hasIntegration(path, method)) throw docError(`Lambda integration already exists on Path=${path}, Method=${m}`);
    this.addPath(path, method);
    const theUri = condition !== undefined && truthy(condition) ? makeConditional(condition, uri) : uri;
    for (const item of conditionalContents(this.paths.get(path))) {
      pathItemIsDict(item, path);
      const def = (item as PyDict).get(m) as PyDict;
      const integ = new PyDict(true);
      def.setP(X_INTEGRATION, integ);
      integ.setP('type', ps('aws_proxy'));
      integ.setP('httpMethod', ps('POST'));
      integ.setP('uri', theUri);
      if (str(invokeMode) === 'RESPONSE_STREAM') integ.setP('responseTransferMode', ps('STREAM'));
      if (str(methodAuth.get('Authorizer')) === 'AWS_IAM' || (str(apiAuth.get('DefaultAuthorizer')) === 'AWS_IAM' && !truthy(methodAuth))) {
        let mRole = methodAuth.get('InvokeRole');
        if (!truthy(mRole) && methodAuth.has('InvokeRole')) mRole = ps('NONE');
        let aRole = apiAuth.get('InvokeRole');
        if (!truthy(aRole) && apiAuth.has('InvokeRole')) aRole = ps('NONE');
        const role = truthy(mRole) ? mRole : aRole;
        const creds = truthy(role) && str(role) !== 'CALLER_CREDENTIALS' ? role! : ps(`arn:${partition}:iam::*:user/*`);
        if (truthy(creds) && str(creds) !== 'NONE') integ.setP('credentials', creds);
      }
      def.setdefault('responses', new PyDict(true), true);
      if (condition !== undefined && truthy(condition)) (item as PyDict).set(m, makeConditional(condition, def), methodPlain(method));
    }
  }

  *allMethodsForPath(path: string, skipWithoutIntegration = true): Generator<[string, PyDict]> {
    for (const item of conditionalContents(this.paths.get(path))) {
      pathItemIsDict(item, path);
      for (const [name, method] of (item as PyDict).entries()) {
        if (EXCLUDED_PATH_FIELDS.includes(name)) continue;
        for (const def of conditionalContents(method)) {
          methodIsDict(def, path, name);
          if (skipWithoutIntegration && !BaseEditor.methodHasIntegration(def)) continue;
          yield [methodKey(name), def as PyDict];
        }
      }
    }
  }

  addCors(path: string, origins: PyVal, headers: PyVal, methods: PyVal, maxAge: PyVal, allowCredentials: PyVal): void {
    for (const item of conditionalContents(this.paths.get(path))) {
      pathItemIsDict(item, path);
      const pi = item as PyDict;
      if (pi.has('options')) continue;
      if (!truthy(origins)) throw new InvalidTemplateError('Invalid input. Value for AllowedOrigins is required');
      let am = methods;
      if (!truthy(am)) am = ps(`'${corsMethodsFor(pi)}'`);
      const cred = allowCredentials === true;
      pi.setP('options', corsOptions(origins, headers, am, maxAge, cred));
    }
  }

  addBinaryMediaTypes(types: PyVal): void {
    const rep = (v: PyVal): PyVal => {
      if (isDict(v)) {
        const d = new PyDict(true);
        for (const [k, x] of v.entries()) d.set(k.replace(/~1/g, '/'), rep(x));
        return d;
      }
      if (Array.isArray(v)) return v.map(rep);
      if (typeof v === 'string') return v.replace(/~1/g, '/');
      if (v instanceof PStr) return v.s.replace(/~1/g, '/');
      return v;
    };
    this.doc.setP('x-amazon-apigateway-binary-media-types', rep(types));
  }

  addAuthorizers(authorizers: [string, PyDict][]): void {
    if (!isDict(this.securityDefinitions)) throw new InvalidTemplateError('securityDefinitions must be a dictionary.');
    for (const [name, swagger] of authorizers) this.securityDefinitions.set(name, swagger);
  }

  addAwsIamSecurityDefinition(): void {
    if (!this.securityDefinitions.has('AWS_IAM')) {
      this.securityDefinitions.setP('AWS_IAM', p27([['x-amazon-apigateway-authtype', ps('awsSigv4')], ['type', ps('apiKey')], ['name', ps('Authorization')], ['in', ps('header')]]));
    }
  }

  addApiKeySecurityDefinition(): void {
    if (!isDict(this.securityDefinitions)) throw new InvalidTemplateError('securityDefinitions must be a dictionary.');
    if (!this.securityDefinitions.has('api_key')) this.securityDefinitions.setP('api_key', p27([['type', ps('apiKey')], ['name', ps('x-api-key')], ['in', ps('header')]]));
  }

  private existingSecurity(def: PyDict, path: string, method: string): PyVal[] {
    const s = def.has('security') ? def.get('security') : [];
    if (!Array.isArray(s)) throw docError(`Type of security for path ${path} method ${method} must be a list`);
    return s;
  }

  setPathDefaultAuthorizer(path: string, defaultAuthorizer: string, authorizers: Map<string, AuthorizerInfo>, addToPreflight: boolean): void {
    for (const [name, def] of this.allMethodsForPath(path)) {
      if (!(addToPreflight || name !== 'options')) continue;
      const names = new Set(['AWS_IAM', ...authorizers.keys()]);
      const nonAuth: PyVal[] = [];
      const auth: PyVal[] = [];
      for (const s of this.existingSecurity(def, path, name)) {
        if (!isDict(s)) throw docError(`${pyStrOf(s)} in Security for path ${path} method ${name} is not a valid dictionary.`);
        if (s.keys().every((k) => !names.has(k))) nonAuth.push(s);
        else auth.push(s);
      }
      const noneIdx = nonAuth.findIndex((s) => (s as PyDict).keys().some((k) => k === 'NONE'));
      let authSec: PyVal[] = [];
      if (noneIdx > -1) nonAuth.splice(noneIdx, 1);
      else if (auth.length) authSec = auth;
      else {
        const d = new PyDict(true);
        d.set(defaultAuthorizer, authorizers.get(defaultAuthorizer)?.scopes ?? []);
        authSec = [d];
      }
      const sec = [...nonAuth, ...authSec];
      if (sec.length) {
        def.setP('security', sec);
        if ((sec[0] as PyDict).has('AWS_IAM')) this.addAwsIamSecurityDefinition();
      }
    }
  }

  setPathDefaultApiKeyRequired(path: string, requiredOnOptions: boolean): void {
    for (const [name, def] of this.allMethodsForPath(path)) {
      const names = new Set(['api_key', 'api_key_false']);
      const non: PyVal[] = [];
      const apikey: PyVal[] = [];
      const existing = this.existingSecurity(def, path, name);
      for (const s of existing) {
        if (!isDict(s)) throw docError(`${pyStrOf(s)} in Security for path ${path} method ${name} is not a valid dictionary.`);
        if (s.keys().every((k) => !names.has(k))) non.push(s);
        else apikey.push(s);
      }
      const falseIdx = apikey.findIndex((s) => (s as PyDict).keys().some((k) => k === 'api_key_false'));
      let sec: PyVal[];
      if (falseIdx > -1) {
        apikey.splice(falseIdx, 1);
        sec = [...non];
      } else sec = [...non, p27([['api_key', []]])];
      if (name === 'options' && !requiredOnOptions) sec = non;
      if (!pyEqual(sec, existing)) def.setP('security', sec);
    }
  }

  addAuthToMethod(path: string, method: PyVal, auth: PyDict, apiAuth: PyDict | undefined): void {
    const authorizer = auth.get('Authorizer');
    const scopes = auth.get('AuthorizationScopes');
    const authorizers = apiAuth?.get('Authorizers');
    if (truthy(authorizer)) this.setMethodAuthorizer(path, method, str(authorizer) ?? '', isDict(authorizers) ? authorizers : undefined, scopes);
    const req = auth.get('ApiKeyRequired');
    if (req !== undefined && req !== null) this.setMethodApiKey(path, method, truthy(req));
  }

  private setMethodAuthorizer(path: string, method: PyVal, name: string, authorizers: PyDict | undefined, scopes: PyVal | undefined): void {
    for (const def of this.methodDefinitionsAt(path, method)) {
      const sd = new PyDict(true);
      sd.set(name, []);
      const sec = [...this.existingSecurity(def, path, str(method) ?? ''), sd];
      if (name !== 'NONE' && authorizers && authorizers.size) {
        const a = authorizers.get(name) ?? new PyDict(true);
        if (!isDict(a)) throw docError(`Type of authorizer '${name}' must be a dictionary`);
        let s = a.get('AuthorizationScopes');
        if (scopes !== undefined && scopes !== null) s = scopes;
        if (authorizers.get(name) !== undefined && authorizers.get(name) !== null && s !== undefined && s !== null) sd.set(name, s);
      }
      def.setP('security', sec);
      if ((sec[0] as PyDict).has('AWS_IAM')) this.addAwsIamSecurityDefinition();
    }
  }

  private setMethodApiKey(path: string, method: PyVal, required: boolean): void {
    for (const def of this.methodDefinitionsAt(path, method)) {
      let sd: PyDict;
      if (required) {
        sd = p27([['api_key', []]]);
        this.addApiKeySecurityDefinition();
      } else sd = p27([['api_key_false', []]]);
      const existing = this.existingSecurity(def, path, str(method) ?? '');
      const sec = [...existing, sd];
      def.setP('security', sec);
    }
  }

  addRequestValidator(path: string, method: PyVal, body: boolean, params: boolean): void {
    const name = body && params ? 'body-and-params' : body ? 'body-only' : params ? 'params-only' : 'no-validation';
    if (!truthy(this.doc.get('x-amazon-apigateway-request-validators'))) this.doc.setP('x-amazon-apigateway-request-validators', new PyDict(true));
    const vs = this.doc.get('x-amazon-apigateway-request-validators') as PyDict;
    if (!truthy(vs.get(name))) vs.setP(name, p27([['validateRequestBody', body], ['validateRequestParameters', params]]));
    for (const def of this.methodDefinitionsAt(path, method)) def.setP('x-amazon-apigateway-request-validator', ps(name));
  }

  addRequestModel(path: string, method: PyVal, model: PyDict): void {
    const raw = model.get('Model');
    const name = typeof raw === 'string' ? raw.toLowerCase() : (str(raw) ?? '').toLowerCase();
    const required = model.get('Required');
    for (const def of this.methodDefinitionsAt(path, method)) {
      if (this.doc.get('swagger') !== undefined && this.doc.get('swagger') !== null) {
        const params = (def.has('parameters') ? def.get('parameters') : []) as PyVal[];
        const p = new PyDict(true);
        p.setP('in', ps('body'));
        p.setP('name', name);
        p.setP('schema', pd([['$ref', ps(`#/definitions/${name}`)]]));
        if (required !== undefined && required !== null) p.setP('required', required);
        params.push(p);
        def.setP('parameters', params);
      } else if (truthy(this.doc.get('openapi')) && OPENAPI3.test(pyStrOf(this.doc.get('openapi')))) {
        const rb = pd([['content', pd([['application/json', pd([['schema', pd([['$ref', ps(`#/components/schemas/${name}`)]])]])]])]]);
        def.setP('requestBody', rb);
        if (required !== undefined && required !== null) rb.setP('required', required);
      }
    }
  }

  addGatewayResponses(responses: [string, PyDict][]): void {
    for (const [type, r] of responses) this.gatewayResponses.set(type, r);
  }

  addModels(models: PyDict): void {
    for (const [name, schema] of models.entries()) {
      if (!truthy((schema as PyDict).get('type'))) throw docError("'Models' schema is missing 'type'.");
      this.definitions.set(name.toLowerCase(), schema);
    }
  }

  addResourcePolicy(rp: PyVal | undefined, path: string, stage: PyVal): void {
    addResourcePolicy(this, rp, path, stage);
  }

  addCustomStatements(statements: PyVal): void {
    addCustomStatements(this, statements);
  }

  addRequestParameters(path: string, method: PyVal, params: { name: string; required: PyVal; caching: PyVal }[]): void {
    for (const def of this.methodDefinitionsAt(path, method)) {
      const existing = (def.has('parameters') ? def.get('parameters') : []) as PyVal[];
      for (const rp of params) {
        const loc = rp.name.replace('method.request.', '');
        const dot = loc.indexOf('.');
        const raw = loc.slice(0, dot);
        const location: PyVal = raw === 'querystring' ? ps('query') : raw;
        const name = loc.slice(dot + 1);
        existing.push(p27([['in', location], ['name', name], ['required', rp.required], ['type', ps('string')]]));
        if (truthy(rp.caching)) {
          const integ = def.get(X_INTEGRATION) as PyDict;
          const cache = (integ.has('cacheKeyParameters') ? integ.get('cacheKeyParameters') : []) as PyVal[];
          cache.push(rp.name);
          integ.setP('cacheKeyParameters', cache);
        }
      }
      def.setP('parameters', existing);
    }
  }
}

/** What the editor needs of an authorizer: its scopes for the default-authorizer security entry. */
export interface AuthorizerInfo {
  scopes: PyVal;
}

function corsMethodsFor(pi: PyDict): string {
  const methods = pi.keys();
  let all: string[];
  if (methods.includes(X_ANY_METHOD)) all = ALL_HTTP_METHODS;
  else all = [...methods, 'options'];
  return [...new Set(all.map((m) => m.toUpperCase()))].sort().join(',');
}

function corsOptions(origins: PyVal, headers: PyVal, methods: PyVal, maxAge: PyVal, cred: boolean): PyDict {
  const h = (k: string): string => `method.response.header.${k}`;
  const params = p27([[h('Access-Control-Allow-Origin'), origins]]);
  const hdrs = p27([['Access-Control-Allow-Origin', pd([['type', ps('string')]])]]);
  if (truthy(headers)) {
    params.setP(h('Access-Control-Allow-Headers'), headers);
    hdrs.setP('Access-Control-Allow-Headers', pd([['type', ps('string')]]));
  }
  if (truthy(methods)) {
    params.setP(h('Access-Control-Allow-Methods'), methods);
    hdrs.setP('Access-Control-Allow-Methods', pd([['type', ps('string')]]));
  }
  if (maxAge !== undefined && maxAge !== null) {
    params.setP(h('Access-Control-Max-Age'), maxAge);
    hdrs.setP('Access-Control-Max-Age', pd([['type', ps('integer')]]));
  }
  if (cred) {
    params.setP(h('Access-Control-Allow-Credentials'), ps("'true'"));
    hdrs.setP('Access-Control-Allow-Credentials', pd([['type', ps('string')]]));
  }
  const integ = p27([
    ['type', ps('mock')],
    ['requestTemplates', pd([['application/json', ps('{\n  "statusCode" : 200\n}\n')]])],
    ['responses', p27([['default', p27([['statusCode', ps('200')], ['responseParameters', params], ['responseTemplates', pd([['application/json', ps('{}\n')]])]])]])],
  ]);
  return p27([
    ['summary', ps('CORS support')],
    ['consumes', [ps('application/json')]],
    ['produces', [ps('application/json')]],
    [X_INTEGRATION, integ],
    ['responses', p27([['200', p27([['description', ps('Default response for CORS method')], ['headers', hdrs]])]])],
  ]);
}

/** Python's str() of a value (strings bare). */
export function pyStrOf(v: PyVal | undefined): string {
  if (typeof v === 'string') return v;
  if (v instanceof PStr) return v.s;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** Python ==: dicts by content regardless of kind, str kinds equal. */
export function pyEqual(a: PyVal | undefined, b: PyVal | undefined): boolean {
  if (isStr(a) && isStr(b)) return str(a) === str(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  if (isDict(a) && isDict(b)) return a.size === b.size && a.keys().every((k) => b.has(k) && pyEqual(a.get(k), b.get(k)));
  return a === b;
}

/** A Step Functions StartExecution integration (add_state_machine_integration). */
export function addStateMachineIntegration(editor: SwaggerEditor, path: string, method: PyVal, uri: PyVal, credentials: PyVal, templates: PyVal | undefined, condition?: PyVal): void {
  const m = str(normalizeMethod(method))!;
  if (editor.hasIntegration(path, method)) throw docError(`Integration already exists on Path=${path}, Method=${m}`);
  editor.addPath(path, method);
  const theUri = condition !== undefined && truthy(condition) ? makeConditional(condition, uri) : uri;
  for (const item of conditionalContents(editor.paths.get(path))) {
    validateIsDict(item, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
    const def = item.get(m) as PyDict;
    const integ = new PyDict(true);
    def.setP(X_INTEGRATION, integ);
    integ.setP('type', ps('aws'));
    integ.setP('httpMethod', ps('POST'));
    integ.setP('uri', theUri);
    integ.setP('responses', p27([['200', p27([['statusCode', ps('200')]])], ['400', p27([['statusCode', ps('400')]])]]));
    integ.setP('credentials', credentials);
    def.setdefault('responses', p27([['200', p27([['description', ps('OK')]])], ['400', p27([['description', ps('Bad Request')]])]]), true);
    if (templates !== undefined && truthy(templates)) integ.update(pd([['requestTemplates', templates]]));
    if (condition !== undefined && truthy(condition)) item.set(m, makeConditional(condition, def), normalizeMethod(method) instanceof PStr);
  }
}
