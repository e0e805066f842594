/**
 * A fixed-capacity ring buffer: pushing past capacity overwrites the oldest item, so memory
 * stays flat however much arrives.
 */
export class RingBuffer<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #oldest = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot create a ring buffer: capacity must be a positive integer`);
    }
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  /** How many items are held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item`; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    if (this.#size < this.capacity) {
      this.#items[(this.#oldest + this.#size) % this.capacity] = item;
      this.#size++;
      return false;
    }
    this.#items[this.#oldest] = item;
    this.#oldest = (this.#oldest + 1) % this.capacity;
    return true;
  }

  /** Iterates from the newest item to the oldest. */
  *newestFirst(): IterableIterator<T> {
    for (let i = this.#size - 1; i >= 0; i--) {
      yield this.#items[(this.#oldest + i) % this.capacity] as T;
    }
  }

  /** Forgets every item. */
  clear(): void {
    this.#items = new Array(this.capacity);
    this.#oldest = 0;
    this.#size = 0;
  }
}
