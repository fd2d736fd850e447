// Collects items during one turn of the event loop and handles each once on
// the next (setImmediate), however often it was added. Fan-out uses it for
// new listeners' bursts (after uWS has uncorked their headers) and for the
// flush of mounts that have flushBytes pending.

export class NextTurnBatch<T> {
  private readonly items = new Set<T>();
  private scheduled = false;
  private readonly handle: (item: T) => void;

  constructor(handle: (item: T) => void) {
    this.handle = handle;
    this.run = this.run.bind(this);
  }

  add(item: T): void {
    this.items.add(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private run(): void {
    this.scheduled = false;
    for (const item of this.items) this.handle(item);
    this.items.clear();
  }
}
