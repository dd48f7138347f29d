// Dynamic references ({{resolve:ssm:…}}, {{resolve:ssm-secure:…}}, {{resolve:secretsmanager:…}}) in resource
// properties, resolved through the SSM and Secrets Manager module APIs just before a provider call.
import type { Json, JsonObject } from '../template/index.js';

/** What the engine needs of the other services: their module APIs' resolve(). */
export interface DynamicSources {
  ssm?: { resolve(region: string, reference: string): Promise<string>; typeOf?(region: string, reference: string): Promise<string> };
  secrets?: { resolve(region: string, reference: string): Promise<string> };
}

/** A reference in a string: `{{resolve:service:rest}}`; several may sit in one string. */
const REFERENCE = /\{\{resolve:(ssm|ssm-secure|secretsmanager):((?:(?!\}\}).)+)\}\}/g;

/**
 * The resource properties where AWS allows ssm-secure (AWS docs, "SSM secure string parameters": supported resources),
 * as type → property path prefix. Anywhere else CloudFormation refuses the reference.
 */
const SECURE_ALLOWED: Record<string, string[]> = {
  'AWS::DirectoryService::MicrosoftAD': ['Password'],
  'AWS::DirectoryService::SimpleAD': ['Password'],
  'AWS::ElastiCache::ReplicationGroup': ['AuthToken'],
  'AWS::IAM::User': ['LoginProfile/Password'],
  'AWS::KinesisFirehose::DeliveryStream': ['RedshiftDestinationConfiguration/Password'],
  'AWS::OpsWorks::App': ['AppSource/Password'],
  'AWS::OpsWorks::Stack': ['CustomCookbooksSource/Password', 'RdsDbInstances/DbPassword'],
  'AWS::RDS::DBCluster': ['MasterUserPassword'],
  'AWS::RDS::DBInstance': ['MasterUserPassword'],
  'AWS::Redshift::Cluster': ['MasterUserPassword'],
};

/** A reference that could not be resolved: the reason the resource fails with, as AWS words it. */
export class DynamicReferenceError extends Error {}

export function hasDynamicReference(v: Json): boolean {
  if (typeof v === 'string') return v.includes('{{resolve:');
  if (Array.isArray(v)) return v.some(hasDynamicReference);
  if (v && typeof v === 'object') return Object.values(v).some(hasDynamicReference);
  return false;
}

/** The literal ssm references of a tree (no intrinsic inside), for the check CloudFormation makes when a stack operation starts. */
export function literalSsmReferences(v: Json, out: string[] = []): string[] {
  if (typeof v === 'string') {
    for (const m of v.matchAll(REFERENCE)) if (m[1] !== 'secretsmanager') out.push(`${m[1]}:${m[2]}`);
  } else if (Array.isArray(v)) {
    for (const x of v) literalSsmReferences(x, out);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) literalSsmReferences(x, out);
  }
  return out;
}

