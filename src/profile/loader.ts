/**
 * Loads a .ts/.js profile from anywhere on disk at run time. The TypeScript is compiled on
 * import by tsx (the CLI registers it) or by vitest; `import ... from "autotrex"` resolves
 * through src/profile/resolve-hook.js (CLI) or the vitest alias.
 */
import { existsSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  checkDefinition,
  isProfile,
  locate,
  ProfileError,
  setProfileOrigin,
  type ProfileDefinition,
} from "./profile.ts";

export interface LoadedProfile {
  /** File name without extension: "tcp_1pkt". */
  name: string;
  description: string;
  /** Absolute path. */
  path: string;
  profile: ProfileDefinition;
}

const PROFILE_QUERY = "autotrex-profile";
const EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);

export async function loadProfile(path: string): Promise<LoadedProfile> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ProfileError("no such profile file", { file: abs });
  if (!statSync(abs).isFile()) throw new ProfileError("not a file", { file: abs });
  const ext = extname(abs);
  if (!EXTENSIONS.has(ext))
    throw new ProfileError(
      `not a profile: expected a .ts or .js file, got "${ext || "no extension"}"`,
      {
        file: abs,
      },
    );

  let mod: Record<string, unknown>;
  try {
    // The marker query lets the CLI's resolve hook load the profile as an ES module wherever
    // it lives (resolve-hook.js); elsewhere (vitest) it is ignored.
    const url = `${pathToFileURL(abs).href}?${PROFILE_QUERY}`;
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw importError(err, abs);
  }
  const exported = mod.default;
  if (exported === undefined)
    throw new ProfileError(
      "not a profile: no default export (write `export default defineProfile({ description, streams })`)",
      { file: abs },
    );
  let profile: ProfileDefinition;
  try {
    profile = isProfile(exported) ? exported : checkDefinition(exported);
  } catch (err) {
    throw new ProfileError(`not a profile: ${(err as Error).message}`, { file: abs });
  }
  setProfileOrigin(profile, abs);
  return {
    name: basename(abs, ext),
    description: profile.description.trim(),
    path: abs,
    profile,
  };
}

/** A profile that does not compile or throws at import: name the file and, if known, the line. */
function importError(err: unknown, abs: string): ProfileError {
  const e = err instanceof Error ? err : new Error(String(err));
  const where = locate(e, abs);
  const syntax =
    e.name === "SyntaxError" ||
    /Transform failed|Expected|Unexpected|ERROR:/.test(e.message) ||
    (e as { plugin?: unknown }).plugin !== undefined;
  // Bundler messages repeat the path and location; keep the first meaningful line.
  const first = firstMeaningfulLine(e.message, abs);
  return new ProfileError(`${syntax ? "syntax error" : "failed to load"}: ${first}`, {
    file: abs,
    ...where,
  });
}

function firstMeaningfulLine(message: string, abs: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^Transform failed with \d+ error/.test(l));
  const line = lines[0] ?? "unknown error";
  // "/abs/file.ts:3:7: ERROR: Expected ..." → "Expected ..."
  return line
    .replace(
      new RegExp(`^(file://)?${abs.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:\\d+)*:?\\s*`),
      "",
    )
    .replace(/^ERROR:\s*/, "");
}
