/**
 * What a scenario must undo however it ends (servers, PostgreSQL, data directories, mounts), undone
 * last-first. Every step runs even when an earlier one fails; the first failure is then thrown.
 */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];

  /** Remember a step, to run before those remembered earlier. */
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    let failure: unknown = null;
    while (this.steps.length) {
      const step = this.steps.pop();
      try {
        await step?.();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }
}
