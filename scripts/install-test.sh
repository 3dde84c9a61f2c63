#!/usr/bin/env bash
# Install test (run by .ci/run): packs autotrex, installs the tarball as a user would
# (`npm install -g --prefix DIR`, packages from the npm registry only) and, from a directory
# outside the repository, runs the installed command: --version, profiles, a two-size run on
# the emulator by a shipped profile's name, simulate of a user profile that imports from
# "autotrex", the agent (serve + run --agent); then a project that depends on autotrex runs
# it through npx and type-checks that profile (tsc --noEmit).
# Usage: scripts/install-test.sh [--keep]   (--keep leaves the temp directory for a look)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/autotrex-install-XXXXXX")"
[[ "${1:-}" == "--keep" ]] || trap 'rm -rf "$work"' EXIT
fail() {
  echo "install-test: FAIL: $*" >&2
  exit 1
}
step() { echo "install-test: $*"; }
# Packages come from the registry npm is configured with (through its cache), never from the
# repository's node_modules.
npm_quiet=(--no-audit --no-fund --loglevel=error --prefer-offline)

step "build, then pack"
(cd "$repo" && npm run --silent build) || fail "npm run build (errors above)"
# prepack would build again: the build above is the one packed.
tarball="$(cd "$repo" && npm pack --ignore-scripts --pack-destination "$work" "${npm_quiet[@]}" | tail -n 1)"
tarball="$work/$tarball"
[[ -f "$tarball" ]] || fail "npm pack wrote no tarball"
if tar tzf "$tarball" | grep -E '^package/(test|bench|src|scripts|results)/|fixtures' >/dev/null; then
  fail "the tarball ships tests, bench, sources or fixtures: $(tar tzf "$tarball" | grep -E '^package/(test|bench|src|scripts|results)/|fixtures' | head -3 | tr '\n' ' ')"
fi

step "npm install -g --prefix $work/prefix $(basename "$tarball")"
npm install -g --prefix "$work/prefix" "${npm_quiet[@]}" "$tarball"
export PATH="$work/prefix/bin:$PATH"
bin="$(command -v autotrex)"
[[ "$bin" == "$work/prefix/bin/autotrex" ]] || fail "autotrex on PATH is $bin, not the installed one"

user="$work/user"
mkdir -p "$user"
cd "$user"

version="$(autotrex --version)"
expected="$(node -p "require('$repo/package.json').version")"
[[ "$version" == "$expected" ]] || fail "autotrex --version printed '$version', expected $expected"
step "autotrex --version: $version"

profiles="$(autotrex profiles)"
grep -q '^tcp_1pkt  *One IPv4/TCP stream' <<<"$profiles" || fail "autotrex profiles lacks tcp_1pkt: $profiles"
step "autotrex profiles: $(grep -c . <<<"$profiles") lines"

step "autotrex run tcp_1pkt.ts --emulate --sizes 64,1518 --out R"
autotrex run tcp_1pkt.ts --emulate --sizes 64,1518 --out R --quiet
for f in result.json Mpps.csv L1Gbps.csv L2Gbps.csv summary.csv trials.csv Mpps.png L1Gbps.png L2Gbps.png; do
  [[ -s "R/$f" ]] || fail "the run wrote no R/$f"
done
for png in R/*.png; do
  [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || fail "$png is not a PNG"
done
node -e '
  const r = JSON.parse(require("fs").readFileSync("R/result.json", "utf8"));
  const sizes = r.sizes.map((s) => s.frameSize).join(",");
  if (r.status !== "complete" || sizes !== "64,1518") {
    console.error(`result.json: status ${r.status}, sizes ${sizes}`);
    process.exit(1);
  }
' || fail "R/result.json is not a complete 64,1518 run"

step "simulate a user profile that imports from \"autotrex\""
cat >"$user/my_udp.ts" <<'EOF'
import { defineProfile, Ether, IP, packet, UDP } from "autotrex";

export default defineProfile({
  description: "a user's IPv4/UDP stream",
  streams: () => [
    { packet: packet(Ether(), IP({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ dport: 53 })) },
  ],
});
EOF
out="$(autotrex simulate my_udp.ts --count 3 --pcap my.pcap)"
grep -q 'Ether / IPv4 10.0.0.1 > 10.0.0.2 / UDP 53 > 53' <<<"$out" || fail "simulate printed: $out"
grep -q '^# wrote 3 packets' <<<"$out" || fail "simulate printed no summary: $out"

step "the agent from the installed package (its .proto found from dist/): serve, then run --agent"
printf 'install-test-token-%s\n' "$RANDOM$RANDOM$RANDOM" >"$user/token"
chmod 600 "$user/token"
port=$((20000 + RANDOM % 20000))
shipped="$work/prefix/lib/node_modules/autotrex/profiles"
autotrex serve --token-file "$user/token" --emulate --listen "127.0.0.1:$port" \
  --profiles-dir "$shipped" --results "$user/agent-results" >"$user/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 50); do
  grep -q "listening" "$user/serve.log" && break
  sleep 0.2
done
grep -q "listening" "$user/serve.log" || fail "autotrex serve did not start: $(cat "$user/serve.log")"
autotrex run --agent "127.0.0.1:$port" --token-file "$user/token" tcp_1pkt --sizes 64 --out A --quiet ||
  fail "run --agent failed"
kill "$serve_pid"
wait "$serve_pid" || true
[[ -s A/result.json ]] || fail "run --agent wrote no A/result.json"

step "a project with autotrex as a dependency: npx autotrex, and tsc --noEmit on the profile"
project="$work/project"
mkdir -p "$project"
cp "$user/my_udp.ts" "$project/"
cd "$project"
echo '{ "name": "bench-project", "private": true, "type": "module" }' >package.json
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "target": "es2022",
    "strict": true,
    "noEmit": true,
    "types": []
  },
  "include": ["my_udp.ts"]
}
EOF
npm install "${npm_quiet[@]}" "$tarball"
npx --no-install autotrex simulate my_udp.ts --count 1 | grep -q 'UDP 53 > 53' || fail "npx autotrex simulate failed"
node "$repo/node_modules/typescript/bin/tsc" -p "$project" || fail "tsc --noEmit on a user profile"

step "PASS"
