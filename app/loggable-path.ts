/**
 * A request's path as the logs may hold it: never its query string (search terms can be personal
 * data), and a one-time set-password link's token, which is a credential, replaced.
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/set-password\/[^/]+/, "/set-password/[token]");
}
