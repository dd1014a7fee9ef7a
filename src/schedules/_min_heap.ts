/**
 * A binary min-heap: the smallest item by `less` first. Push and pop take
 * O(log n); a worker keeps the next fire instant of every schedule in one.
 */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** @param less whether `a` comes before `b` */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** How many items it holds. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.#items;
    items.push(item);
    for (let child = items.length - 1; child > 0;) {
      const parent = (child - 1) >> 1;
      if (!this.#less(items[child]!, items[parent]!)) break;
      [items[child], items[parent]] = [items[parent]!, items[child]!];
      child = parent;
    }
  }

  /** Removes and returns the first item; `undefined` when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const first = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return first;
    items[0] = last;
    for (let parent = 0;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < items.length && this.#less(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && this.#less(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === parent) return first;
      [items[parent], items[smallest]] = [items[smallest]!, items[parent]!];
      parent = smallest;
    }
  }
}
