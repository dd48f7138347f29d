// The registry every transform uses unless given another: each SAM resource type, event type and plugin, in one list.
import { globalsPlugin, policyTemplatesPlugin } from './plugins.js';
import { Registry } from './registry.js';
import { functionTranslator } from './resources/function.js';
import { alexaSkill, cloudWatchEventSource, cloudWatchLogs, cognito, eventBridgeRule, iotRule, s3, schedule, sns } from './events/push.js';
import { pullEvents } from './events/pull.js';
import { scheduleV2 } from './events/scheduler.js';
import { smCloudWatchEventSource, smEventBridgeRule, smSchedule } from './events/state-machine.js';
import { stateMachineTranslator, type StateMachineTarget } from './resources/state-machine.js';
import type { FunctionTarget } from './resources/function.js';
import { websocketApiTranslator } from './resources/websocket.js';
import { graphqlApiTranslator } from './resources/graphql/api.js';
import { capacityProviderTranslator } from './resources/capacity-provider.js';

/** Resource types, event types and plugins; a new one is one line here (see SAM-STATUS.md). */
export function buildRegistry(): Registry {
  const r = new Registry();
  r.plugin(globalsPlugin).plugin(policyTemplatesPlugin);
  r.resource(functionTranslator);
  for (const e of [schedule, cloudWatchEventSource, eventBridgeRule, s3, sns, alexaSkill, iotRule, cognito, cloudWatchLogs, ...pullEvents]) r.functionEvent(e);
  r.functionEvent(scheduleV2<FunctionTarget>('function'));
  r.resource(stateMachineTranslator);
  for (const e of [smSchedule, smCloudWatchEventSource, smEventBridgeRule, scheduleV2<StateMachineTarget>('stateMachine')]) r.stateMachineEvent(e);
  r.resource(websocketApiTranslator);
  r.resource(graphqlApiTranslator);
  r.resource(capacityProviderTranslator);
  return r;
}

let cached: Registry | undefined;
export function defaultRegistry(): Registry {
  return (cached ??= buildRegistry());
}
