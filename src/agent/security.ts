/**
 * What keeps the agent from being a remote shell: a bearer token compared in constant time,
 * profiles only by name from one directory, loopback unless TLS is on.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { isIP } from "node:net";
import { join, sep } from "node:path";

/** Reads a token file: the first line, trimmed; refuses an empty token. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(
      `token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (token.length < 16)
    throw new Error(`token file ${path}: the token must be at least 16 characters`);
  return token;
}

/** Constant-time comparison of an `authorization` metadata value with the expected token. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const given = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  // Hash both sides so the comparison takes the same time whatever their lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

export class ProfileAccessError extends Error {
  constructor(
    message: string,
    /** true: the name tried to leave the directory; false: no such profile. */
    readonly escape: boolean,
  ) {
    super(message);
    this.name = "ProfileAccessError";
  }
}

const PROFILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Resolves a profile name inside `profilesDir`; names with paths or links out are refused. */
export function resolveProfileName(profilesDir: string, name: string): string {
  if (!PROFILE_NAME.test(name) || name.includes("..")) {
    throw new ProfileAccessError(
      `profile ${JSON.stringify(name)} is not a plain file name in the profiles directory`,
      true,
    );
  }
  const root = realpathSync(profilesDir);
  const candidates = /\.(ts|js|mts|mjs)$/.test(name) ? [name] : [`${name}.ts`, `${name}.js`];
  for (const candidate of candidates) {
    const path = join(root, candidate);
    if (!existsSync(path)) continue;
    const real = realpathSync(path);
    if (!real.startsWith(root + sep)) {
      throw new ProfileAccessError(
        `profile ${JSON.stringify(name)} resolves outside the profiles directory`,
        true,
      );
    }
    return real;
  }
  throw new ProfileAccessError(
    `no profile ${JSON.stringify(name)} in the profiles directory`,
    false,
  );
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1";
  return false;
}

/** Splits "host:port" / "[v6]:port". */
export function splitHostPort(
  address: string,
  defaultPort: number,
): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  if (!m) throw new Error(`${JSON.stringify(address)} is not HOST:PORT`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${address}: port out of range`);
  return { host: m[1], port };
}
