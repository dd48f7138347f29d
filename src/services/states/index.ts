// The Step Functions service: the model (machines, executions, tokens, activities) and its API routes; at start
// this node takes over the Standard executions no node runs (all of them on the embedded store), and in a cluster
// keeps sweeping for executions of nodes that died.
import { startExecutionRetention } from './retention.js';
import type { ServiceModule } from '../../server/service.js';
import type { EventsApi, EventsPutEntry } from '../events/index.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { statesRoutes } from './api.js';
import { StatesCluster } from './cluster.js';
import { StatesModel, type ExecutionStatus } from './service.js';

export interface StatesDeps {
  /** Task states invoke functions through Lambda's module API (the path the Invoke API uses). */
  readonly lambda: LambdaApi;
  /** The sqs:sendMessage integration. */
  readonly queues: SqsApi;
  /** "Step Functions Execution Status Change" events on the default bus (as AWS puts them there). */
  readonly events: EventsApi;
}

/** What other services call: EventBridge and EventBridge Scheduler targets start executions. */
export interface StatesApi {
  /** StartExecution as the API does it (a Standard or Express machine); throws the API's AwsErrors. */
  startExecution(region: string, stateMachineArn: string, input: string | undefined, name?: string): Promise<{ executionArn: string; startDate: number }>;
}

export const statesService: ServiceModule<StatesDeps, StatesApi> = {
  name: 'states',
  async create(ctx) {
    const model = new StatesModel({
      store: ctx.store,
      clock: ctx.clock,
      notifier: ctx.notifier,
      accountId: ctx.config.accountId,
      nodeId: ctx.cluster.nodeId,
      // Leases only matter between nodes: on the embedded store this node is the only one.
      leases: ctx.store.kind === 'postgres' ? ctx.cluster.leases : undefined,
      lambda: ctx.deps.lambda.invoker,
      queues: ctx.deps.queues,
      log: ctx.log,
      statusChanged: (s) => {
        ctx.deps.events.putEvents(s.region, [statusChangeEntry(s)]).catch((e: unknown) => ctx.log(`selfless: states: status change event of ${s.arn}: ${e instanceof Error ? e.message : String(e)}`));
      },
    });
    await model.init();
    const cluster = new StatesCluster(model);
    let stopRetention = (): void => undefined;
    return {
      routes: statesRoutes(model, cluster),
      api: {
        startExecution: async (region, arn, input, name) => {
          const r = await model.startExecution(region, arn, name, input);
          return { executionArn: r.executionArn, startDate: r.startDate };
        },
      },
      start: async () => {
        await cluster.start();
        stopRetention = startExecutionRetention(ctx.store, ctx.journal, ctx.clock, ctx.log);
      },
      beforeHttpClose: () => cluster.endPolls(),
      // Stops the timers, flushes the history writes, then hands the executions back.
      stop: async () => {
        stopRetention();
        await model.close();
        await cluster.close();
      },
    };
  },
};

/** AWS's "Step Functions Execution Status Change" event (source aws.states) of a Standard execution. */
function statusChangeEntry(s: ExecutionStatus): EventsPutEntry {
  const ended = s.status !== 'RUNNING';
  return {
    Source: 'aws.states',
    DetailType: 'Step Functions Execution Status Change',
    Resources: [s.arn],
    Time: new Date(ended ? (s.stopDate ?? s.startDate) : s.startDate),
    Detail: JSON.stringify({
      executionArn: s.arn,
      stateMachineArn: s.stateMachineArn,
      name: s.name,
      status: s.status,
      startDate: s.startDate,
      stopDate: ended ? (s.stopDate ?? null) : null,
      input: s.input,
      output: s.output ?? null,
      inputDetails: { included: true },
      outputDetails: s.output !== undefined ? { included: true } : null,
      error: s.error ?? null,
      cause: s.cause ?? null,
    }),
  };
}
