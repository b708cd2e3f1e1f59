// Starts a verification thread: its code is TypeScript, so load it through tsx whatever started
// this process (`node --import tsx`, vitest, the production server).
import { tsImport } from "tsx/esm/api";

await tsImport("./verify-worker.ts", import.meta.url);
