/**
 * The peak resident set size of this process: the kernel's own high-water mark (getrusage maxrss),
 * which catches spikes that sampling would miss; the process is fresh for each fleet size.
 */
export class PeakRss {
  private sampled = process.memoryUsage.rss();
  private readonly timer = setInterval(() => {
    this.sampled = Math.max(this.sampled, process.memoryUsage.rss());
  }, 100);

  constructor() {
    this.timer.unref();
  }

  bytes(): number {
    // maxRSS is in kibibytes on Linux.
    return Math.max(this.sampled, process.resourceUsage().maxRSS * 1024);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
