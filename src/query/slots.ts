// Query slots: a fixed number of statements run at once, a bounded number
// wait in line (each no longer than its deadline), and beyond that a statement
// is refused at once rather than piling up behind the others.
import { QueryError } from './read-only.ts';

type Waiter = { resolve: () => void; reject: (e: QueryError) => void; timer: NodeJS.Timeout };

export class Slots {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly concurrentMax: number,
    private readonly queueMax: number,
  ) {}

  /** Resolves with a slot; rejects when the queue is full (busy), after waitMs (timeout) or on close. */
  acquire(waitMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new QueryError('the query engine is shutting down', 'closed'));
    if (this.running < this.concurrentMax) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueMax) {
      return Promise.reject(
        new QueryError(`${this.running} statements are running and ${this.waiting.length} are waiting, the most allowed; retry later`, 'busy'),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(new QueryError(`the statement waited ${waitMs} ms for a free query slot and was not run`, 'timeout'));
        }, waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    } else this.running--;
  }

  /** Refuses every waiting statement and any later one. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new QueryError('the query engine is shutting down', 'closed'));
    }
  }
}
