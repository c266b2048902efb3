/** One scored item: a position in some list, and its score. */
export interface Scored {
  position: number;
  score: number;
}

/** True when `left` ranks below `right`: a lower score, or an equal score at a later position (for determinism). */
function ranksBelow(left: Scored, right: Scored): boolean {
  return left.score < right.score || (left.score === right.score && left.position > right.position);
}

/**
 * Keeps the `k` best of a stream of scores with a min-heap: O(n log k) time and O(k)
 * memory, instead of sorting every candidate.
 */
export class TopK {
  private readonly heap: Scored[] = [];

  constructor(private readonly k: number) {}

  /** Offers one item; kept only while it is among the best `k` so far. */
  push(position: number, score: number): void {
    if (this.k <= 0) return;
    const heap = this.heap;
    const item = { position, score };
    if (heap.length < this.k) {
      heap.push(item);
      this.siftUp(heap.length - 1);
      return;
    }
    const worst = heap[0] as Scored;
    if (!ranksBelow(worst, item)) return;
    heap[0] = item;
    this.siftDown(0);
  }

  /** The kept items, best first. */
  sorted(): Scored[] {
    return [...this.heap].sort((left, right) => (ranksBelow(left, right) ? 1 : ranksBelow(right, left) ? -1 : 0));
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!ranksBelow(heap[index] as Scored, heap[parent] as Scored)) return;
      [heap[index], heap[parent]] = [heap[parent] as Scored, heap[index] as Scored];
      index = parent;
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && ranksBelow(heap[left] as Scored, heap[smallest] as Scored)) smallest = left;
      if (right < heap.length && ranksBelow(heap[right] as Scored, heap[smallest] as Scored)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest] as Scored, heap[index] as Scored];
      index = smallest;
    }
  }
}