const codeOf = (e: unknown): string => (e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '');
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class DynamicResolver {
  constructor(private readonly sources: DynamicSources) {}

  /** One reference's value; DynamicReferenceError with AWS's wording when the parameter, secret or key is missing. */
  async one(region: string, service: string, inner: string): Promise<string> {
    if (service === 'secretsmanager') {
      if (!this.sources.secrets) throw new DynamicReferenceError('Secrets Manager dynamic references are not available on this server.');
      try {
        return await this.sources.secrets.resolve(region, inner);
      } catch (e) {
        const code = codeOf(e);
        if (!code) throw e;
        // AWS passes Secrets Manager's own error through, in the Java SDK's form.
        throw new DynamicReferenceError(`${messageOf(e)} (Service: AWSSecretsManager; Status Code: 400; Error Code: ${code})`);
      }
    }
    if (!this.sources.ssm) throw new DynamicReferenceError('SSM dynamic references are not available on this server.');
    try {
      // A plain ssm reference never yields a SecureString's plaintext (that is what ssm-secure, with its placement rule, is for).
      if (service === 'ssm' && (await this.sources.ssm.typeOf?.(region, inner)) === 'SecureString')
        throw new DynamicReferenceError(`Non-secure ssm prefix was used for secure parameter: '${inner}'`);
      return await this.sources.ssm.resolve(region, inner);
    } catch (e) {
      const code = codeOf(e);
      if (code === 'ParameterNotFound' || code === 'ParameterVersionNotFound') throw new DynamicReferenceError(`Parameters: [${service}:${inner}] cannot be found.`);
      throw e;
    }
  }

  /**
   * What a stack operation reads before it starts: the values of the SSM parameter types (name → value), and a check
   * that the literal ssm references in the resources name parameters that exist (CloudFormation refuses the operation
   * otherwise; references built with ${} are only known when the resource is created).
   */
  async atStart(region: string, decls: Iterable<{ name: string; type: { ssm: boolean }; default?: string }>, processed: JsonObject, given: Record<string, string>): Promise<Record<string, string>> {
    const values = await ssmParameterValues(this.sources, region, decls, given);
    for (const ref of new Set(literalSsmReferences(processed['Resources'] ?? null))) {
      const i = ref.indexOf(':');
      if (!ref.slice(i + 1).includes('${')) await this.one(region, ref.slice(0, i), ref.slice(i + 1));
    }
    return values;
  }

  /**
   * The properties with every reference replaced by its value, and the secret values met (ssm-secure and Secrets
   * Manager) so that callers can keep them out of events and logs.
   */
  async properties(type: string, region: string, props: JsonObject): Promise<{ properties: JsonObject; secrets: string[] }> {
    const secrets: string[] = [];
    const walk = async (v: Json, path: string): Promise<Json> => {
      if (typeof v === 'string') {
        if (!v.includes('{{resolve:')) return v;
        let out = '';
        let last = 0;
        for (const m of v.matchAll(REFERENCE)) {
          const service = m[1]!;
          if (service === 'ssm-secure' && !(SECURE_ALLOWED[type] ?? []).some((p) => path === p || path.startsWith(`${p}/`)))
            throw new DynamicReferenceError(`SSM Secure reference is not supported in: [${type}/Properties/${path}]`);
          const value = await this.one(region, service, m[2]!);
          if (service !== 'ssm') secrets.push(value);
          out += v.slice(last, m.index) + value;
          last = m.index! + m[0].length;
        }
        return out + v.slice(last);
      }
      if (Array.isArray(v)) {
        const a: Json[] = [];
        for (let i = 0; i < v.length; i++) a.push(await walk(v[i]!, `${path}/${i}`));
        return a;
      }
      if (v && typeof v === 'object') {
        const o: JsonObject = {};
        for (const [k, x] of Object.entries(v)) o[k] = await walk(x, path ? `${path}/${k}` : k);
        return o;
      }
      return v;
    };
    return { properties: (await walk(props, '')) as JsonObject, secrets };
  }
}

/** A text with the given secret values masked, for events and logs. */
export function masked(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join('****');
  return out;
}

/**
 * The values of the template's SSM parameter types (`AWS::SSM::Parameter::Value<…>`): SSM parameter name → its value,
 * fetched when a stack operation starts. Absent names are left out; the template layer reports them as AWS does.
 */
export async function ssmParameterValues(
  sources: DynamicSources,
  region: string,
  decls: Iterable<{ name: string; type: { ssm: boolean }; default?: string }>,
  given: Record<string, string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of decls) {
    const name = given[d.name] ?? d.default;
    if (!d.type.ssm || name === undefined || !sources.ssm || name in out) continue;
    try {
      if ((await sources.ssm.typeOf?.(region, name)) === 'SecureString') throw new DynamicReferenceError(`Parameters [${name}] referenced by template have types not supported by CloudFormation.`);
      out[name] = await sources.ssm.resolve(region, name);
    } catch (e) {
      if (!/^Parameter(Version)?NotFound$/.test(codeOf(e))) throw e;
    }
  }
  return out;
}
