// The registry every transform uses unless given another: each SAM resource type, event type and plugin, in one list.
import { globalsPlugin, policyTemplatesPlugin } from './plugins.js';
import { Registry } from './registry.js';
import { functionTranslator } from './resources/function.js';

/** Resource types, event types and plugins; a new one is one line here (see SAM-STATUS.md). */
export function buildRegistry(): Registry {
  const r = new Registry();
  r.plugin(globalsPlugin).plugin(policyTemplatesPlugin);
  r.resource(functionTranslator);
  return r;
}

let cached: Registry | undefined;
export function defaultRegistry(): Registry {
  return (cached ??= buildRegistry());
}
