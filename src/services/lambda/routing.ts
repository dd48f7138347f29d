// Alias routing: which version an invocation through an alias runs (weighted between two published versions).
import type { StoredAlias } from './model.js';

/**
 * Picks the version for one invocation: the additional version with its weight's probability, else the primary.
 * `random` is in [0, 1) (injected so that tests can check the split exactly).
 */
export function pickVersion(alias: Pick<StoredAlias, 'FunctionVersion' | 'RoutingConfig'>, random: number): string {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights;
  if (weights) {
    let acc = 0;
    for (const [version, weight] of Object.entries(weights)) {
      acc += weight;
      if (random < acc) return version;
    }
  }
  return alias.FunctionVersion;
}
