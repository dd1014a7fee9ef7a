/** The worker's min-heap (src/schedules/_min_heap.ts): pops in `less` order, whatever order items came in. */
import assert from "node:assert/strict";
import { MinHeap } from "../../src/schedules/_min_heap.ts";

/** A small seeded generator (mulberry32), so that a failure is the same on every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const byNumber = (a: number, b: number) => a < b;

/** Pops every item. */
function drain<T>(heap: MinHeap<T>): T[] {
  const out: T[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

Deno.test("MinHeap pops random inputs (duplicates included) in the order of a sorted copy", () => {
  const random = seeded(21);
  for (let round = 0; round < 200; round++) {
    const items = Array.from({ length: Math.floor(random() * 60) }, () => Math.floor(random() * 40));
    const heap = new MinHeap(byNumber);
    for (const item of items) heap.push(item);
    assert.equal(heap.size, items.length);
    assert.deepEqual(drain(heap), [...items].sort((a, b) => a - b), `input ${items}`);
    assert.equal(heap.size, 0);
  }
});

Deno.test("MinHeap keeps its order while pushes and pops interleave; peek shows what pop returns", () => {
  const random = seeded(7);
  const heap = new MinHeap(byNumber);
  const model: number[] = [];
  for (let step = 0; step < 2_000; step++) {
    if (random() < 0.6) {
      const item = Math.floor(random() * 1_000);
      heap.push(item);
      model.push(item);
      model.sort((a, b) => a - b);
    } else {
      assert.equal(heap.peek(), model[0]);
      assert.equal(heap.pop(), model.shift());
    }
    assert.equal(heap.size, model.length);
  }
});

Deno.test("MinHeap orders by the given `less`, not by value", () => {
  const heap = new MinHeap<{ name: string; atMs: number }>((a, b) => a.atMs < b.atMs);
  for (const [name, atMs] of [["c", 30], ["a", 10], ["d", 40], ["b", 20]] as const) heap.push({ name, atMs });
  assert.deepEqual(drain(heap).map(({ name }) => name), ["a", "b", "c", "d"]);
  const latestFirst = new MinHeap((a: number, b: number) => a > b);
  for (const item of [2, 9, 4]) latestFirst.push(item);
  assert.deepEqual(drain(latestFirst), [9, 4, 2]);
});

Deno.test("MinHeap: peek and pop on an empty heap return undefined; size counts; peek leaves the item", () => {
  const heap = new MinHeap(byNumber);
  assert.equal(heap.size, 0);
  assert.equal(heap.peek(), undefined);
  assert.equal(heap.pop(), undefined);
  heap.push(5);
  assert.equal(heap.peek(), 5);
  assert.equal(heap.size, 1);
  assert.equal(heap.pop(), 5);
  assert.equal(heap.size, 0);
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.size, 0);
});
