// The shared types of the expression module: wire attribute values, items and the compiled expressions' shapes.

/** One DynamoDB attribute value, exactly as on the wire (N and NS as decimal strings, B and BS as base64). */
export type AttributeValue =
  | { S: string } | { N: string } | { B: string } | { BOOL: boolean } | { NULL: true }
  | { M: Record<string, AttributeValue> } | { L: AttributeValue[] }
  | { SS: string[] } | { NS: string[] } | { BS: string[] };
export type Item = Record<string, AttributeValue>;

/** ExpressionAttributeNames / ExpressionAttributeValues of one request. */
export interface ExprInput {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

/** What a compiled expression used, so the request can report unused names/values as DynamoDB does. */
export interface Uses {
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
  /** (Addition) Top-level attribute names of the expression's document paths. */
  readonly heads?: ReadonlySet<string>;
  /** (Addition) Top-level attribute names that a path reaches into with '.' or '[n]'. */
  readonly nested?: ReadonlySet<string>;
}

export interface Condition extends Uses { test(item: Item | undefined): boolean }
export interface Projection extends Uses { project(item: Item): Item }
export interface Update extends Uses {
  /** Top-level attribute names the update sets or removes (to refuse key attributes and for UPDATED_* returns). */
  readonly touched: ReadonlySet<string>;
  /** The item after the update (a new object; the input is not mutated). Throws ValidationException as DynamoDB. */
  apply(item: Item): Item;
}
export interface KeyCondition extends Uses {
  readonly hash: AttributeValue;
  readonly range?: { readonly op: '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with'; readonly values: readonly AttributeValue[] };
}

export type ConditionKind = 'ConditionExpression' | 'FilterExpression';
