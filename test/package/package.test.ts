/**
 * The package as published: what `npm pack` ships, the command table, the shipped profiles by
 * name. The full install (tarball into a prefix, run from outside) is scripts/install-test.sh.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { COMMANDS, version } from "../../src/cli/main.ts";
import {
  BUNDLED_PROFILES_DIR,
  bundledDescription,
  bundledProfiles,
  closestNames,
  resolveProfileArgument,
} from "../../src/profile/bundled.ts";
import { loadProfile } from "../../src/profile/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "autotrex-package-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("package.json", () => {
  it("ships compiled code with its types, the bin and the profiles, not tests or bench", () => {
    // --ignore-scripts: the file list only, without building dist/ again.
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as Array<{ files: Array<{ path: string }> }>;
    const files = packed.files.map((f) => f.path);
    expect(files).toContain("bin/autotrex.js");
    expect(files).toContain("profiles/tcp_1pkt.ts");
    expect(files).toContain("package.json");
    expect(files.filter((f) => /^(test|bench|src|scripts|results)\/|fixtures/.test(f))).toEqual([]);
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(pkg.bin.autotrex).toBe("bin/autotrex.js");
    expect(pkg.files).toContain("dist/");
    expect(pkg.scripts.prepack).toMatch(/build/);
    // No install-time script: npm never builds (or asks to allow a build) where it installs autotrex.
    expect(pkg.scripts).not.toHaveProperty("prepare");
    // Everything the package needs at run time comes from the registry, prebuilt.
    expect(pkg.overrides).toBeUndefined();
    expect(pkg.dependencies).not.toHaveProperty("chartjs-node-canvas");
    expect(pkg.dependencies).not.toHaveProperty("canvas");
  });

  it("autotrex --version prints the package's version", () => {
    expect(version()).toBe(pkg.version);
    const out = execFileSync(process.execPath, [join(root, "bin/autotrex.js"), "--version"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe(pkg.version);
  });
});

describe("command table", () => {
  it("each summary in `autotrex --help` is its command's own description", async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const program = new Command();
      (await entry.load()).register(program, () => {});
      const command = program.commands.find((c) => c.name() === name);
      expect(command?.description(), name).toBe(entry.summary);
    }
  });
});

describe("shipped profiles", () => {
  const profiles = bundledProfiles();

  it("are the repository's profiles/ directory, each with the description it declares", async () => {
    expect(BUNDLED_PROFILES_DIR).toBe(join(root, "profiles/"));
    expect(profiles.map((p) => p.name)).toContain("tcp_1pkt");
    expect(profiles.length).toBeGreaterThanOrEqual(13);
    for (const p of profiles) {
      const loaded = await loadProfile(p.path, { frameSizes: [1518] });
      expect(bundledDescription(p), p.name).toBe(loaded.description);
    }
  });

  it("a bare name or name.ts is the shipped file; a path that exists wins", () => {
    const tcp = join(root, "profiles/tcp_1pkt.ts");
    expect(resolveProfileArgument("tcp_1pkt")).toBe(tcp);
    expect(resolveProfileArgument("tcp_1pkt.ts")).toBe(tcp);
    const own = join(dir, "tcp_1pkt.ts");
    writeFileSync(own, "export default {};\n");
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(resolveProfileArgument("tcp_1pkt.ts")).toBe("tcp_1pkt.ts");
      expect(resolveProfileArgument("tcp_1pkt")).toBe(tcp);
    } finally {
      process.chdir(cwd);
    }
    // A path with a directory part is never a name: the loader says it is missing.
    expect(resolveProfileArgument("somewhere/tcp_1pkt.ts")).toBe("somewhere/tcp_1pkt.ts");
  });

  it("an unknown name is one error listing the closest shipped names", () => {
    expect(() => resolveProfileArgument("tcp_1pkt_rnd")).toThrow(
      'no such profile file or shipped profile "tcp_1pkt_rnd" (closest: tcp_1pkt_rand, tcp_1pkt_ip6, tcp_1pkt; `autotrex profiles` lists them all)',
    );
    expect(() => resolveProfileArgument("tcp_1pkt.js")).toThrow(/closest: tcp_1pkt,/);
    expect(closestNames("SRV6", ["tcp_1pkt", "srv6_1pkt", "imix"])).toEqual([
      "imix",
      "srv6_1pkt",
      "tcp_1pkt",
    ]);
    expect(closestNames("srv6_1pk", ["tcp_1pkt", "srv6_1pkt", "imix"])[0]).toBe("srv6_1pkt");
  });
});

describe("the command, from a directory outside the repository", () => {
  const bin = join(root, "bin/autotrex.js");
  const autotrex = (args: string[], cwd: string) =>
    promisify(execFile)(process.execPath, [bin, ...args], { cwd }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("autotrex profiles lists every shipped profile with its description", async () => {
    const { code, stdout } = await autotrex(["profiles"], dir);
    expect(code).toBe(0);
    for (const p of bundledProfiles())
      expect(stdout).toMatch(new RegExp(`^${p.name} +${escape(bundledDescription(p))}$`, "m"));
    const json = JSON.parse((await autotrex(["profiles", "--json"], dir)).stdout);
    expect(json.profiles.map((p: { name: string }) => p.name)).toEqual(
      bundledProfiles().map((p) => p.name),
    );
  });

  it("autotrex run tcp_1pkt --emulate measures the shipped profile; an unknown name exits 2", async () => {
    const out = join(dir, "R");
    const { code, stdout } = await autotrex(
      ["run", "tcp_1pkt", "--emulate", "--sizes", "64", "--out", out, "--quiet"],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toBe("");
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(result.parameters.profilePath).toBe(join(root, "profiles/tcp_1pkt.ts"));
    expect(result.sizes.map((s: { frameSize: number }) => s.frameSize)).toEqual([64]);
    const unknown = await autotrex(["run", "tcp_1pkt_rnd", "--emulate"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^autotrex: no such profile file or shipped profile "tcp_1pkt_rnd" \(closest: tcp_1pkt_rand,/,
    );
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("bin/autotrex.js", () => {
  it("runs dist/ when built after the last source edit, the sources through tsx otherwise", () => {
    // A stand-in checkout: each entry point says which one ran.
    const fake = mkdtempSync(join(dir, "checkout-"));
    mkdirSync(join(fake, "bin"));
    mkdirSync(join(fake, "dist/cli"), { recursive: true });
    mkdirSync(join(fake, "src/cli"), { recursive: true });
    copyFileSync(join(root, "bin/autotrex.js"), join(fake, "bin/autotrex.js"));
    writeFileSync(join(fake, "package.json"), '{ "type": "module" }\n');
    symlinkSync(join(root, "node_modules"), join(fake, "node_modules"));
    const entry = (which: string, ts: boolean) =>
      `export async function main()${ts ? ": Promise<number>" : ""} { console.log("${which}"); return 0; }\n`;
    writeFileSync(join(fake, "dist/cli/main.js"), entry("dist", false));
    writeFileSync(join(fake, "src/cli/main.ts"), entry("src", true));
    const ran = (env: NodeJS.ProcessEnv = {}) =>
      execFileSync(process.execPath, [join(fake, "bin/autotrex.js")], {
        encoding: "utf8",
        env: { ...process.env, AUTOTREX_FROM_SOURCE: "", ...env },
      }).trim();
    const at = (file: string, s: number) => utimesSync(join(fake, file), s, s);
    expect(ran()).toBe("src"); // no build stamp: never built
    writeFileSync(join(fake, "dist/.build-stamp"), "");
    at("src/cli/main.ts", 1_000);
    at("dist/.build-stamp", 2_000);
    expect(ran()).toBe("dist");
    expect(ran({ AUTOTREX_FROM_SOURCE: "1" })).toBe("src");
    at("src/cli/main.ts", 3_000); // edited after the build
    expect(ran()).toBe("src");
    // An installed package has no src/: always dist/.
    rmSync(join(fake, "src"), { recursive: true });
    expect(ran()).toBe("dist");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
