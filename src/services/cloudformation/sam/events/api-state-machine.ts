// State machine `Api` events: a role API Gateway assumes to start executions, and the StartExecution integration.
import { InvalidEventError } from '../errors.js';
import { fromJson, pd, ps, PyDict } from '../openapi/py27.js';
import { apiBody, guarded, setApiBody } from '../openapi/state.js';
import { addStateMachineIntegration, SwaggerEditor } from '../openapi/swagger.js';
import type { TransformContext } from '../context.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { StateMachineTarget } from '../resources/state-machine.js';
import { isObj, type Generated } from '../types.js';
import { validateProps, type Spec } from '../validate.js';
import { addAuthToSwagger, linkRestApi } from './api.js';
import { eventRole } from './state-machine.js';

const SPEC: Spec = {
  Path: { check: 'string', required: true }, Method: { check: 'string', required: true }, RestApiId: { check: 'string', required: true }, Stage: 'string',
  Auth: 'map', UnescapeMappingTemplate: { check: 'bool', intrinsics: false },
};

export const smApiEvent: EventTranslator<StateMachineTarget> = {
  type: 'Api',
  translate(ev, t, ctx) {
    return guarded((m) => new InvalidEventError(ev.relativeId, m), () => translateEvent(ev, t, ctx));
  },
};

function translateEvent(ev: SamEvent, t: StateMachineTarget, ctx: TransformContext): Generated[] {
  const link = linkRestApi(ctx, ev.relativeId, ev.props['RestApiId']);
  validateProps(ev.logicalId, ev.type, ev.props, SPEC);
  const method = (ev.props['Method'] as string).toLowerCase();
  const path = ev.props['Path'] as string;
  const role = eventRole(ev, t, 'apigateway.amazonaws.com');
  const out: Generated[] = [role];
  const api = link.api;
  if (!api || !api['__MANAGE_SWAGGER']) return out;
  const apiId = link.apiId as string;
  const body = apiBody(ctx, apiId, api);
  if (!body) return out;
  const uri = pd([['Fn::Sub', ps('arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution')]]);
  const editor = new SwaggerEditor(body);
  if (editor.hasIntegration(path, method)) throw new InvalidEventError(ev.relativeId, `API method "${method}" defined multiple times for path "${path}".`);
  const cond = t.sam.attrs['Condition'];
  const arnRef = `\${${t.targetId}}`;
  const template = ev.props['UnescapeMappingTemplate']
    ? `{"input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\\\'","'")", "stateMachineArn": "${arnRef}"}`
    : JSON.stringify({ input: "$util.escapeJavaScript($input.json('$'))", stateMachineArn: arnRef }).replace(/","/g, '", "').replace(/":"/g, '": "');
  const templates = pd([['application/json', pd([['Fn::Sub', ps(template)]])]]);
  const creds = pd([['Fn::GetAtt', [ps(role.id), ps('Arn')]]]);
  addStateMachineIntegration(editor, path, method, uri, creds, templates, cond === undefined ? undefined : fromJson(cond));
  const auth = ev.props['Auth'];
  if (isObj(auth) && Object.keys(auth).length) addAuthToSwagger(ctx, fromJson(auth) as PyDict, api, apiId, ev.relativeId, method, path, fromJson(ev.props['Stage']), editor);
  setApiBody(ctx, apiId, editor.swagger);
  return out;
}
