// AWS::Serverless::GraphQLApi → AppSync: the API, schema, auth (with Lambda authorizer permissions), logging role,
// API keys, cache, domain, data sources with their roles and policies, functions and pipeline resolvers.
import type { TransformContext } from '../../context.js';
import { InvalidResourceError } from '../../errors.js';
import { assumeRolePolicy } from '../../iam.js';
import type { ResourceTranslator } from '../../registry.js';
import type { SamResource } from '../../resource.js';
import { cfn, getAtt, isObj, ref, sub, tagList, truthy, type Generated, type Json, type JsonObject } from '../../types.js';
import { oneOf, validateProps, type Spec } from '../../validate.js';
import { explicitConnector } from './connector.js';
import { PROPERTIES, validate } from './model.js';

/** samtranslator's property_types (checked before the schema model): no intrinsics where a type is given. */
const SPEC: Spec = {
  Name: 'any', Tags: { check: 'map', intrinsics: false }, XrayEnabled: 'any', Auth: { check: 'map', required: true, intrinsics: false },
  SchemaInline: { check: 'string', intrinsics: false }, SchemaUri: { check: 'string', intrinsics: false },
  Logging: { check: oneOf('map', 'bool'), intrinsics: false }, DataSources: { check: 'map', intrinsics: false },
  Functions: { check: 'map', intrinsics: false }, Resolvers: { check: 'map', intrinsics: false }, ApiKeys: { check: 'map', intrinsics: false },
  DomainName: { check: 'map', intrinsics: false }, Cache: { check: 'map', intrinsics: false }, Visibility: 'any', OwnerContact: 'any',
  IntrospectionConfig: 'any', QueryDepthLimit: 'any', ResolverCountLimit: 'any',
};

