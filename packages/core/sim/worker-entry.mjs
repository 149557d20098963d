// Worker threads on Node 20 do not inherit tsx's loader, so each worker loads the TypeScript
// worker through tsx's API.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
