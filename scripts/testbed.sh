#!/usr/bin/env bash
# A TRex testbed on one Linux box: two veth pairs and a network namespace in which the Linux
# kernel forwards IPv4 between them (the DUT). See docs/real-trex.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/testbed.sh COMMAND [options]          (as root)

Commands:
  up [--cfg FILE] [--trex DIR]   create the testbed (idempotent) and write trex_cfg.yaml;
                                 with --trex also start the TRex server from DIR
  down                           stop the TRex server started here, remove the testbed
  status                         show each part; exit 0 when the testbed is complete
  trex-start DIR [--cfg FILE]    start TRex from DIR (_t-rex-64 or t-rex-64), wait for 4501
  trex-stop                      stop the TRex server started by trex-start
  -h, --help                     this text

Layout (traffic never leaves the machine):
  TRex port 0  atx-p0 (root ns) <-veth-> atx-d0 10.10.0.1/24 fd00:10::1/64 ┐ netns atx-dut:
  TRex port 1  atx-p1 (root ns) <-veth-> atx-d1 10.20.0.1/24 fd00:20::1/64 ┘ forwarding on
  The netns routes the shipped profiles' sources to port 0 (16-18.0.0.0/8, aa::/16, dd::/16)
  and their destinations to port 1 (48.0.0.0/8, 1.0.0.0/8, bb::/16, ee::/16), with static
  ARP/ND to TRex's MACs; it has no link-local address and sends no router solicitations.
  atx-p0/atx-p1 have no address, no IPv6, forwarding=0, never answer ARP, and
  what arrives on them is routed to a blackhole (ip rule iif ... table 5001).
  MTU 9216 everywhere (9216 B frames).

Environment:
  ATX_STATE_DIR   state directory (default /run/autotrex-testbed): trex_cfg.yaml,
                  trex.pid, trex.log
  ATX_TREX_CFG    trex_cfg.yaml path (default: where 'up' last wrote it, else
                  $ATX_STATE_DIR/trex_cfg.yaml); --cfg wins
  ATX_TREX_PORT   RPC port to wait for (default 4501)
  ATX_TREX_START_TIMEOUT_S   seconds to wait for TRex to answer (default 60)
EOF
}

# --- the one place each decision of the layout is made -------------------------------------
NETNS=atx-dut
GEN_IFS=(atx-p0 atx-p1)                          # TRex ports 0 and 1, root namespace
DUT_IFS=(atx-d0 atx-d1)                          # their veth peers, in $NETNS
GEN_MACS=(02:00:00:a7:00:00 02:00:00:a7:00:01)   # fixed, so the static ARP entries match
DUT_MACS=(02:00:00:a7:d0:00 02:00:00:a7:d0:01)
DUT_IPS=(10.10.0.1 10.20.0.1)                    # the DUT's side of each subnet (/24)
TREX_IPS=(10.10.0.2 10.20.0.2)                   # TRex's port_info ip
# What the DUT routes to each TRex port: the shipped profiles' sources behind port 0
# (tcp_1pkt_rand draws them from 16.0.0.0-18.0.0.254) and their destinations behind port 1
# (tcp_1pkt_254flow and tcp_1pkt_rand send to 1.0.0.1); one string of networks per port.
ROUTED_NETS=("16.0.0.0/8 17.0.0.0/8 18.0.0.0/8" "48.0.0.0/8 1.0.0.0/8")
# The same for IPv6 (tcp_1pkt_ip6 aa::1 -> bb::1; the SRv6 profiles' outer aa::/bb::, their
# inner dd::/ee::): the DUT forwards IPv6 too, on transit (an SRH is not processed on the way).
ROUTED_NETS6=("aa::/16 dd::/16" "bb::/16 ee::/16")
DUT_IP6S=(fd00:10::1 fd00:20::1)                 # the DUT's side of each subnet (/64)
TREX_IP6S=(fd00:10::2 fd00:20::2)                # the next hop the DUT's routes name (static ND)
# Policy routing in the root netns: whatever arrives on a generator-side veth is looked up in
# this table, whose only route is a blackhole, so the host never routes it anywhere (eth0...).
BLACKHOLE_TABLE=5001
MTU=9216                                         # >= 9198: a 9216 B frame is a 9198 B IP packet
# The af_packet ring: TRex's default (framecnt 256) drops above ~150 kpps at its own RX.
AF_PACKET_RING="blocksz=593920,framesz=9280,framecnt=4096"
TREX_FLAGS=(-i --no-scapy-server --no-key --no-termio --iom 0)
STOP_TIMEOUT_S=10

