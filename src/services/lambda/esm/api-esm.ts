// Lambda control-plane handlers for event source mappings (SQS queues, Kinesis and DynamoDB streams):
// Create/Get/Update/Delete/List.
import { z } from 'zod';
import { AwsError } from '../../../lib/errors.js';
import { uuid } from '../../../lib/ids.js';
import type { Clock } from '../../../lib/clock.js';
import { parsePattern, PatternError } from '../../../lib/event-pattern.js';
import type { ApiRequest, RestRoute } from '../../../server/types.js';
import type { QueueBroker } from '../../sqs/index.js';
import { combineQualifier, functionArn, parseFunctionRef } from '../arn.js';
import type { EventSourceMappings, Mapping } from './esm.js';
import type { LambdaInvoker } from '../invoker.js';
import { Constraints } from '../validate.js';
import { parseJsonBody, shape } from '../../../lib/validate.js';
import type { ShardStreamSource } from '../../../lib/shard-stream.js';
import { checkStream, newStreamSettings, streamChanges, StreamFields } from './stream-config.js';

const Fields = {
  FunctionName: z.string().optional(),
  Enabled: z.boolean().optional(),
  BatchSize: z.number().int().optional(),
  MaximumBatchingWindowInSeconds: z.number().int().optional(),
  FilterCriteria: z.object({ Filters: z.array(z.object({ Pattern: z.string().optional() })).optional() }).optional(),
  ScalingConfig: z.object({ MaximumConcurrency: z.number().int().optional() }).optional(),
  FunctionResponseTypes: z.array(z.string()).optional(),
};
const CreateShape = z
  .object({
    ...Fields,
    ...StreamFields,
    EventSourceArn: z.string().optional(),
    StartingPosition: z.string().optional(),
    StartingPositionTimestamp: z.number().optional(),
    Tags: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();
const UpdateShape = z.object({ ...Fields, ...StreamFields }).passthrough();
type CreateInput = z.infer<typeof CreateShape>;

export interface EsmApiDeps {
  mappings: EventSourceMappings;
  invoker: LambdaInvoker;
  queues: QueueBroker;
  clock: Clock;
  accountId: string;
}

const notFound = () => new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.');

export function esmRoutes(d: EsmApiDeps): RestRoute[] {
  const fnTarget = (req: ApiRequest, name: string) => {
    const ref = parseFunctionRef(name, 140);
    const qualifier = combineQualifier(ref, undefined);
    const r = d.invoker.resolve(req.region, ref.name, qualifier);
    return { functionName: r.fn.name, qualifier, FunctionArn: functionArn(req.region, d.accountId, r.fn.name, qualifier) };
  };

  /** Checks the tunable fields of a (merged) mapping as AWS does for SQS sources. */
  const check = (m: Pick<Mapping, 'BatchSize' | 'MaximumBatchingWindowInSeconds' | 'FilterCriteria' | 'ScalingConfig' | 'FunctionResponseTypes'>, fifo: boolean) => {
    const c = new Constraints()
      .int('batchSize', m.BatchSize, 1, 10000)
      .int('maximumBatchingWindowInSeconds', m.MaximumBatchingWindowInSeconds, 0, 300)
      .int('scalingConfig.maximumConcurrency', m.ScalingConfig?.MaximumConcurrency, 2, 1000);
    for (const t of m.FunctionResponseTypes) c.oneOf('functionResponseTypes', t, ['ReportBatchItemFailures']);
    if ((m.FilterCriteria?.Filters.length ?? 0) > 5) c.custom('filterCriteria.filters', m.FilterCriteria!.Filters.length, 'Member must have length less than or equal to 5');
    for (const f of m.FilterCriteria?.Filters ?? []) c.len('filterCriteria.filters.member.pattern', f.Pattern, 0, 4096);
    c.throwIfAny();
    if (fifo && m.BatchSize > 10) throw new AwsError('InvalidParameterValueException', 'Batch size for FIFO queues must be between 1 and 10.');
    if (m.BatchSize > 10 && m.MaximumBatchingWindowInSeconds < 1) {
      throw new AwsError('InvalidParameterValueException', 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
    }
    for (const f of m.FilterCriteria?.Filters ?? []) {
      try {
        parsePattern(f.Pattern);
      } catch (e) {
        throw new AwsError('InvalidParameterValueException', `Invalid filter pattern definition. ${e instanceof PatternError ? e.message : ''}`.trim());
      }
    }
  };
  const filters = (f: z.infer<typeof CreateShape>['FilterCriteria']) =>
    f === undefined ? undefined : (f.Filters ?? []).length === 0 ? undefined : { Filters: (f.Filters ?? []).map((x) => ({ Pattern: x.Pattern ?? '' })) };

  /** CreateEventSourceMapping for a Kinesis stream (or consumer) or a DynamoDB stream. */
  const createStream = async (req: ApiRequest, input: CreateInput, arn: string, source: ShardStreamSource) => {
    const now = d.clock.now();
    const base = {
      BatchSize: input.BatchSize ?? 100,
      MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
      FilterCriteria: filters(input.FilterCriteria),
      FunctionResponseTypes: input.FunctionResponseTypes ?? [],
    };
    const stream = newStreamSettings(input, source.eventSource, arn, now);
    checkStream({ ...base, stream });
    const streamArn = await source.resolve(arn);
    if (!streamArn) throw new AwsError('InvalidParameterValueException', `Stream not found: ${arn}`);
    stream.streamArn = streamArn;
    const fn = fnTarget(req, input.FunctionName!);
    const dup = d.mappings.list().find((m) => m.region === req.region && m.EventSourceArn === arn && m.FunctionArn === fn.FunctionArn);
    if (dup) {
      const label = source.eventSource === 'aws:kinesis' ? 'Kinesis' : 'DynamoDB';
      throw new AwsError(
        'ResourceConflictException',
        `An event source mapping with ${label} arn (" ${arn} ") and function (" ${fn.functionName} ") already exists. Please update or delete the existing mapping with UUID ${dup.UUID}`,
      );
    }
    const m: Mapping = {
      UUID: uuid(),
      region: req.region,
      EventSourceArn: arn,
      ...fn,
      ...base,
      enabled: input.Enabled ?? true,
      State: 'Creating',
      StateTransitionReason: 'User action',
      LastModified: now,
      LastProcessingResult: 'No records processed',
      stream,
      ...(input.Tags ? { tags: input.Tags } : {}),
    };
    return { status: 202, body: d.mappings.wire(await d.mappings.create(m)) };
  };

  const mapping = (req: ApiRequest) => {
    const m = d.mappings.get(req.params['UUID'] ?? '');
    if (!m || m.region !== req.region) throw notFound();
    return m;
  };

  return [
    {
      op: 'CreateEventSourceMapping',
      method: 'POST',
      path: '/2015-03-31/event-source-mappings',
      handler: async (req) => {
        const input = shape(CreateShape, parseJsonBody(req.body));
        const c = new Constraints();
        if (input.FunctionName === undefined) c.custom('functionName', null, 'Member must not be null');
        c.throwIfAny();
        const arn = input.EventSourceArn;
        if (!arn) throw new AwsError('InvalidParameterValueException', 'Unrecognized event source, must be kafka or specify EventSourceArn.');
        const source = d.mappings.streamSource(arn);
        if (source) return createStream(req, input, arn, source);
        const p = arn.split(':');
        if (p[0] !== 'arn' || p[2] !== 'sqs' || p.length !== 6) {
          throw new AwsError('InvalidParameterValueException', `Unrecognized event source ${arn}: selfless supports SQS queues, Kinesis streams and DynamoDB streams as event sources.`);
        }
        if (input.StartingPosition !== undefined) throw new AwsError('InvalidParameterValueException', 'Unsupported starting position for the event source type SQS.');
        const queue = d.queues.queue(arn);
        if (!queue) {
          throw new AwsError('InvalidParameterValueException', `Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.`);
        }
        const fn = fnTarget(req, input.FunctionName!);
        const dup = d.mappings.list().find((m) => m.region === req.region && m.EventSourceArn === arn && m.FunctionArn === fn.FunctionArn);
        if (dup) {
          throw new AwsError(
            'ResourceConflictException',
            `An event source mapping with SQS arn (" ${arn} ") and function (" ${fn.functionName} ") already exists. Please update or delete the existing mapping with UUID ${dup.UUID}`,
          );
        }
        const m: Mapping = {
          UUID: uuid(),
          region: req.region,
          EventSourceArn: arn,
          ...fn,
          BatchSize: input.BatchSize ?? 10,
          MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
          FilterCriteria: filters(input.FilterCriteria),
          ScalingConfig: input.ScalingConfig,
          FunctionResponseTypes: input.FunctionResponseTypes ?? [],
          enabled: input.Enabled ?? true,
          State: 'Creating',
          StateTransitionReason: 'USER_INITIATED',
          LastModified: d.clock.now(),
          LastProcessingResult: 'No records processed',
          ...(input.Tags ? { tags: input.Tags } : {}),
        };
        check(m, queue.fifo);
        return { status: 202, body: d.mappings.wire(await d.mappings.create(m)) };
      },
    },
    {
      op: 'GetEventSourceMapping',
      method: 'GET',
      path: '/2015-03-31/event-source-mappings/{UUID}',
      handler: async (req) => ({ body: d.mappings.wire(mapping(req)) }),
    },
    {
      op: 'UpdateEventSourceMapping',
      method: 'PUT',
      path: '/2015-03-31/event-source-mappings/{UUID}',
      handler: async (req) => {
        const m = mapping(req);
        const input = shape(UpdateShape, parseJsonBody(req.body));
        const changes: Partial<Mapping> = {};
        if (input.FunctionName !== undefined) Object.assign(changes, fnTarget(req, input.FunctionName));
        if (input.Enabled !== undefined) changes.enabled = input.Enabled;
        if (input.BatchSize !== undefined) changes.BatchSize = input.BatchSize;
        if (input.MaximumBatchingWindowInSeconds !== undefined) changes.MaximumBatchingWindowInSeconds = input.MaximumBatchingWindowInSeconds;
        if (input.FilterCriteria !== undefined) changes.FilterCriteria = filters(input.FilterCriteria);
        if (input.ScalingConfig !== undefined) changes.ScalingConfig = input.ScalingConfig.MaximumConcurrency === undefined ? undefined : input.ScalingConfig;
        if (input.FunctionResponseTypes !== undefined) changes.FunctionResponseTypes = input.FunctionResponseTypes;
        if (m.stream) {
          delete changes.ScalingConfig;
          const sc = streamChanges(input);
          // Only Enabled changing is Enabling/Disabling rather than Updating.
          if (Object.keys(sc).length > 0) changes.stream = { ...m.stream, ...sc };
          checkStream({ ...m, ...changes, stream: changes.stream ?? m.stream });
          return { status: 202, body: d.mappings.wire(await d.mappings.update(m, changes)) };
        }
        check({ ...m, ...changes }, d.queues.queue(m.EventSourceArn)?.fifo ?? false);
        return { status: 202, body: d.mappings.wire(await d.mappings.update(m, changes)) };
      },
    },
    {
      op: 'DeleteEventSourceMapping',
      method: 'DELETE',
      path: '/2015-03-31/event-source-mappings/{UUID}',
      handler: async (req) => ({ status: 202, body: d.mappings.wire(await d.mappings.delete(mapping(req))) }),
    },
    {
      op: 'ListEventSourceMappings',
      method: 'GET',
      path: '/2015-03-31/event-source-mappings',
      handler: async (req) => {
        const source = req.query.get('EventSourceArn');
        const fnName = req.query.get('FunctionName');
        const maxRaw = req.query.get('MaxItems');
        const max = maxRaw === null ? 100 : Number(maxRaw);
        new Constraints().int('maxItems', Number.isInteger(max) ? max : 0, 1, 10000).throwIfAny();
        let fnArn: string | undefined;
        if (fnName) fnArn = fnTarget(req, fnName).FunctionArn;
        const all = d.mappings.list().filter((m) => m.region === req.region && (!source || m.EventSourceArn === source) && (!fnArn || m.FunctionArn === fnArn));
        const marker = req.query.get('Marker');
        const start = marker ? Math.max(0, all.findIndex((m) => m.UUID === marker)) : 0;
        const page = all.slice(start, start + max);
        const next = all[start + max];
        return { body: { EventSourceMappings: page.map((m) => d.mappings.wire(m)), ...(next ? { NextMarker: next.UUID } : {}) } };
      },
    },
  ];
}
