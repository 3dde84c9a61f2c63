/**
 * The profiles shipped with autotrex (the package's profiles/ directory), usable by name from
 * any directory: `autotrex run tcp_1pkt` or `tcp_1pkt.ts`. A path that exists always wins over
 * a shipped profile of the same name.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ProfileError } from "./profile.ts";

/** profiles/ at the package root: two levels up from both src/profile/ and dist/profile/. */
export const BUNDLED_PROFILES_DIR = fileURLToPath(new URL("../../profiles/", import.meta.url));
const PROFILE_EXTENSION = ".ts";
/** How many near names an unknown one is answered with. */
const CLOSEST_COUNT = 3;

export interface BundledProfile {
  /** "tcp_1pkt" */
  name: string;
  /** Absolute path of the file. */
  path: string;
}

/** The shipped profiles, by name. */
export function bundledProfiles(dir = BUNDLED_PROFILES_DIR): BundledProfile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => extname(f) === PROFILE_EXTENSION)
    .sort()
    .map((f) => ({ name: basename(f, PROFILE_EXTENSION), path: join(dir, f) }));
}

/**
 * A shipped profile's description, read from its source without running it (listing all of
 * them stays instant); a test checks it against the loaded profile's.
 */
export function bundledDescription(profile: BundledProfile): string {
  const match = /\bdescription:\s*("(?:[^"\\\n]|\\.)*")/.exec(readFileSync(profile.path, "utf8"));
  return match ? (JSON.parse(match[1]) as string).trim() : "";
}

/**
 * The file a profile argument means: the path itself when it exists or names a directory part
 * (`./x.ts`, `profiles/x.ts`; the loader reports a missing one), else the shipped profile of
 * that name, with or without its extension. An unknown bare name is a ProfileError listing the
 * closest shipped names.
 */
export function resolveProfileArgument(arg: string, dir = BUNDLED_PROFILES_DIR): string {
  if (existsSync(resolve(arg)) || arg.includes("/") || arg.includes("\\")) return arg;
  const name = extname(arg) === "" ? arg : basename(arg, extname(arg));
  const profiles = bundledProfiles(dir);
  const shipped = profiles.find((p) => p.name === name);
  if (shipped && (extname(arg) === "" || extname(arg) === PROFILE_EXTENSION)) return shipped.path;
  const closest = closestNames(
    name,
    profiles.map((p) => p.name),
  );
  const hint =
    closest.length > 0
      ? ` (closest: ${closest.join(", ")}; \`autotrex profiles\` lists them all)`
      : "";
  throw new ProfileError(`no such profile file or shipped profile "${arg}"${hint}`);
}

/** The names nearest to `name` by edit distance, nearest first (ties in name order). */
export function closestNames(name: string, names: readonly string[]): string[] {
  return names
    .map((n) => ({ n, d: editDistance(name.toLowerCase(), n.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, CLOSEST_COUNT)
    .map((x) => x.n);
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