/** The resolver code AppSync's console offers by default: passes the pipeline's last result through. */
const DEFAULT_RESOLVER_CODE = '\nexport function request(ctx) {\n    return {};\n}\n\nexport function response(ctx) {\n    return ctx.prev.result;\n}\n';
const DEFAULT_RESOLVER_RUNTIME: JsonObject = { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' };
const AUTH_CONFIG: Record<string, [string, string]> = {
  AWS_LAMBDA: ['LambdaAuthorizer', 'LambdaAuthorizerConfig'],
  OPENID_CONNECT: ['OpenIDConnect', 'OpenIDConnectConfig'],
  AMAZON_COGNITO_USER_POOLS: ['UserPool', 'UserPoolConfig'],
};

const o = (v: Json | undefined): JsonObject => (isObj(v) ? v : {});
/** The reference's Resource constructor refuses a non-alphanumeric logical id (a data source key like `a-b`). */
function checkedId(id: string): string {
  if (!/^[A-Za-z0-9]+$/.test(id)) throw new InvalidResourceError(id, 'Logical ids must be alphanumeric.');
  return id;
}
/** get_tag_list: a null value becomes an empty string. */
export const samTagList = (tags: JsonObject): JsonObject[] => tagList(tags).map((t) => (t['Value'] === null ? { ...t, Value: '' } : t));

class GraphQLApiBuilder {
  private readonly apiId: Json;
  private readonly out: Generated[] = [];
  private readonly dataSourceNames = new Map<string, Json>();
  private readonly functionIds = new Map<string, Json>();
  private noneDataSource: Generated | undefined;
  private readonly attrs: Record<string, Json | undefined>;

  constructor(
    private readonly r: SamResource,
    private readonly m: JsonObject,
  ) {
    this.apiId = getAtt(r.id, 'ApiId');
    this.attrs = { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs };
  }

  /** A generated resource with the SAM resource's DependsOn and attributes, as every AppSync resource gets them. */
  private res(id: string, type: string, props: Record<string, Json | undefined>, attrs = this.attrs): Generated {
    return { id: checkedId(id), resource: cfn(type, props, attrs) };
  }

  build(): Generated[] {
    const id = this.r.id;
    const m = this.m;
    const { api, authArns, logRole } = this.api();
    this.out.push(api, this.schema());
    authArns.forEach((arn, i) => {
      this.out.push(...explicitConnector(`${id}ToLambdaAuthConnector${i + 1}`, { type: 'AWS::AppSync::GraphQLApi', arn: ref(id), resourceId: getAtt(id, 'ApiId') }, { type: 'AWS::Lambda::Function', arn }, ['Write']));
    });
    if (logRole) this.out.push(logRole);
    if (truthy(m['ApiKeys'])) {
      for (const [rel, k] of Object.entries(o(m['ApiKeys']))) {
        const key = o(k);
        this.out.push(this.res(`${id}${rel}`, 'AWS::AppSync::ApiKey', { ApiId: this.apiId, ApiKeyId: key['ApiKeyId'], Description: key['Description'], Expires: key['ExpiresOn'] }));
      }
    }
    if (isObj(m['Cache'])) {
      const c = m['Cache'];
      this.out.push(this.res(`${id}ApiCache`, 'AWS::AppSync::ApiCache', {
        ApiId: this.apiId, ApiCachingBehavior: c['ApiCachingBehavior'], Type: c['Type'], Ttl: c['Ttl'],
        AtRestEncryptionEnabled: c['AtRestEncryptionEnabled'], TransitEncryptionEnabled: c['TransitEncryptionEnabled'],
      }));
    }
    if (isObj(m['DataSources'])) this.dataSources(m['DataSources']);
    if (isObj(m['DomainName'])) {
      const d = m['DomainName'];
      const domainId = `${id}DomainName`;
      this.out.push(this.res(domainId, 'AWS::AppSync::DomainName', { CertificateArn: d['CertificateArn'], DomainName: d['DomainName'], Description: d['Description'] }));
      this.out.push(this.res(`${id}DomainNameApiAssociation`, 'AWS::AppSync::DomainNameApiAssociation', { ApiId: this.apiId, DomainName: ref(domainId) }));
    }
    if (truthy(m['Functions'])) this.functions(o(m['Functions']));
    if (truthy(m['Resolvers'])) this.resolvers(o(m['Resolvers']));
    if (this.noneDataSource) this.out.push(this.noneDataSource);
    return this.out;
  }

  private api(): { api: Generated; authArns: Json[]; logRole: Generated | undefined } {
    const m = this.m;
    const p: Record<string, Json | undefined> = { Name: truthy(m['Name']) ? m['Name'] : this.r.id };
    for (const k of ['Visibility', 'OwnerContact']) if (truthy(m[k])) p[k] = m[k];
    p['XrayEnabled'] = m['XrayEnabled'];
    for (const k of ['IntrospectionConfig', 'QueryDepthLimit', 'ResolverCountLimit']) if (truthy(m[k])) p[k] = m[k];
    const authArns = this.auth(p, o(m['Auth']));
    const tags = { ...(truthy(m['Tags']) ? o(m['Tags']) : {}), 'graphqlapi:createdBy': 'SAM' };
    p['Tags'] = samTagList(tags);
    let logRole: Generated | undefined;
    const logging = m['Logging'];
    if (logging !== false) {
      const log: JsonObject = {};
      if (isObj(logging)) {
        if (truthy(logging['ExcludeVerboseContent'])) log['ExcludeVerboseContent'] = logging['ExcludeVerboseContent']!;
        log['FieldLogLevel'] = truthy(logging['FieldLogLevel']) ? logging['FieldLogLevel']! : 'ALL';
        if (truthy(logging['CloudWatchLogsRoleArn'])) log['CloudWatchLogsRoleArn'] = logging['CloudWatchLogsRoleArn']!;
      } else log['FieldLogLevel'] = 'ALL';
      if (!('CloudWatchLogsRoleArn' in log)) {
        logRole = this.res(`${this.r.id}CloudWatchRole`, 'AWS::IAM::Role', {
          AssumeRolePolicyDocument: assumeRolePolicy('appsync.amazonaws.com'),
          ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs')],
        });
        log['CloudWatchLogsRoleArn'] = getAtt(logRole.id, 'Arn');
      }
      p['LogConfig'] = log;
    }
    return { api: this.res(this.r.id, 'AWS::AppSync::GraphQLApi', p), authArns, logRole };
  }

  /** Default and additional authentication; returns the Lambda authorizer ARNs (each gets an invoke permission). */
  private auth(p: Record<string, Json | undefined>, auth: JsonObject): Json[] {
    const arns: Json[] = [];
    const primary: JsonObject = { ...auth };
    delete primary['Additional'];
    const [name, config] = this.authConfig(primary);
    p['AuthenticationType'] = auth['Type'];
    if (name && truthy(config)) {
      p[name] = config!;
      if (name === 'LambdaAuthorizerConfig') arns.push(config!['AuthorizerUri'] ?? null);
    }
    const additional: JsonObject[] = [];
    const list = Array.isArray(auth['Additional']) ? auth['Additional'] : [];
    list.forEach((a, index) => {
      const [n, c] = this.authConfig(o(a), index);
      const entry: JsonObject = { AuthenticationType: o(a)['Type']! };
      if (n && truthy(c)) {
        entry[n] = c!;
        if (n === 'LambdaAuthorizerConfig') arns.push(c!['AuthorizerUri'] ?? null);
      }
      additional.push(entry);
    });
    if (additional.length > 0) p['AdditionalAuthenticationProviders'] = additional;
    return arns;
  }

  private authConfig(a: JsonObject, index?: number): [string | undefined, JsonObject | undefined] {
    // The reference words index 0 of Additional like the primary ("'Auth'"), its `not index` being true for 0.
    if (Object.keys(a).length > 2) throw new InvalidResourceError(this.r.id, `${index ? `'Auth.Additional.${index}'` : "'Auth'"} has more than one authentication configuration defined.`);
    const t = a['Type'];
    const c = typeof t === 'string' ? AUTH_CONFIG[t] : undefined;
    if (!c) return [undefined, undefined];
    const [prop, name] = c;
    if (a[prop] === undefined) throw new InvalidResourceError(this.r.id, `'${prop}' must be defined if type is '${String(t)}'.`);
    const config = { ...o(a[prop]) };
    // DefaultAction belongs to the primary user pool only.
    if (prop === 'UserPool' && index !== undefined) delete config['DefaultAction'];
    return [name, config];
  }

  private schema(): Generated {
    const m = this.m;
    const inline = m['SchemaInline'];
    const uri = m['SchemaUri'];
    if (!truthy(inline) && !truthy(uri)) throw new InvalidResourceError(this.r.id, "One of 'SchemaInline' or 'SchemaUri' must be set.");
    if (truthy(inline) && truthy(uri)) throw new InvalidResourceError(this.r.id, "Both 'SchemaInline' and 'SchemaUri' cannot be defined at the same time.");
    return this.res(`${this.r.id}Schema`, 'AWS::AppSync::GraphQLSchema', { ApiId: this.apiId, Definition: inline, DefinitionS3Location: uri });
  }

  private serviceRole(dsId: string): Generated {
    return this.res(`${dsId}Role`, 'AWS::IAM::Role', { AssumeRolePolicyDocument: assumeRolePolicy('appsync.amazonaws.com') });
  }

  private dataSources(ds: JsonObject): void {
    const id = this.r.id;
    for (const [rel, v] of Object.entries(o(ds['DynamoDb']))) {
      const d = o(v);
      const dsId = checkedId(`${id}${rel}DynamoDBDataSource`);
      const region = truthy(d['Region']) ? d['Region']! : ref('AWS::Region');
      const config: JsonObject = { AwsRegion: region, TableName: d['TableName'] ?? null };
      for (const k of ['UseCallerCredentials', 'Versioned']) if (truthy(d[k])) config[k] = d[k]!;
      if (isObj(d['DeltaSync'])) config['DeltaSyncConfig'] = d['DeltaSync'];
      const extra: Generated[] = [];
      let roleArn: Json;
      if (truthy(d['ServiceRoleArn'])) roleArn = d['ServiceRoleArn']!;
      else {
        const role = this.serviceRole(dsId);
        roleArn = getAtt(role.id, 'Arn');
        const tableArn = truthy(d['TableArn'])
          ? d['TableArn']!
          : sub('arn:${AWS::Partition}:dynamodb:${__Region__}:${AWS::AccountId}:table/${__TableName__}', { __TableName__: d['TableName'] ?? null, __Region__: region });
        const perms = Array.isArray(d['Permissions']) && d['Permissions'].length > 0 ? (d['Permissions'] as string[]) : ['Read', 'Write'];
        extra.push(role, ...explicitConnector(`${dsId}ToTableConnector`, { type: 'AWS::AppSync::DataSource', arn: getAtt(dsId, 'DataSourceArn'), roleName: ref(role.id) }, { type: 'AWS::DynamoDB::Table', arn: tableArn }, perms));
      }
      this.out.push(this.res(dsId, 'AWS::AppSync::DataSource', {
        Name: truthy(d['Name']) ? d['Name'] : rel, Type: 'AMAZON_DYNAMODB', ApiId: this.apiId, Description: d['Description'], DynamoDBConfig: config, ServiceRoleArn: roleArn,
      }), ...extra);
      this.dataSourceNames.set(rel, getAtt(dsId, 'Name'));
    }
    for (const [rel, v] of Object.entries(o(ds['Lambda']))) {
      const d = o(v);
      const dsId = checkedId(`${id}${rel}LambdaDataSource`);
      const extra: Generated[] = [];
      let roleArn: Json;
      if (truthy(d['ServiceRoleArn'])) roleArn = d['ServiceRoleArn']!;
      else {
        const role = this.serviceRole(dsId);
        roleArn = getAtt(role.id, 'Arn');
        extra.push(role, ...explicitConnector(`${dsId}ToLambdaConnector`, { type: 'AWS::AppSync::DataSource', arn: getAtt(dsId, 'DataSourceArn'), roleName: ref(role.id) }, { type: 'AWS::Lambda::Function', arn: d['FunctionArn'] ?? null }, ['Write']));
      }
      this.out.push(this.res(dsId, 'AWS::AppSync::DataSource', {
        Name: truthy(d['Name']) ? d['Name'] : rel, Type: 'AWS_LAMBDA', ApiId: this.apiId, Description: d['Description'],
        LambdaConfig: { LambdaFunctionArn: d['FunctionArn'] ?? null }, ServiceRoleArn: roleArn,
      }), ...extra);
      this.dataSourceNames.set(rel, getAtt(dsId, 'Name'));
    }
  }

  private runtime(v: JsonObject, rel: string): JsonObject {
    if (!isObj(v['Runtime'])) throw new InvalidResourceError(rel, `'Runtime' must be defined as a property in ${rel}.`);
    return { Name: v['Runtime']['Name'] ?? null, RuntimeVersion: v['Runtime']['Version'] ?? null };
  }

  private dataSourceName(rel: string, ds: Json | undefined): Json {
    if (!truthy(ds)) throw new InvalidResourceError(rel, "'DataSource' must be set.");
    if (typeof ds !== 'string') return ds!;
    if (ds.toLowerCase() === 'none') {
      this.noneDataSource ??= this.res(`${this.r.id}NoneDataSource`, 'AWS::AppSync::DataSource', { ApiId: this.apiId, Name: `${this.r.id}NoneDataSource`, Type: 'NONE' });
      return getAtt(this.noneDataSource.id, 'Name');
    }
    const known = this.dataSourceNames.get(ds);
    if (known !== undefined) return known;
    throw new InvalidResourceError(
      rel,
      `Either define DataSource '${ds}' in 'DataSources' or use intrinsic function like GetAtt, ImportValue, Sub or another one to reference a DataSource defined outside of this GraphQLApi resource.`,
    );
  }

  private functions(fns: JsonObject): void {
    for (const [rel, v] of Object.entries(fns)) {
      const f = o(v);
      // `Id` names a function defined elsewhere and excludes every other property.
      if (truthy(f['Id'])) {
        if (Object.keys(f).length !== 1) throw new InvalidResourceError(rel, "'Id' cannot be defined with other properties in Function.");
        this.functionIds.set(rel, f['Id']!);
        continue;
      }
      const fid = `${this.r.id}${rel}`;
      const p: Record<string, Json | undefined> = { ApiId: this.apiId, Name: truthy(f['Name']) ? f['Name'] : rel };
      if (truthy(f['InlineCode']) && truthy(f['CodeUri'])) throw new InvalidResourceError(rel, "Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.");
      if (truthy(f['InlineCode'])) p['Code'] = f['InlineCode'];
      else if (truthy(f['CodeUri'])) p['CodeS3Location'] = f['CodeUri'];
      else throw new InvalidResourceError(rel, "One of 'InlineCode' or 'CodeUri' must be set.");
      p['DataSourceName'] = this.dataSourceName(rel, f['DataSource']);
      p['MaxBatchSize'] = f['MaxBatchSize'];
      p['Description'] = f['Description'];
      p['Runtime'] = this.runtime(f, rel);
      if (isObj(f['Sync'])) p['SyncConfig'] = f['Sync'];
      this.functionIds.set(rel, getAtt(fid, 'FunctionId'));
      this.out.push(this.res(fid, 'AWS::AppSync::FunctionConfiguration', p));
    }
  }

  private resolvers(byType: JsonObject): void {
    const schemaAttrs = { ...this.attrs, DependsOn: [`${this.r.id}Schema`] };
    for (const [typeName, rs] of Object.entries(byType)) {
      for (const [rel, v] of Object.entries(o(rs))) {
        const rv = o(v);
        if (truthy(rv['CodeUri']) && truthy(rv['InlineCode'])) throw new InvalidResourceError(rel, "Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.");
        const p: Record<string, Json | undefined> = {};
        if (!truthy(rv['InlineCode']) && !truthy(rv['CodeUri'])) {
          p['Code'] = DEFAULT_RESOLVER_CODE;
          p['Runtime'] = { ...DEFAULT_RESOLVER_RUNTIME };
        } else {
          p['Code'] = rv['InlineCode'];
          p['CodeS3Location'] = rv['CodeUri'];
          p['Runtime'] = this.runtime(rv, rel);
        }
        p['ApiId'] = this.apiId;
        p['FieldName'] = truthy(rv['FieldName']) ? rv['FieldName'] : rel;
        p['TypeName'] = typeName;
        const pipeline = rv['Pipeline'];
        if (!Array.isArray(pipeline) || pipeline.length === 0) {
          throw new InvalidResourceError(rel, `Resolver '${rel}' must have Pipeline defined. Unit resolvers are not supported. If you need a Unit resolver you can use AppSync resource.`);
        }
        p['Kind'] = 'PIPELINE';
        p['PipelineConfig'] = {
          Functions: pipeline.map((fn) => {
            const fid = this.functionIds.get(String(fn));
            if (fid === undefined) throw new InvalidResourceError(rel, `Function '${String(fn)}' does not exist.`);
            return fid;
          }),
        };
        if (isObj(rv['Caching'])) p['CachingConfig'] = rv['Caching'];
        if (truthy(rv['MaxBatchSize'])) p['MaxBatchSize'] = rv['MaxBatchSize'];
        this.out.push(this.res(`${this.r.id}${typeName}${rel}`, 'AWS::AppSync::Resolver', p, schemaAttrs));
      }
    }
  }
}

export const graphqlApiTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::GraphQLApi',
  phase: 'other',
  translate(r: SamResource, _ctx: TransformContext): Generated[] {
    // Unknown top-level properties are dropped, not refused: the reference only reads the ones it declares.
    const known: JsonObject = {};
    for (const k of Object.keys(SPEC)) if (r.props[k] !== undefined && r.props[k] !== null) known[k] = r.props[k]!;
    validateProps(r.id, r.type, known, SPEC);
    const checked = validate(PROPERTIES, known);
    if (!checked.ok) throw new InvalidResourceError(r.id, `Property '${checked.loc.join('.')}' is invalid.`);
    return new GraphQLApiBuilder(r, checked.value as JsonObject).build();
  },
};

