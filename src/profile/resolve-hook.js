// Node module-resolution hook for the profile worker (registered by worker-entry.js after tsx):
// - maps the bare specifier "autotrex" to this package's public API, so a profile outside the
//   project (no node_modules next to it) can import it; the mapped URL goes on down the chain
//   so that tsx still compiles the TypeScript;
// - makes a profile (imported by the loader with the PROFILE_QUERY marker) and the local files
//   it imports ES modules, even where no package.json says "type": "module" (e.g. /tmp):
//   otherwise Node would load them as CommonJS and `export default` would fail.
import { existsSync } from "node:fs";

// dist/index.js next to a compiled hook, src/index.ts next to the source one.
const compiledApi = new URL("../index.js", import.meta.url);
const apiUrl = (existsSync(compiledApi) ? compiledApi : new URL("../index.ts", import.meta.url))
  .href;
const PROFILE_QUERY = "autotrex-profile";

function isMarked(url) {
  return (
    typeof url === "string" &&
    url.startsWith("file:") &&
    new URL(url).searchParams.has(PROFILE_QUERY)
  );
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "autotrex") return nextResolve(apiUrl, context);
  const result = await nextResolve(specifier, context);
  const relative = specifier.startsWith("./") || specifier.startsWith("../");
  if (
    isMarked(result.url) ||
    (relative && isMarked(context.parentURL) && result.url.startsWith("file:"))
  ) {
    const url = new URL(result.url);
    if (url.pathname.includes("/node_modules/")) return result;
    url.searchParams.set(PROFILE_QUERY, "");
    return { ...result, url: url.href, format: "module" };
  }
  return result;
}
