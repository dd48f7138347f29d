// Step Functions', EventBridge's, EventBridge Scheduler's and Pipes' operations as IAM sees them: state machine,
// execution, activity, rule (`rule/[bus/]name`), bus, archive, schedule (`schedule/group/name`) and pipe ARNs.
// Sources: Service Authorization Reference, "Actions, resources, and condition keys for AWS Step Functions"
// (list_awsstepfunctions.html: StartSyncExecution is its own action on the state machine; the task token
// operations have no resource), "… for Amazon EventBridge" (list_amazoneventbridge.html: PutEvents on the bus, with
// events:source and events:detail-type), "… for Amazon EventBridge Scheduler" (list_amazoneventbridgescheduler.html)
// and "… for Amazon EventBridge Pipes" (list_amazoneventbridgepipes.html).
import { arnOr, fieldsOf, orStar } from './kit.js';
import type { Rule, RuleKit, ServiceRules } from './types.js';

const star: Rule = {};
const byArn = (member: string): Rule => ({ resources: (k) => [k.str(member) ?? '*'] });

/** An execution ARN's state machine: `…:execution:<sm>:<name>` → `…:stateMachine:<sm>` (express executions too). */
export function stateMachineOfExecution(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const p = arn.split(':');
  if (p.length < 8 || (p[5] !== 'execution' && p[5] !== 'express')) return undefined;
  return [...p.slice(0, 5), 'stateMachine', p[6]].join(':');
}

const sm = byArn('stateMachineArn');
const exec = byArn('executionArn');

export const statesRules: ServiceRules = {
  prefix: 'states',
  fallback: { resources: (k) => [k.str('stateMachineArn') ?? k.str('executionArn') ?? k.str('activityArn') ?? k.str('resourceArn') ?? '*'] },
  ops: {
    CreateStateMachine: { resources: (k) => arnOr(k, 'states', 'stateMachine:', k.str('name')) },
    ListStateMachines: star,
    ListActivities: star,
    CreateActivity: { resources: (k) => arnOr(k, 'states', 'activity:', k.str('name')) },
    ValidateStateMachineDefinition: star,
    TestState: star,
    SendTaskSuccess: star,
    SendTaskFailure: star,
    SendTaskHeartbeat: star,
    StartExecution: sm,
    StartSyncExecution: sm,
    ListExecutions: { resources: (k) => [k.str('stateMachineArn') ?? k.str('mapRunArn') ?? '*'] },
    DescribeExecution: exec,
    StopExecution: exec,
    GetExecutionHistory: exec,
    RedriveExecution: exec,
    DescribeStateMachineForExecution: exec,
    DescribeStateMachine: sm,
    UpdateStateMachine: sm,
    DeleteStateMachine: sm,
    PublishStateMachineVersion: sm,
    ListStateMachineVersions: sm,
    ListStateMachineAliases: sm,
    DeleteStateMachineVersion: byArn('stateMachineVersionArn'),
    // An alias's ARN is its state machine's plus `:<alias>`; the machine is named by the routed versions' ARNs.
    CreateStateMachineAlias: {
      resources: (k) => {
        const version = fieldsOf(k.input['routingConfiguration'], 'stateMachineVersionArn')[0];
        const name = k.str('name');
        return version === undefined || name === undefined ? ['*'] : [`${version.split(':').slice(0, 7).join(':')}:${name}`];
      },
    },
    TagResource: byArn('resourceArn'),
    UntagResource: byArn('resourceArn'),
    ListTagsForResource: byArn('resourceArn'),
  },
};

/** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another (the bus may be given as an ARN). */
export function ruleArn(k: RuleKit, nameMember = 'Name'): string[] {
  const name = k.str(nameMember);
  if (name === undefined) return ['*'];
  if (name.startsWith('arn:')) return [name];
  let bus = k.str('EventBusName');
  if (bus?.startsWith('arn:')) bus = bus.slice(bus.indexOf(':event-bus/') + ':event-bus/'.length);
  return [k.arn('events', bus === undefined || bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`)];
}

const busArn = (k: RuleKit, member = 'Name'): string[] => arnOr(k, 'events', 'event-bus/', k.str(member) ?? 'default');

export const eventsRules: ServiceRules = {
  prefix: 'events',
  fallback: { resources: (k) => [k.str('ResourceARN') ?? k.str('Arn') ?? '*'] },
  ops: {
    PutEvents: {
      // Each entry names its bus (the default bus when it names none); the request needs every one.
      resources: (k) => {
        const entries = Array.isArray(k.input['Entries']) ? (k.input['Entries'] as unknown[]) : [];
        return orStar(entries.map((e) => {
          const bus = e !== null && typeof e === 'object' ? (e as Record<string, unknown>)['EventBusName'] : undefined;
          return typeof bus === 'string' && bus.startsWith('arn:') ? bus : k.arn('events', `event-bus/${typeof bus === 'string' && bus !== '' ? bus : 'default'}`);
        }));
      },
      context: (k) => {
        const src = fieldsOf(k.input['Entries'], 'Source');
        const dt = fieldsOf(k.input['Entries'], 'DetailType');
        return { ...(src.length ? { 'events:source': [...new Set(src)] } : {}), ...(dt.length ? { 'events:detail-type': [...new Set(dt)] } : {}) };
      },
    },
    PutRule: { resources: (k) => ruleArn(k) },
    DescribeRule: { resources: (k) => ruleArn(k) },
    DeleteRule: { resources: (k) => ruleArn(k) },
    EnableRule: { resources: (k) => ruleArn(k) },
    DisableRule: { resources: (k) => ruleArn(k) },
    PutTargets: { resources: (k) => ruleArn(k, 'Rule') },
    RemoveTargets: { resources: (k) => ruleArn(k, 'Rule') },
    ListTargetsByRule: { resources: (k) => ruleArn(k, 'Rule') },
    ListRules: star,
    ListRuleNamesByTarget: star,
    TestEventPattern: star,
    ListEventBuses: star,
    ListArchives: star,
    ListReplays: star,
    CreateEventBus: { resources: (k) => busArn(k) },
    DescribeEventBus: { resources: (k) => busArn(k) },
    DeleteEventBus: { resources: (k) => busArn(k) },
    UpdateEventBus: { resources: (k) => busArn(k) },
    PutPermission: { resources: (k) => busArn(k, 'EventBusName') },
    RemovePermission: { resources: (k) => busArn(k, 'EventBusName') },
    CreateArchive: { resources: (k) => [...arnOr(k, 'events', 'archive/', k.str('ArchiveName')), ...(k.str('EventSourceArn') ? [k.str('EventSourceArn')!] : [])] },
    DescribeArchive: { resources: (k) => arnOr(k, 'events', 'archive/', k.str('ArchiveName')) },
    UpdateArchive: { resources: (k) => arnOr(k, 'events', 'archive/', k.str('ArchiveName')) },
    DeleteArchive: { resources: (k) => arnOr(k, 'events', 'archive/', k.str('ArchiveName')) },
    StartReplay: { resources: (k) => arnOr(k, 'events', 'archive/', k.str('EventSourceArn')) },
    DescribeReplay: { resources: (k) => arnOr(k, 'events', 'replay/', k.str('ReplayName')) },
    CancelReplay: { resources: (k) => arnOr(k, 'events', 'replay/', k.str('ReplayName')) },
    CreateConnection: { resources: (k) => arnOr(k, 'events', 'connection/', k.str('Name')) },
    CreateApiDestination: { resources: (k) => arnOr(k, 'events', 'api-destination/', k.str('Name')) },
    CreateEndpoint: { resources: (k) => arnOr(k, 'events', 'endpoint/', k.str('Name')) },
  },
};

/** `schedule/<group>/<name>` (group `default` when the request names none). */
const scheduleArn = (k: RuleKit): string[] => {
  const name = k.str('Name');
  return name === undefined ? ['*'] : [k.arn('scheduler', `schedule/${k.str('GroupName') ?? 'default'}/${name}`)];
};
const groupArn = (k: RuleKit): string[] => arnOr(k, 'scheduler', 'schedule-group/', k.str('Name'));

export const schedulerRules: ServiceRules = {
  prefix: 'scheduler',
  fallback: { resources: (k) => [k.str('ResourceArn') ?? '*'] },
  ops: {
    CreateSchedule: { resources: scheduleArn },
    GetSchedule: { resources: scheduleArn },
    UpdateSchedule: { resources: scheduleArn },
    DeleteSchedule: { resources: scheduleArn },
    ListSchedules: star,
    CreateScheduleGroup: { resources: groupArn },
    GetScheduleGroup: { resources: groupArn },
    DeleteScheduleGroup: { resources: groupArn },
    ListScheduleGroups: star,
  },
};

const pipeArn = (k: RuleKit): string[] => arnOr(k, 'pipes', 'pipe/', k.str('Name'));

export const pipesRules: ServiceRules = {
  prefix: 'pipes',
  fallback: { resources: (k) => [k.str('resourceArn') ?? '*'] },
  ops: {
    CreatePipe: { resources: pipeArn },
    DescribePipe: { resources: pipeArn },
    UpdatePipe: { resources: pipeArn },
    DeletePipe: { resources: pipeArn },
    StartPipe: { resources: pipeArn },
    StopPipe: { resources: pipeArn },
    ListPipes: star,
  },
};
