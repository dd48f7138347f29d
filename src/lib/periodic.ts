// A task run on the injected clock a while after start and then at a fixed period, one run at a time.
import type { Clock } from './clock.js';

/** Runs `task` after `firstMs`, then `periodMs` after each run ends; failures go to `onError`. Returns the stop. */
export function every(clock: Clock, firstMs: number, periodMs: number, task: () => Promise<unknown>, onError: (e: unknown) => void): () => void {
  let cancel = (): void => undefined;
  let stopped = false;
  const run = (): void => {
    if (stopped) return;
    task()
      .catch(onError)
      .finally(() => {
        if (!stopped) cancel = clock.setTimer(periodMs, run);
      });
  };
  cancel = clock.setTimer(firstMs, run);
  return () => {
    stopped = true;
    cancel();
  };
}
