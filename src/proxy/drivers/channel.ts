/**
 * A bounded queue between a driver's delivery loop and the reader of a Subscription: push() waits while the buffer is
 * full (so a driver fetches or claims no more than the reader takes), close() ends the iteration at once and drops
 * what is buffered (unacknowledged, so delivered again where the backend acknowledges).
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = []
  private readonly readers: ((result: IteratorResult<T>) => void)[] = []
  private readonly writers: (() => void)[] = []
  private closed = false

  constructor(private readonly capacity: number) {}

  get isClosed(): boolean {
    return this.closed
  }

  /** Resolves once the item is handed over or buffered; false when the channel is closed. */
  async push(item: T): Promise<boolean> {
    while (!this.closed && this.readers.length === 0 && this.buffer.length >= this.capacity) await new Promise<void>((resolve) => this.writers.push(resolve))
    if (this.closed) return false
    const reader = this.readers.shift()
    if (reader) reader({value: item, done: false})
    else this.buffer.push(item)
    return true
  }

  close(): void {
    this.closed = true
    this.buffer.length = 0
    for (const reader of this.readers.splice(0)) reader({value: undefined, done: true})
    for (const writer of this.writers.splice(0)) writer()
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.buffer.length > 0) {
          const value = this.buffer.shift()!
          this.writers.shift()?.()
          return Promise.resolve({value, done: false})
        }
        if (this.closed) return Promise.resolve({value: undefined, done: true})
        const result = new Promise<IteratorResult<T>>((resolve) => this.readers.push(resolve))
        this.writers.shift()?.()
        return result
      },
      return: () => {
        this.close()
        return Promise.resolve({value: undefined, done: true})
      },
    }
  }
}
