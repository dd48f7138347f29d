// The plug-in points of the transform: resource-type translators, event-source translators and template plugins.
import type { TransformContext } from './context.js';
import type { SamResource } from './resource.js';
import type { Generated, JsonObject } from './types.js';

/**
 * Order in which SAM resources are translated (as samtranslator): functions and state machines first because
 * their Api events edit the API's definition, then the APIs, then everything else, connectors last because they
 * read the translated CloudFormation resources.
 */
export type Phase = 'function' | 'stateMachine' | 'api' | 'other' | 'connector';
export const PHASES: Phase[] = ['function', 'stateMachine', 'api', 'other', 'connector'];

export interface ResourceTranslator {
  /** e.g. `AWS::Serverless::Function`. */
  type: string;
  phase: Phase;
  /** Derived references this type offers (`MyFunction.Alias`): property → the generated CloudFormation type. */
  referable?: Record<string, string>;
  /** Expands one SAM resource; throws InvalidResourceError (or an event/template error) on bad input. */
  translate(r: SamResource, ctx: TransformContext): Generated[];
}

/** An event as written under `Events:` of a Function or StateMachine. */
export interface SamEvent {
  /** The event's key, e.g. `MyQueue`. */
  relativeId: string;
  /** Owner's logical id + relativeId: the prefix of every resource the event generates. */
  logicalId: string;
  type: string;
  props: JsonObject;
  raw: JsonObject;
}

/**
 * One event type for one owner kind. `T` is what the owner hands over: for functions a FunctionEventTarget
 * (the function or its alias, the execution role to add policies to), for state machines a StateMachineEventTarget.
 */
export interface EventTranslator<T> {
  type: string;
  /**
   * Checks run for every event of the owner before any is translated (samtranslator reads and links all events
   * first): property types and references to other resources. Optional; translate may repeat nothing of it.
   */
  check?(ev: SamEvent, ctx: TransformContext): void;
  translate(ev: SamEvent, target: T, ctx: TransformContext): Generated[];
}

/** A hook over the whole SAM template before translation (Globals, policy templates, implicit APIs). */
export interface TemplatePlugin {
  name: string;
  /** Lower runs first; samtranslator's order is application 10, default body 20, implicit REST 30, implicit HTTP 40, globals 50, policy templates 60. */
  order: number;
  beforeTransform?(template: JsonObject, ctx: TransformContext): void;
  afterTransform?(template: JsonObject, ctx: TransformContext): void;
}

export class Registry {
  readonly resources = new Map<string, ResourceTranslator>();
  readonly functionEvents = new Map<string, EventTranslator<never>>();
  readonly stateMachineEvents = new Map<string, EventTranslator<never>>();
  readonly plugins: TemplatePlugin[] = [];

  resource(t: ResourceTranslator): this {
    this.resources.set(t.type, t);
    return this;
  }
  functionEvent<T>(t: EventTranslator<T>): this {
    this.functionEvents.set(t.type, t as EventTranslator<never>);
    return this;
  }
  stateMachineEvent<T>(t: EventTranslator<T>): this {
    this.stateMachineEvents.set(t.type, t as EventTranslator<never>);
    return this;
  }
  plugin(p: TemplatePlugin): this {
    this.plugins.push(p);
    this.plugins.sort((a, b) => a.order - b.order);
    return this;
  }
}
