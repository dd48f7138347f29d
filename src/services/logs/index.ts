// The CloudWatch Logs service: the log store (function output and platform lines) and its Logs_20140328 API.
import type { LogSink } from '../../engine/types.js';
import type { ServiceModule } from '../../server/service.js';
import { logsRoutes } from './api.js';
import { LogStore } from './store.js';
import { startLogRetention } from './retention.js';

export type { LogEvent, LogSink } from '../../engine/types.js';

/** The Logs module API: where the engine (and later services) append log lines. */
export type LogsApi = LogSink;

export const logsService: ServiceModule<Record<string, never>, LogsApi> = {
  name: 'logs',
  async create(ctx) {
    const logs = new LogStore(ctx.store, ctx.clock, ctx.journal);
    await logs.init();
    let stopRetention = (): void => undefined;
    return {
      routes: logsRoutes(ctx.store, logs, ctx.clock, ctx.config.accountId),
      api: logs,
      start: async () => {
        stopRetention = startLogRetention(ctx.store, ctx.journal, ctx.clock, ctx.log);
      },
      // Writes the lines still buffered.
      stop: () => {
        stopRetention();
        return logs.close();
      },
    };
  },
};
