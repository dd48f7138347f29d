// EventBridge Pipes (the `pipes` API): pipes stored in the store with AWS's lifecycle states, and their data plane:
// SQS sources polled one node at a time, FilterCriteria, an optional InputTemplate, and targets Lambda, SQS, SNS,
// Step Functions and EventBridge buses.
import type { ServiceModule } from '../../server/service.js';
import { uuid } from '../../lib/ids.js';
import type { EventsApi } from '../events/index.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SnsApi } from '../sns/index.js';
import type { SqsApi } from '../sqs/index.js';
import type { StatesApi } from '../states/index.js';
import { pipesRoutes } from './api.js';
import { PipeTables, pipeArn, type StoredPipe } from './model.js';
import { Runner, type Deliver } from './runner.js';
import { render } from './template.js';

export interface PipesDeps {
  readonly queues: SqsApi;
  readonly lambda: LambdaApi;
  readonly sns: SnsApi;
  readonly events: EventsApi;
  readonly states: StatesApi;
}

/** Nothing yet: no other service uses pipes. */
export type PipesApi = Record<string, never>;

export const pipesService: ServiceModule<PipesDeps, PipesApi> = {
  name: 'pipes',
  async create(ctx) {
    const { queues, lambda, sns, events, states } = ctx.deps;
    const tables = new PipeTables(ctx.store);
    await tables.migrate();
    /** What the target receives for each record: the record as JSON, or the rendered InputTemplate. */
    const payloads = (p: StoredPipe, records: Record<string, unknown>[]): string[] => {
      const t = p.TargetParameters?.InputTemplate;
      return records.map((r) => (t ? render(t, r) : JSON.stringify(r)));
    };
    const deliver: Deliver = async (p, records) => {
      const arn = p.Target;
      const parts = arn.split(':');
      const [service, region] = [parts[2], parts[3] || p.region];
      const each = payloads(p, records);
      // Lambda and Step Functions get the batch as one array, as Pipes sends it; the others one message per record.
      const batch = `[${each.join(',')}]`;
      if (service === 'lambda' && parts[5] === 'function' && parts[6]) {
        const r = await lambda.invoker.invoke({ region, functionName: parts[6], qualifier: parts[7], payload: Buffer.from(batch), requestId: uuid() });
        if (r.functionError) throw new Error(`target ${arn} failed: ${r.functionError}: ${r.payload.toString('utf8').slice(0, 500)}`);
      } else if (service === 'states') {
        await states.startExecution(region, arn, batch);
      } else if (service === 'sqs') {
        for (const body of each) await queues.send(arn, { body });
      } else if (service === 'sns') {
        for (const message of each) await sns.publish(region, { topicArn: arn, message });
      } else if (service === 'events' && parts[5]?.startsWith('event-bus/')) {
        const eb = p.TargetParameters?.['EventBridgeEventBusParameters'] as { Source?: string; DetailType?: string } | undefined;
        const r = await events.putEvents(
          region,
          each.map((Detail) => ({ Source: eb?.Source ?? 'Pipe', DetailType: eb?.DetailType ?? 'Event from aws:sqs', Detail, Resources: [pipeArn(ctx.config.accountId, p.region, p.Name)], EventBusName: arn })),
        );
        if (r.FailedEntryCount > 0) throw new Error(`target ${arn} refused ${r.FailedEntryCount} events`);
      } else {
        throw new Error(`target ${arn} is not supported by selfless`);
      }
    };
    const runner = new Runner({ clock: ctx.clock, tables, queues, leases: ctx.cluster.leases, deliver, log: ctx.log });
    return {
      routes: { rest: pipesRoutes(tables, ctx.clock, ctx.config.accountId, { changed: (region, name, pipe) => runner.changed(region, name, pipe) }) },
      api: {},
      start: async () => runner.start(),
      stop: () => runner.stop(),
    };
  },
};
