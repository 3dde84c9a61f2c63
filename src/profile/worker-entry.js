// Entry of the worker thread that runs a profile's code (src/profile/worker.ts), so that a
// profile stuck at import or in streams() cannot block the CLI: the main thread stays free to
// answer Ctrl-C and to enforce the time limit, and ends the worker. Plain JavaScript because a
// worker does not inherit the main thread's module hooks (Node 20): it registers tsx and the
// "autotrex" resolve hook itself before importing the TypeScript.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";
import { existsSync } from "node:fs";

// Compiled (dist/, no worker.ts here): load the public API natively first, since once the hooks
// are registered every module load crosses to the hooks thread; the profile then finds it loaded.
if (!existsSync(new URL("./worker.ts", import.meta.url))) await import("../index.js");
registerTsx();
register("./resolve-hook.js", import.meta.url);
await import("./worker.ts");
