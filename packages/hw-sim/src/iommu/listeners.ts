/**
 * A small listener list for interrupt lines and notifications: hardware raises, drivers listen.
 * Listeners run synchronously, in registration order, on the raising call's stack.
 */
export class Listeners<Args extends unknown[]> {
  private readonly list: ((...args: Args) => void)[] = [];

  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: Args) => void): () => void {
    this.list.push(listener);
    return () => {
      const index = this.list.indexOf(listener);
      if (index >= 0) this.list.splice(index, 1);
    };
  }

  /** Calls every listener with `args`. A listener removed while running is still called this time. */
  emit(...args: Args): void {
    if (this.list.length === 0) return;
    for (const listener of this.list.slice()) listener(...args);
  }

  get size(): number {
    return this.list.length;
  }
}
