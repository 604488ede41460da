// A concurrency limit: at most n tasks in flight, the rest wait in FIFO order. It keeps thousands of
// simulated nodes from opening thousands of simultaneous requests (the simulator, the agent's Lease
// renewals) and can bound sandbox starts (containerd runtime). It does not retry; tasks handle their own errors.
export class Limiter {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.inFlight++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.inFlight--;
            const next = this.waiting.shift();
            if (next) next();
          });
      };
      if (this.inFlight < this.max) start();
      else this.waiting.push(start);
    });
  }
}