STATE_DIR=${ATX_STATE_DIR:-/run/autotrex-testbed}
CFG_PATH_FILE=$STATE_DIR/cfg-path # where 'up' last wrote the config, for the later commands
if [[ -n ${ATX_TREX_CFG:-} ]]; then
  CFG=$ATX_TREX_CFG
elif [[ -s $CFG_PATH_FILE ]]; then
  CFG=$(cat "$CFG_PATH_FILE")
else
  CFG=$STATE_DIR/trex_cfg.yaml
fi
PID_FILE=$STATE_DIR/trex.pid
LOG_FILE=$STATE_DIR/trex.log
TREX_PORT=${ATX_TREX_PORT:-4501}
START_TIMEOUT_S=${ATX_TREX_START_TIMEOUT_S:-60}

die() {
  echo "testbed: $*" >&2
  exit 1
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (veth, netns and af_packet need it)"
  command -v ip >/dev/null || die "'ip' not found: apt-get install iproute2"
}

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
ns_link_exists() { ip -n "$NETNS" link show dev "$1" >/dev/null 2>&1; }
# No `cmd | grep -q` here: with pipefail, grep quitting early can fail the pipeline (SIGPIPE).
ns_exists() { [[ $'\n'$(ip netns list)$'\n' == *$'\n'"$NETNS"[$' \n']* ]]; }
blackholed() { [[ $(ip rule show pref "$BLACKHOLE_TABLE") == *"iif $1 "* ]]; }

# Generator side: a bare L2 port for TRex's af_packet; the host itself must ignore it.
setup_generator_if() {
  local ifname=$1 mac=$2
  ip link set dev "$ifname" address "$mac" mtu "$MTU"
  ip addr flush dev "$ifname"
  sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1"
  sysctl -qw "net.ipv4.conf.$ifname.forwarding=0"
  sysctl -qw "net.ipv4.conf.$ifname.arp_ignore=8" # never answer ARP for the host's addresses
  sysctl -qw "net.ipv4.conf.$ifname.accept_redirects=0"
  ip route replace blackhole default table "$BLACKHOLE_TABLE"
  blackholed "$ifname" || ip rule add pref "$BLACKHOLE_TABLE" iif "$ifname" table "$BLACKHOLE_TABLE"
  ip link set dev "$ifname" up
}

setup_dut_if() {
  local i=$1 ifname=${DUT_IFS[$1]}
  ip -n "$NETNS" link set dev "$ifname" address "${DUT_MACS[$i]}" mtu "$MTU"
  ip -n "$NETNS" addr replace "${DUT_IPS[$i]}/24" dev "$ifname"
  ip netns exec "$NETNS" sysctl -qw "net.ipv4.conf.$ifname.send_redirects=0"
  # IPv6 without a link-local address or router solicitations: the DUT sends TRex's ports
  # nothing of its own (a stray packet on the rx port would spoil a trial).
  ip netns exec "$NETNS" sysctl -qw "net.ipv6.conf.$ifname.addr_gen_mode=1"
  ip netns exec "$NETNS" sysctl -qw "net.ipv6.conf.$ifname.router_solicitations=0"
  ip netns exec "$NETNS" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=0"
  ip -n "$NETNS" link set dev "$ifname" up
  ip -n "$NETNS" addr replace "${DUT_IP6S[$i]}/64" dev "$ifname" nodad
  # Static ARP/ND to TRex's port and the routes to the profiles' networks behind it.
  ip -n "$NETNS" neigh replace "${TREX_IPS[$i]}" lladdr "${GEN_MACS[$i]}" dev "$ifname" nud permanent
  ip -n "$NETNS" neigh replace "${TREX_IP6S[$i]}" lladdr "${GEN_MACS[$i]}" dev "$ifname" nud permanent
  local net
  for net in ${ROUTED_NETS[$i]}; do
    ip -n "$NETNS" route replace "$net" via "${TREX_IPS[$i]}" dev "$ifname"
  done
  for net in ${ROUTED_NETS6[$i]}; do
    ip -n "$NETNS" -6 route replace "$net" via "${TREX_IP6S[$i]}" dev "$ifname"
  done
}

