// Freezing idle environments without taxing busy ones: a freeze is applied a short grace after the environment goes
// idle, so an invocation that arrives within it (back-to-back traffic) cancels the freeze and pays no thaw.
// States: thawed → (freeze) pending → frozen → (thaw) thawed; a thaw while pending just cancels.
// An environment that can do nothing while idle (its runtime has no timer, socket or child left, and no other
// process exists in it) is left running: freezing it would change nothing the function can see, and its next
// invocation then pays no thaw.

export interface Freezable {
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

type State = 'thawed' | 'pending' | 'frozen';

/** Longer than a client's round trip between back-to-back invokes; far shorter than any timer a function would notice. */
export const FREEZE_GRACE_MS = 10;

export class Freezer {
  private state: State = 'thawed';
  /** The cgroup write in flight, so that a thaw never overtakes the freeze it undoes. */
  private inFlight: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private settlePending: (() => void) | undefined;

  /** `graceMs`: how long an idle environment keeps running before it is frozen. */
  constructor(
    private readonly cg: Freezable,
    private readonly graceMs = FREEZE_GRACE_MS,
  ) {}

  get current(): State {
    return this.state;
  }

  private disposed = false;

  /** The environment is going away: no freeze may start any more. */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.settlePending?.();
    this.settlePending = undefined;
  }

  /** `inert`: asked at the end of the grace; true when nothing in the environment could run while idle. */
  freeze(inert?: () => Promise<boolean>): Promise<void> {
    if (this.disposed || this.state !== 'thawed') return this.inFlight;
    this.state = 'pending';
    return new Promise((resolve) => {
      this.settlePending = resolve;
      this.timer = setTimeout(async () => {
        this.timer = undefined;
        if (inert && this.state === 'pending' && (await inert().catch(() => false)) && this.state === 'pending') {
          // Left running; a thaw finds it 'thawed' and writes nothing.
          this.state = 'thawed';
          this.settlePending = undefined;
          return resolve();
        }
        this.settlePending = undefined;
        // A thaw or a dispose may have come while `inert` was asked.
        if (this.state !== 'pending' || this.disposed) return resolve();
        this.state = 'frozen';
        this.inFlight = this.inFlight.then(() => this.cg.freeze()).catch(() => undefined);
        void this.inFlight.then(resolve);
      }, this.graceMs);
    });
  }

  /** Resolves once the environment runs again. */
  thaw(): Promise<void> {
    if (this.state === 'thawed') return this.inFlight;
    if (this.state === 'pending') {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.state = 'thawed';
      this.settlePending?.();
      this.settlePending = undefined;
      return this.inFlight;
    }
    this.state = 'thawed';
    this.inFlight = this.inFlight.then(() => this.cg.thaw()).catch(() => undefined);
    return this.inFlight;
  }
}
