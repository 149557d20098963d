// The progress line: rewritten in place on a terminal; in a log (not a TTY), a line every few
// seconds instead, so a CI log shows progress without thousands of lines.

export class LiveLine {
  private width = 0;
  private lastLogged = -Infinity;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly logEveryMs = 5000,
  ) {}

  show(line: string): void {
    if (this.out.isTTY === true) {
      const columns = this.out.columns > 1 ? this.out.columns - 1 : 120;
      const text = line.length > columns ? `${line.slice(0, columns - 1)}…` : line;
      this.out.write(`\r${text.padEnd(this.width)}`);
      this.width = text.length;
      return;
    }
    const now = performance.now();
    if (now - this.lastLogged >= this.logEveryMs) {
      this.lastLogged = now;
      this.out.write(`${line}\n`);
    }
  }

  /** End the line (on a terminal) so the next output starts on a fresh one. */
  done(): void {
    if (this.out.isTTY === true && this.width > 0) this.out.write("\n");
    this.width = 0;
    this.lastLogged = -Infinity;
  }
}