create_testbed() {
  ns_exists || ip netns add "$NETNS"
  ip -n "$NETNS" link set dev lo up
  local i
  for i in 0 1; do
    if ! link_exists "${GEN_IFS[$i]}"; then
      ns_link_exists "${DUT_IFS[$i]}" && ip -n "$NETNS" link del dev "${DUT_IFS[$i]}"
      ip link add "${GEN_IFS[$i]}" mtu "$MTU" type veth peer name "${DUT_IFS[$i]}" mtu "$MTU" netns "$NETNS"
    fi
    setup_generator_if "${GEN_IFS[$i]}" "${GEN_MACS[$i]}"
  done
  # The DUT: the kernel forwards IPv4 and IPv6; the routes back make rp_filter pass.
  ip netns exec "$NETNS" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.forwarding=1
  for i in 0 1; do setup_dut_if "$i"; done
}

write_config() {
  mkdir -p "$(dirname "$CFG")"
  local tmp="$CFG.tmp.$$" low_end=""
  # Few CPUs: every TRex thread on one core, leaving the other to the kernel DUT.
  if [[ $(nproc) -le 4 ]]; then low_end=$'  low_end: true\n  low_end_core: 1\n'; fi
  cat >"$tmp" <<EOF
# Written by scripts/testbed.sh: TRex ports 0/1 on the testbed's veths ${GEN_IFS[0]}/${GEN_IFS[1]};
# the DUT (netns $NETNS) is resolved by ARP from default_gw.
- version: 2
  port_limit: 2
  interfaces:
    - "--vdev=net_af_packet0,iface=${GEN_IFS[0]},$AF_PACKET_RING"
    - "--vdev=net_af_packet1,iface=${GEN_IFS[1]},$AF_PACKET_RING"
  port_info:
    - ip: ${TREX_IPS[0]}
      default_gw: ${DUT_IPS[0]}
    - ip: ${TREX_IPS[1]}
      default_gw: ${DUT_IPS[1]}
EOF
  printf '%s' "$low_end" >>"$tmp"
  mv "$tmp" "$CFG"
  mkdir -p "$STATE_DIR"
  echo "$CFG" >"$CFG_PATH_FILE"
  echo "testbed: wrote $CFG"
}

trex_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$TREX_PORT") 2>/dev/null; }

trex_start() {
  local dir=$1 binary
  [[ -d $dir ]] || die "TRex directory '$dir' not found"
  dir=$(cd "$dir" && pwd)
  if [[ -x $dir/_t-rex-64 ]]; then
    binary=./_t-rex-64
  elif [[ -x $dir/t-rex-64 ]]; then
    binary=./t-rex-64
  else
    die "no _t-rex-64 or t-rex-64 in $dir"
  fi
  [[ -f $CFG ]] || die "TRex config $CFG not found (run 'up' first or give --cfg)"
  if pid=$(trex_pid); then
    echo "testbed: TRex already running (pid $pid, log $LOG_FILE)"
    return 0
  fi
  port_open && die "something already listens on port $TREX_PORT (another TRex?)"
  mkdir -p "$STATE_DIR"
  # From its own directory: the binary's RUNPATH (so:so/x86_64) is relative to it.
  (cd "$dir" && exec setsid "$binary" "${TREX_FLAGS[@]}" --cfg "$CFG" </dev/null >"$LOG_FILE" 2>&1) &
  echo $! >"$PID_FILE"
  wait_for_trex "$!"
}

wait_for_trex() {
  local pid=$1 waited=0
  until port_open; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      echo "testbed: TRex exited before answering on port $TREX_PORT; last lines of $LOG_FILE:" >&2
      tail -n 15 "$LOG_FILE" >&2
      exit 1
    fi
    if ((waited >= START_TIMEOUT_S * 2)); then
      trex_stop >/dev/null
      die "TRex did not answer on port $TREX_PORT within ${START_TIMEOUT_S} s (log: $LOG_FILE)"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "testbed: TRex running (pid $pid, port $TREX_PORT, log $LOG_FILE)"
}

trex_stop() {
  local pid waited=0
  if ! pid=$(trex_pid); then
    rm -f "$PID_FILE"
    echo "testbed: TRex not running (no live pid in $PID_FILE)"
    return 0
  fi
  kill -INT "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT_S * 10)); then
      kill -KILL "$pid" 2>/dev/null || true
      echo "testbed: TRex did not stop on SIGINT within ${STOP_TIMEOUT_S} s: killed"
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  echo "testbed: TRex stopped (pid $pid)"
}

