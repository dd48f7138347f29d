// The registry every transform uses unless given another: each SAM resource type, event type and plugin, in one list.
import { globalsPlugin, policyTemplatesPlugin } from './plugins.js';
import { Registry } from './registry.js';
import { functionTranslator } from './resources/function.js';
import { alexaSkill, cloudWatchEventSource, cloudWatchLogs, cognito, eventBridgeRule, iotRule, s3, schedule, sns } from './events/push.js';
import { pullEvents } from './events/pull.js';
import { scheduleV2 } from './events/scheduler.js';
import { smCloudWatchEventSource, smEventBridgeRule, smSchedule } from './events/state-machine.js';
import { connectorTranslator, embeddedConnectorsPlugin } from './resources/connector.js';
import { layerTranslator } from './resources/layer.js';
import { simpleTableTranslator } from './resources/simple-table.js';
import { applicationPlugin, applicationTranslator, type ApplicationResolver } from './resources/application.js';
import { capacityProviderTranslator } from './resources/capacity-provider.js';
import { webSocketApiTranslator } from './resources/websocket-api.js';
import { stateMachineTranslator, type StateMachineTarget } from './resources/state-machine.js';
import type { FunctionTarget } from './resources/function.js';
import { apiTranslator } from './resources/api.js';
import { apiEvent } from './events/api.js';
import { defaultDefinitionBodyPlugin, implicitHttpApiPlugin, implicitRestApiPlugin, openApiVersionPlugin } from './openapi/implicit-api.js';
import { httpApiTranslator } from './resources/http-api.js';
import { httpApiEvent } from './events/http-api.js';
import { smApiEvent } from './events/api-state-machine.js';
import { graphqlApiTranslator } from './resources/graphql/api.js';

/** Resource types, event types and plugins; a new one is one line here (see docs/sam-transform.md). */
export function buildRegistry(o: { resolveApplication?: ApplicationResolver } = {}): Registry {
  const r = new Registry();
  r.plugin(applicationPlugin(o.resolveApplication)).plugin(globalsPlugin).plugin(policyTemplatesPlugin).plugin(embeddedConnectorsPlugin);
  r.resource(functionTranslator);
  for (const e of [schedule, cloudWatchEventSource, eventBridgeRule, s3, sns, alexaSkill, iotRule, cognito, cloudWatchLogs, ...pullEvents]) r.functionEvent(e);
  r.functionEvent(scheduleV2<FunctionTarget>('function'));
  r.resource(stateMachineTranslator);
  r.resource(connectorTranslator).resource(layerTranslator).resource(simpleTableTranslator).resource(applicationTranslator).resource(capacityProviderTranslator).resource(webSocketApiTranslator);
  for (const e of [smSchedule, smCloudWatchEventSource, smEventBridgeRule, scheduleV2<StateMachineTarget>('stateMachine')]) r.stateMachineEvent(e);
  // REST APIs (samapi): the implicit API and default-body plugins, the Api resource and the function Api event.
  r.plugin(defaultDefinitionBodyPlugin).plugin(implicitRestApiPlugin).plugin(openApiVersionPlugin).resource(apiTranslator).functionEvent(apiEvent);
  // HTTP APIs (samapi): the implicit HTTP API plugin, the HttpApi resource and the function HttpApi event.
  r.stateMachineEvent(smApiEvent);
  r.plugin(implicitHttpApiPlugin).resource(httpApiTranslator).functionEvent(httpApiEvent);
  r.resource(graphqlApiTranslator);
  return r;
}

let cached: Registry | undefined;
export function defaultRegistry(): Registry {
  return (cached ??= buildRegistry());
}
