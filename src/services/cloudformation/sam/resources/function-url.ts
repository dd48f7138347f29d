// FunctionUrlConfig: an AWS::Lambda::Url and, for AuthType NONE, the two public permissions AWS requires.
import { InvalidResourceError } from '../errors.js';
import type { SamResource } from '../resource.js';
import { cfn, isIntrinsic, isObj, ref, type Generated, type Json, type JsonObject } from '../types.js';

const CORS_TYPES: Record<string, [string, (v: Json) => boolean]> = {
  AllowOrigins: ['list', Array.isArray],
  AllowMethods: ['list', Array.isArray],
  AllowCredentials: ['bool', (v) => typeof v === 'boolean'],
  AllowHeaders: ['list', Array.isArray],
  ExposeHeaders: ['list', Array.isArray],
  MaxAge: ['int', (v) => typeof v === 'number' && Number.isInteger(v)],
};

function validate(r: SamResource, c: JsonObject): void {
  if (isIntrinsic(c)) return;
  const auth = c['AuthType'];
  if (!(auth !== undefined && auth !== null && isIntrinsic(auth)) && (auth !== 'AWS_IAM' && auth !== 'NONE')) {
    throw new InvalidResourceError(r.id, 'AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.');
  }
  const cors = c['Cors'];
  if (cors === undefined || cors === null || isIntrinsic(cors) || (isObj(cors) && Object.keys(cors).length === 0)) return;
  if (!isObj(cors)) throw new InvalidResourceError(r.id, "Property 'FunctionUrlConfig.Cors' should be a map.");
  for (const [k, v] of Object.entries(cors)) {
    const t = CORS_TYPES[k];
    if (!t) throw new InvalidResourceError(r.id, `${k} is not a valid property for configuring Cors.`);
    if (!isIntrinsic(v) && !t[1](v as Json)) throw new InvalidResourceError(r.id, `${k} must be of type ${t[0]}.`);
  }
}

export function functionUrl(r: SamResource, aliasId: string | undefined): Generated[] {
  const c = r.get('FunctionUrlConfig') as JsonObject;
  validate(r, c);
  const target = aliasId ? ref(aliasId) : ref(r.id);
  const cors = c['Cors'];
  const url = cfn(
    'AWS::Lambda::Url',
    { Cors: cors !== undefined && cors !== null && !(isObj(cors) && Object.keys(cors).length === 0) ? cors : undefined, AuthType: c['AuthType'] ?? undefined, TargetFunctionArn: target, InvokeMode: c['InvokeMode'] ?? undefined },
    r.passthrough(),
  );
  const out: Generated[] = [{ id: `${r.id}Url`, resource: url }];
  if (c['AuthType'] === 'NONE' && !isIntrinsic(c)) {
    out.push({
      id: `${r.id}UrlPublicPermissions`,
      resource: cfn('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionName: target, Principal: '*', FunctionUrlAuthType: 'NONE' }, r.passthrough()),
    });
    out.push({
      id: `${r.id}URLInvokeAllowPublicAccess`,
      resource: cfn('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: '*', FunctionName: target, InvokedViaFunctionUrl: true }, r.passthrough()),
    });
  }
  return out;
}