destroy_testbed() {
  local i
  for i in 0 1; do
    if link_exists "${GEN_IFS[$i]}"; then ip link del dev "${GEN_IFS[$i]}"; fi
  done
  if ns_exists; then ip netns del "$NETNS"; fi
  for i in 0 1; do
    while ip rule del pref "$BLACKHOLE_TABLE" iif "${GEN_IFS[$i]}" 2>/dev/null; do :; done
  done
  ip route flush table "$BLACKHOLE_TABLE" 2>/dev/null || true
  rm -f "$STATE_DIR/trex_cfg.yaml" "$CFG_PATH_FILE"
  echo "testbed: down"
}

# The networks routed to port $1 that the DUT really has a route for, as "NET via HOP, ...".
routes_of() {
  local i=$1 net shown=() hop
  for net in ${ROUTED_NETS[$i]} ${ROUTED_NETS6[$i]}; do
    hop=$(ip -n "$NETNS" route show "$net" 2>/dev/null | awk '{print $3; exit}')
    [[ -n $hop ]] || hop=$(ip -n "$NETNS" -6 route show "$net" 2>/dev/null | awk '{print $3; exit}')
    shown+=("$net via ${hop:-MISSING}")
  done
  local IFS=,
  echo "${shown[*]}"
}

status() {
  local ok=0 i
  if ns_exists; then
    echo "netns $NETNS: present, ip_forward=$(ip netns exec "$NETNS" sysctl -n net.ipv4.ip_forward)"
  else
    echo "netns $NETNS: missing"
    ok=1
  fi
  for i in 0 1; do
    if link_exists "${GEN_IFS[$i]}"; then
      echo "${GEN_IFS[$i]}: $(ip -br link show dev "${GEN_IFS[$i]}" | awk '{print $2, $3}')" \
        "mtu $(cat "/sys/class/net/${GEN_IFS[$i]}/mtu")" \
        "forwarding=$(sysctl -n "net.ipv4.conf.${GEN_IFS[$i]}.forwarding")" \
        "$(blackholed "${GEN_IFS[$i]}" && echo "blackholed (table $BLACKHOLE_TABLE)")"
    else
      echo "${GEN_IFS[$i]}: missing"
      ok=1
    fi
    if ns_exists && ns_link_exists "${DUT_IFS[$i]}"; then
      echo "${DUT_IFS[$i]}: $(ip -n "$NETNS" -br addr show dev "${DUT_IFS[$i]}" | awk '{print $2, $3}')" \
        "routes $(routes_of "$i")"
      [[ $(routes_of "$i") != *MISSING* ]] || ok=1
    else
      echo "${DUT_IFS[$i]}: missing"
      ok=1
    fi
  done
  if [[ -f $CFG ]]; then echo "config: $CFG"; else echo "config: $CFG missing"; fi
  if pid=$(trex_pid); then
    echo "trex: running (pid $pid, log $LOG_FILE)"
  else
    echo "trex: not running"
  fi
  return "$ok"
}

parse_opts() {
  TREX_DIR=""
  while (($# > 0)); do
    case $1 in
      --cfg) CFG=${2:?--cfg needs a file}; shift 2 ;;
      --trex) TREX_DIR=${2:?--trex needs a directory}; shift 2 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option '$1' (see --help)" ;;
    esac
  done
  CFG=$(realpath -m "$CFG")
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up)
      parse_opts "$@"
      need_root
      create_testbed
      write_config
      echo "testbed: up ($NETNS forwards ${ROUTED_NETS[*]} ${ROUTED_NETS6[*]} between ${GEN_IFS[*]})"
      if [[ -n $TREX_DIR ]]; then trex_start "$TREX_DIR"; fi
      ;;
    down)
      parse_opts "$@"
      need_root
      trex_stop
      destroy_testbed
      ;;
    status)
      parse_opts "$@"
      status
      ;;
    trex-start)
      local dir=${1:-}
      [[ -n $dir && $dir != -* ]] || die "trex-start needs a TRex directory"
      shift
      parse_opts "$@"
      need_root
      trex_start "$dir"
      ;;
    trex-stop) trex_stop ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) die "unknown command '$cmd' (see --help)" ;;
  esac
}

main "$@"
