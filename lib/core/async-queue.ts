/**
 * Back pressure for the async kernels. Each native async call occupies one of libuv's worker threads (4 by
 * default, shared with fs, dns, zlib and crypto) for as long as it runs, and every one of them is already spread over
 * the whole sparsekit thread pool. So at most `limit` calls are handed to native code at a time; the rest wait here,
 * in call order, holding references to their arrays but no thread. A burst of 1,000 spmmAsync calls therefore never
 * starves a file read, and the native pool's queue never holds more than `limit` jobs (plus sync calls).
 * The queue is per JavaScript thread (each worker_thread has its own).
 */
let limit = 2;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `start` once fewer than `limit` calls are running; resolves or rejects as its promise does. */
export async function inAsyncSlot<T>(start: () => Promise<T>): Promise<T> {
  if (running < limit) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over by the call that ends
  try {
    return await start();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Async calls in native code now, waiting for a slot, and the limit. */
export function asyncQueueState(): { running: number; queued: number; limit: number } {
  return { running, queued: waiting.length, limit };
}

/** Sets how many async calls run in native code at once (1..64); calls already running finish as they are. */
export function setAsyncQueueLimit(n: number): void {
  limit = n;
  while (running < limit && waiting.length > 0) {
    running++;
    (waiting.shift() as () => void)();
  }
}
