import fs from "node:fs";

/**
 * `node --import tsx bench/http/profile-summary.ts FILE.cpuprofile`: where a CPU profile of the
 * application (`npm run bench:http -- --cpu-prof DIR`) spent its time, by function (self time)
 * and by package or file, as shares of the samples.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

function where(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:")) return url;
  if (url === "") return "(native or idle)";
  return url.replace(/^file:\/\/.*?\/(app|server|build|db|policies)\//, "$1/");
}

const file = process.argv[2];
if (!file) throw new Error("usage: profile-summary.ts FILE.cpuprofile");
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfCount = new Map<number, number>();
for (const sample of profile.samples) selfCount.set(sample, (selfCount.get(sample) ?? 0) + 1);
const total = profile.samples.length;
const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, count] of selfCount) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const name = `${frame.functionName || "(anonymous)"} ${where(frame.url)}:${frame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + count);
  places.set(where(frame.url), (places.get(where(frame.url)) ?? 0) + count);
}
// Inclusive: every function on a sample's stack, once per sample however deep it recurses.
const parent = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, count] of selfCount) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (!frame?.functionName) continue;
    seen.add(`${frame.functionName} ${where(frame.url)}:${frame.lineNumber + 1}`);
  }
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + count);
}
const top = (map: Map<string, number>, count: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => `${((100 * samples) / total).toFixed(1).padStart(5)}%  ${name}`);
process.stdout.write(
  [
    `${total} samples`,
    "by package or file (self time):",
    ...top(places, 25),
    "by function (self time):",
    ...top(functions, 40),
    "by function (inclusive: on the stack):",
    ...top(inclusive, 60),
  ].join("\n") + "\n",
);
