// A SAM resource as read from the template: its properties, attributes, and the checks samtranslator makes on read.
import { InvalidResourceError } from './errors.js';
import { isObj, type Json, type JsonObject } from './types.js';

const SUPPORTED_ATTRIBUTES = ['DeletionPolicy', 'UpdatePolicy', 'Condition', 'UpdateReplacePolicy', 'Metadata'] as const;
const PASSTHROUGH = ['Condition', 'DeletionPolicy', 'UpdateReplacePolicy'] as const;

export class SamResource {
  readonly props: JsonObject;
  readonly attrs: JsonObject = {};
  readonly dependsOn: Json | undefined;

  constructor(
    readonly id: string,
    readonly type: string,
    readonly raw: JsonObject,
  ) {
    const p = raw['Properties'];
    if (p !== undefined && !isObj(p)) throw new InvalidResourceError(id, 'Properties of a resource must be an object.');
    this.props = (p as JsonObject | undefined) ?? {};
    for (const a of SUPPORTED_ATTRIBUTES) if (a in raw) this.attrs[a] = raw[a]!;
    this.dependsOn = raw['DependsOn'];
  }

  /** Attributes copied onto every resource generated from this one. */
  passthrough(): JsonObject {
    const out: JsonObject = {};
    for (const a of PASSTHROUGH) if (a in this.attrs) out[a] = this.attrs[a]!;
    return out;
  }

  /** A property, or undefined when absent or null (samtranslator treats an explicit null as absent). */
  get(name: string): Json | undefined {
    const v = this.props[name];
    return v === null ? undefined : v;
  }

  /** Rejects properties the type does not define, with samtranslator's wording. */
  checkKnown(known: readonly string[]): void {
    for (const k of Object.keys(this.props)) {
      if (!known.includes(k)) throw new InvalidResourceError(this.id, `property ${k} not defined for resource of type ${this.type}`);
    }
  }
}

/** Copies the given attributes onto a generated resource (the main resource keeps them all). */
export function withAttrs(res: JsonObject, attrs: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(attrs)) res[k] = v;
  return res;
}
