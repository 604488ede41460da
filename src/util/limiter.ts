// A concurrency limit: at most n tasks in flight, the rest wait in FIFO order. It keeps thousands of
// simulated nodes from opening thousands of simultaneous requests (the simulator, the agent's Lease
// renewals) and can bound sandbox starts (containerd runtime). It does not retry; tasks handle their own errors.
// A task that starts at once costs one promise reaction (the fleet runs two per pod); only a waiting one
// gets a promise of its own. A task that throws instead of rejecting fails the same way and frees its slot.
export class Limiter {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly release = () => {
    this.inFlight--;
    const next = this.waiting.shift();
    if (next) next();
  };

  constructor(private readonly max: number) {}

  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight < this.max) return this.start(task);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => this.start(task).then(resolve, reject));
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.inFlight++;
    let p: Promise<T>;
    try {
      p = task();
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      (v) => {
        this.release();
        return v;
      },
      (err: unknown) => {
        this.release();
        throw err;
      },
    );
  }
}
