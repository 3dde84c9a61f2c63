#!/usr/bin/env bash
# Runs TRex's own Python client (STLClient, from a trex-core checkout) against
# `autotrex emulate` on loopback and checks its counters against the DUT model.
#
#   TREX_CORE=/path/to/trex-core scripts/check-python-client.sh [driver args...]
#
# Driver args (scripts/check_python_client.py): --pps N --duration D --frame-size S
# --dut default|ideal|software (also given to the emulator). Extra emulator flags can be
# given in EMULATE_FLAGS (e.g. "--time-scale 0.1"); the default is --time-scale 0 (trials
# end at once).
# Needs Debian's python3 with python3-zmq, python3-scapy and python3-yaml. TRex's bundled
# external_libs are used when they import; otherwise (or with TREX_USE_SYSTEM_LIBS=1) a shim
# points TRex at Debian's modules.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
: "${TREX_CORE:?set TREX_CORE to a trex-core checkout}"
python="${PYTHON:-/usr/bin/python3}"
interactive="$TREX_CORE/scripts/automation/trex_control_plane/interactive"
[ -d "$interactive/trex" ] || { echo "no $interactive/trex: is TREX_CORE a trex-core checkout?" >&2; exit 2; }
export PYTHONPATH="$interactive${PYTHONPATH:+:$PYTHONPATH}"

work="$(mktemp -d)"
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ]; then kill -TERM "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${TREX_USE_SYSTEM_LIBS:-}" ] ||
  ! "$python" -c 'import trex.stl.api, zmq; zmq.Context().term()' >/dev/null 2>&1; then
  # Bundled libs do not load here: keep TRex's pure-Python ones, let yaml/scapy/zmq come
  # from the system by giving TRex empty directories for them.
  ext="$TREX_CORE/scripts/external_libs"
  shim="$work/external_libs"
  mkdir -p "$shim/pyyaml-3.11/python3" "$shim/scapy-2.4.3" "$shim/pyzmq-ctypes"
  for d in texttable-0.8.4 simpy-3.0.10 trex-openssl dpkt-1.9.1 repoze; do ln -s "$ext/$d" "$shim/$d"; done
  export TREX_EXT_LIBS="$shim"
  echo "using system yaml/scapy/zmq (TREX_EXT_LIBS=$shim)"
fi

# The driver's --dut is the emulator's too, so the model it checks against is the one served.
dut="default"
args=("$@")
for i in "${!args[@]}"; do
  [ "${args[$i]}" = "--dut" ] && dut="${args[$((i + 1))]:-default}"
done
# shellcheck disable=SC2086
node "$root/bin/autotrex.js" emulate --port 0 --async-port 0 --time-scale 0 --dut "$dut" ${EMULATE_FLAGS:-} \
  >"$work/emulate.log" 2>&1 &
emu_pid=$!
for _ in $(seq 1 100); do
  grep -q '^async events on ' "$work/emulate.log" 2>/dev/null && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulate.log" >&2; exit 3; }
  sleep 0.1
done
sync_port="$(sed -n 's|^listening on tcp://.*:\([0-9]*\)$|\1|p' "$work/emulate.log")"
async_port="$(sed -n 's|^async events on tcp://.*:\([0-9]*\)$|\1|p' "$work/emulate.log")"
[ -n "$sync_port" ] && [ -n "$async_port" ] || { cat "$work/emulate.log" >&2; exit 3; }
echo "emulator: sync port $sync_port, async port $async_port"

"$python" -W ignore "$here/check_python_client.py" --sync-port "$sync_port" --async-port "$async_port" "$@"
