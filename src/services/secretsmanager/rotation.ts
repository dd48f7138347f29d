// Rotation through a Lambda function, in AWS's four steps (createSecret, setSecret, testSecret, finishSecret), run
// at once by RotateSecret or when NextRotationDate comes; scheduled rotations are work items, so that one node of a
// cluster claims and runs each.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { WorkItem, WorkQueues } from '../../store/work.js';
import type { LambdaInvoker } from '../lambda/index.js';
import * as E from './errors.js';
import { nextRotation, parseRules, type RotationRules } from './schedule.js';
import { stagesOf, type SecretRow, type Secrets } from './secrets.js';

export const ROTATION_QUEUE = 'secretsmanager:rotations';
export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const SWEEP_MS = 60_000;

export interface RotationDeps {
  secrets: Secrets;
  invoker: () => LambdaInvoker;
  work: WorkQueues;
  clock: Clock;
  /** Whether the function's resource policy lets secretsmanager.amazonaws.com invoke it for this secret (enforce mode). */
  mayInvoke(region: string, functionArn: string, secretArn: string): boolean;
  log(msg: string): void;
}

export interface RotateInput {
  token?: string;
  lambdaArn?: string;
  rules?: RotationRules;
  immediately: boolean;
}

/** AWS's answer when the rotation function cannot be invoked (missing, or its policy does not admit Secrets Manager). */
const cannotInvoke = (): AwsError =>
  new AwsError('AccessDeniedException', 'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.', { status: 400 });

export class Rotation {
  private started = false;
  private cancelTimer: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private draining: Promise<void> | undefined;

  constructor(private readonly d: RotationDeps) {}

  /** RotateSecret: stores the configuration, then rotates now (unless RotateImmediately is false) or schedules. */
  async rotate(x: SecretRow, o: RotateInput): Promise<{ versionId?: string }> {
    const lambdaArn = o.lambdaArn ?? x.rotation_lambda ?? undefined;
    if (!lambdaArn) throw E.noRotationLambda();
    const rules = o.rules ?? (x.rotation_rules ? (JSON.parse(x.rotation_rules) as RotationRules) : undefined);
    if (rules) parseRules(rules);
    try {
      await this.d.invoker().resolveFresh(x.region, lambdaArn);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ResourceNotFoundException') throw cannotInvoke();
      throw e;
    }
    if (!this.d.mayInvoke(x.region, lambdaArn, x.arn)) throw cannotInvoke();
    const versions = await this.d.secrets.versions(x.arn);
    const pending = versions.find((v) => stagesOf(v).includes('AWSPENDING') && !stagesOf(v).includes('AWSCURRENT'));
    if (pending && pending.version_id !== o.token) throw E.rotationInProgress();
    const now = this.d.clock.now();
    const next = rules ? nextRotation(parseRules(rules), (x.last_rotated ?? now / 1000) * 1000, now) : undefined;
    await this.schedule(x, { rotation_enabled: 1, rotation_lambda: lambdaArn, rotation_rules: rules ? JSON.stringify(rules) : null, last_rotated: x.last_rotated, next_rotation: next === undefined ? null : next / 1000 });
    if (!o.immediately) return {};
    const token = o.token ?? randomUUID();
    await this.run({ ...x, rotation_lambda: lambdaArn, rotation_rules: rules ? JSON.stringify(rules) : null }, token);
    return { versionId: token };
  }

  /** CancelRotateSecret: no more scheduled rotations; the function and rules stay for a later RotateSecret. */
  async cancel(x: SecretRow): Promise<{ versionId?: string }> {
    await this.schedule(x, { rotation_enabled: 0, rotation_lambda: x.rotation_lambda, rotation_rules: x.rotation_rules, last_rotated: x.last_rotated, next_rotation: null });
    const pending = (await this.d.secrets.versions(x.arn)).find((v) => stagesOf(v).includes('AWSPENDING') && !stagesOf(v).includes('AWSCURRENT'));
    return pending ? { versionId: pending.version_id } : {};
  }

  /** Writes the rotation settings and replaces the secret's scheduled work item by one at the new NextRotationDate. */
  private async schedule(x: SecretRow, r: Pick<SecretRow, 'rotation_enabled' | 'rotation_lambda' | 'rotation_rules' | 'last_rotated' | 'next_rotation'>): Promise<void> {
    await this.d.secrets.setRotation(x.arn, r);
    if (x.next_rotation !== null) await this.d.work.remove(ROTATION_QUEUE, itemId(x.arn, x.next_rotation));
    if (r.rotation_enabled && r.next_rotation !== null) {
      await this.d.work.add(ROTATION_QUEUE, [{ id: itemId(x.arn, r.next_rotation), payload: Buffer.from(JSON.stringify({ arn: x.arn, at: r.next_rotation })), availableAt: r.next_rotation * 1000 }]);
    }
  }

