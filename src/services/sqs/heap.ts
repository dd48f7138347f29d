// A binary min-heap keyed by time: the queue's delayed and in-flight messages, earliest visibility first.
export interface Timed<T> {
  at: number;
  item: T;
  gen: number;
}

export class TimeHeap<T> {
  private readonly a: Timed<T>[] = [];

  get size(): number {
    return this.a.length;
  }
  peek(): Timed<T> | undefined {
    return this.a[0];
  }
  push(e: Timed<T>): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= e.at) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }
  pop(): Timed<T> | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last.at;
        if (l < a.length && a[l]!.at < mv) {
          m = l;
          mv = a[l]!.at;
        }
        if (r < a.length && a[r]!.at < mv) m = r;
        if (m === i) break;
        a[i] = a[m]!;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
  clear(): void {
    this.a.length = 0;
  }
}

/** A FIFO of items with O(1) amortised shift. */
export class Deque<T> {
  private a: T[] = [];
  private head = 0;
  get size(): number {
    return this.a.length - this.head;
  }
  push(x: T): void {
    this.a.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.a.length) return undefined;
    const x = this.a[this.head++];
    if (this.head > 1024 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  clear(): void {
    this.a = [];
    this.head = 0;
  }
}
