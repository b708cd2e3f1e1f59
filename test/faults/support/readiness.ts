/** One answer of GET /readyz: its status (or the error instead), and how long it took. */
export interface ReadinessSample {
  at: number;
  status: number | string;
  ms: number;
}

/** Ask GET /readyz once, giving up after `timeoutMs` (its status is then "timed out"). */
export async function readyz(baseUrl: string, timeoutMs = 5_000): Promise<ReadinessSample> {
  const at = Date.now();
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { at, status: response.status, ms: Date.now() - at };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    const cause =
      error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
    return {
      at,
      status: name === "TimeoutError" ? "timed out" : (cause?.code ?? String(error)),
      ms: Date.now() - at,
    };
  }
}

/** GET /readyz every `everyMs` until stopped, keeping every answer. */
export function watchReadiness(
  baseUrl: string,
  everyMs = 200,
): { samples: ReadinessSample[]; stop(): Promise<ReadinessSample[]> } {
  const samples: ReadinessSample[] = [];
  let watching = true;
  const finished = (async () => {
    while (watching) {
      samples.push(await readyz(baseUrl));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    samples,
    stop: async () => {
      watching = false;
      await finished;
      return samples;
    },
  };
}

/**
 * Poll `probe` until it returns true or `withinMs` passes: the milliseconds it took, or null if it
 * never did.
 */
export async function timeUntil(
  probe: () => Promise<boolean>,
  withinMs: number,
  everyMs = 100,
): Promise<number | null> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > withinMs) return null;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
