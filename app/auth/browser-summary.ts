/**
 * A browser's User-Agent in words a person recognises ("Chrome on Windows", "Safari on iPhone"),
 * for "Your sign-ins". Only the browser family and the operating system: enough to tell one's own
 * devices apart, no versions to misread. A User-Agent is whatever the client sent, so anything
 * unrecognised is "An unknown browser", never the raw text.
 */

const BROWSERS: [RegExp, string][] = [
  // Order matters: Edge, Opera and Samsung Internet also say "Chrome"; Chrome also says "Safari".
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\b(OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(Firefox|FxiOS)\//, "Firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/\bMSIE |\bTrident\//, "Internet Explorer"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "Mac"],
  [/\bLinux\b/, "Linux"],
];

function firstMatch(userAgent: string, patterns: [RegExp, string][]): string | null {
  return patterns.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
}

/** "Chrome on Windows", "Firefox", "An unknown browser on Linux", or "An unknown browser". */
export function browserSummary(userAgent: string | null | undefined): string {
  const agent = userAgent ?? "";
  const browser = firstMatch(agent, BROWSERS) ?? "An unknown browser";
  const system = firstMatch(agent, SYSTEMS);
  return system ? `${browser} on ${system}` : browser;
}
