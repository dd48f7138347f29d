// The Step Functions service: the model (machines, executions, tokens, activities) and its API routes; at start
// this node takes over the Standard executions no node runs (all of them on the embedded store), and in a cluster
// keeps sweeping for executions of nodes that died.
import type { ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { statesRoutes } from './api.js';
import { StatesCluster } from './cluster.js';
import { StatesModel } from './service.js';

export interface StatesDeps {
  /** Task states invoke functions through Lambda's module API (the path the Invoke API uses). */
  readonly lambda: LambdaApi;
  /** The sqs:sendMessage integration. */
  readonly queues: SqsApi;
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
    });
    await model.init();
    const cluster = new StatesCluster(model);
    return {
      routes: statesRoutes(model, cluster),
      api: {
        startExecution: async (region, arn, input, name) => {
          const r = await model.startExecution(region, arn, name, input);
          return { executionArn: r.executionArn, startDate: r.startDate };
        },
      },
      start: () => cluster.start(),
      beforeHttpClose: () => cluster.endPolls(),
      // Stops the timers, flushes the history writes, then hands the executions back.
      stop: async () => {
        await model.close();
        await cluster.close();
      },
    };
  },
};
