// Freezing idle environments without taxing busy ones: a freeze is applied one event-loop turn after the environment
// goes idle, so an invocation that arrives at once (back-to-back traffic) cancels it and pays no thaw.
// States: thawed → (freeze) pending → frozen → (thaw) thawed; a thaw while pending just cancels.

export interface Freezable {
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

type State = 'thawed' | 'pending' | 'frozen';

export class Freezer {
  private state: State = 'thawed';
  /** The cgroup write in flight, so that a thaw never overtakes the freeze it undoes. */
  private inFlight: Promise<void> = Promise.resolve();
  private timer: NodeJS.Immediate | undefined;
  private settlePending: (() => void) | undefined;

  constructor(private readonly cg: Freezable) {}

  get current(): State {
    return this.state;
  }

  freeze(): Promise<void> {
    if (this.state !== 'thawed') return this.inFlight;
    this.state = 'pending';
    return new Promise((resolve) => {
      this.settlePending = resolve;
      this.timer = setImmediate(() => {
        this.timer = undefined;
        this.settlePending = undefined;
        if (this.state !== 'pending') return resolve();
        this.state = 'frozen';
        this.inFlight = this.cg.freeze().catch(() => undefined);
        void this.inFlight.then(resolve);
      });
    });
  }

  /** Resolves once the environment runs again. */
  thaw(): Promise<void> {
    if (this.state === 'thawed') return this.inFlight;
    if (this.state === 'pending') {
      if (this.timer) clearImmediate(this.timer);
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
