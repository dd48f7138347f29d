// The generated AWS input models the edge validator knows, found by JSON target prefix or rest-json operation name.
import { eventsShapes } from './events.js';
import { lambdaShapes } from './lambda.js';
import { logsShapes } from './logs.js';
import { sqsShapes } from './sqs.js';
import { statesShapes } from './states.js';
import { kmsShapes } from './kms.js';
import { secretsmanagerShapes } from './secretsmanager.js';
import { ssmShapes } from './ssm.js';
import { ecrShapes } from './ecr.js';
import type { ServiceShapes } from './types.js';

export type { ServiceShapes } from './types.js';

export const MODELS: readonly ServiceShapes[] = [lambdaShapes, sqsShapes, statesShapes, logsShapes, eventsShapes, kmsShapes, secretsmanagerShapes, ssmShapes, ecrShapes];

const byPrefix = new Map(MODELS.filter((m) => m.targetPrefix).map((m) => [m.targetPrefix!, m]));

/** The model of a JSON-protocol service by its X-Amz-Target prefix. */
export const jsonModel = (targetPrefix: string): ServiceShapes | undefined => byPrefix.get(targetPrefix);

const REST_MODELS: Readonly<Record<string, ServiceShapes>> = { lambda: lambdaShapes };

/** A rest-json model by its botocore service name, if it has this operation. */
export const restModel = (service: string, op: string): ServiceShapes | undefined => {
  const m = REST_MODELS[service];
  return m?.ops[op] ? m : undefined;
};
