// Node module-resolution hook: maps the bare specifier "autotrex" to this package's public
// API, so a profile outside the project (no node_modules next to it) can import it.
const apiUrl = new URL("../index.ts", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "autotrex") return { url: apiUrl, shortCircuit: true };
  return nextResolve(specifier, context);
}