  /**
   * The four steps, each a synchronous invocation of the rotation function with AWS's event. A step that fails ends the
   * rotation there: the new version keeps AWSPENDING (the next RotateSecret says a previous rotation isn't complete).
   * Answers whether the rotation finished.
   */
  async run(x: SecretRow, token: string): Promise<boolean> {
    await this.d.secrets.addPending(x, token);
    const rotationToken = randomUUID();
    for (const step of STEPS) {
      const event = { Step: step, SecretId: x.arn, ClientRequestToken: token, RotationToken: rotationToken };
      let failed: string | undefined;
      try {
        const r = await this.d.invoker().invoke({ region: x.region, functionName: x.rotation_lambda!, payload: Buffer.from(JSON.stringify(event)), requestId: randomUUID() });
        if (r.functionError) failed = errorType(r.payload);
      } catch (e) {
        failed = e instanceof AwsError ? e.code : 'InvocationFailed';
      }
      if (failed !== undefined) {
        // Only names: a rotation function's error payload may quote the secret it was handling.
        this.d.log(`selfless: secretsmanager: rotation of ${x.arn} failed in step ${step} (${failed}); version ${token} keeps AWSPENDING`);
        return false;
      }
    }
    const now = this.d.clock.now();
    const current = (await this.d.secrets.versions(x.arn)).find((v) => stagesOf(v).includes('AWSCURRENT'));
    // finishSecret must have moved AWSCURRENT to the new version; otherwise AWSPENDING stays as the function left it.
    if (current?.version_id !== token) {
      this.d.log(`selfless: secretsmanager: rotation of ${x.arn}: finishSecret did not move AWSCURRENT to version ${token}`);
      return false;
    }
    await this.d.secrets.clearPending(x.arn);
    const fresh = await this.d.secrets.find(x.region, x.arn, { deleted: true });
    const rules = fresh.rotation_rules ? (JSON.parse(fresh.rotation_rules) as RotationRules) : undefined;
    const next = fresh.rotation_enabled && rules ? nextRotation(parseRules(rules), now, now) : undefined;
    await this.schedule(fresh, { rotation_enabled: fresh.rotation_enabled, rotation_lambda: fresh.rotation_lambda, rotation_rules: fresh.rotation_rules, last_rotated: now / 1000, next_rotation: next === undefined ? null : next / 1000 });
    return true;
  }

  async start(): Promise<void> {
    this.started = true;
    this.unlisten = this.d.work.onWake(ROTATION_QUEUE, () => void this.drain());
    await this.drain();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unlisten?.();
    this.cancelTimer?.();
    await this.draining;
  }

  /** Claims due rotations and runs them; then sleeps until the next one is due (or a minute, for other nodes' changes). */
  private drain(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.draining ??= (async () => {
      try {
        for (;;) {
          const items = await this.d.work.claim(ROTATION_QUEUE, 5);
          if (items.length === 0) break;
          for (const it of items) await this.scheduled(it);
        }
        const at = await this.d.work.nextAt(ROTATION_QUEUE);
        this.cancelTimer?.();
        if (this.started) this.cancelTimer = this.d.clock.setTimer(Math.min(SWEEP_MS, Math.max(0, (at ?? Infinity) - this.d.clock.now())), () => void this.drain());
      } catch (e) {
        this.d.log(`selfless: secretsmanager: scheduled rotation: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private async scheduled(it: WorkItem): Promise<void> {
    const { arn, at } = JSON.parse(it.payload.toString('utf8')) as { arn: string; at: number };
    let x: SecretRow | undefined;
    try {
      x = await this.d.secrets.find(arn.split(':')[3] ?? '', arn);
    } catch {
      x = undefined;
    }
    await this.d.work.complete(ROTATION_QUEUE, it.id);
    // A changed schedule or a cancelled rotation left this item behind: the secret's own NextRotationDate decides.
    if (!x || !x.rotation_enabled || x.next_rotation !== at || !x.rotation_lambda) return;
    if (!this.d.mayInvoke(x.region, x.rotation_lambda, x.arn)) {
      this.d.log(`selfless: secretsmanager: scheduled rotation of ${arn}: the policy of ${x.rotation_lambda} does not allow secretsmanager.amazonaws.com to invoke it`);
      return;
    }
    const pending = (await this.d.secrets.versions(arn)).find((v) => stagesOf(v).includes('AWSPENDING') && !stagesOf(v).includes('AWSCURRENT'));
    await this.run(x, pending?.version_id ?? randomUUID());
  }
}

const itemId = (arn: string, at: number): string => `${arn}@${at}`;

function errorType(payload: Buffer): string {
  try {
    const t = (JSON.parse(payload.toString('utf8')) as { errorType?: unknown }).errorType;
    return typeof t === 'string' ? t : 'Unhandled';
  } catch {
    return 'Unhandled';
  }
}
