// Keeps a long run's footprint flat. A run streams pages, so what it holds at any moment is
// one or two pages; but V8 collects lazily while allocation stays high and lets the heap grow
// far past that. When the heap has grown by more than a budget since the last look, a full
// collection brings it back to what is really in use. Between pages, a few times per large
// directory, it costs tens of milliseconds.
import v8 from 'node:v8';
import vm from 'node:vm';

let collector: (() => void) | null | undefined;

/** The V8 collector, made callable once per process; null where that is not possible. */
function gc(): (() => void) | null {
  if (collector !== undefined) return collector;
  try {
    v8.setFlagsFromString('--expose-gc');
    collector = vm.runInNewContext('gc') as () => void;
  } catch {
    collector = null;
  }
  return collector;
}

export class MemoryBudget {
  private floor: number;

  constructor(private readonly budgetBytes = 8 * 1024 * 1024) {
    this.floor = process.memoryUsage().heapUsed;
  }

  /** Collects when the heap grew past the budget; returns whether it did. */
  check(): boolean {
    const used = process.memoryUsage().heapUsed;
    if (used - this.floor < this.budgetBytes) return false;
    const collect = gc();
    if (!collect) return false;
    collect();
    // What survives is in use: the next collection waits for another budget's worth.
    this.floor = Math.max(this.floor, process.memoryUsage().heapUsed);
    return true;
  }
}
