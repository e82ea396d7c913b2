#!/usr/bin/env bash
# tests/integration/netio.sh: route lookup, AF_PACKET/libnet sending and
# pcap capture, end to end, against a network namespace of our own.
#
# Layout (X is picked so no other test's addresses collide):
#   root ns  pra<pid> 198.18.X.1/29  2001:db8:X::1/64
#              |  veth
#   ns       prb<pid> 198.18.X.2/29  2001:db8:X::2/64
#            lo: `local 198.19.0.0/16`, reached from root via 198.19.X.0/24 via 198.18.X.2
#            ncat listening on port 8080 (v4 and v6); 8081 closed
# tests/tools/netio_probe builds one SYN by hand, sends it with the sender
# under test and reports the reply it captured.  Prints TAP lines; needs root.
# A last part measures the send rate into the veth (reported, not asserted
# beyond "every frame accounted for").  NETIO_BENCH_COUNT sets its size.
set -u
cd "$(dirname "$0")/../.."

PROBE=build/tests/tools/netio_probe
if [ "$(id -u)" != 0 ]; then
    echo "ok - netio # SKIP needs root"
    exit 0
fi
if [ ! -x "$PROBE" ] || [ "$PROBE" -ot tests/tools/netio_probe.c ] || [ "$PROBE" -ot build/libpscan.a ]; then
    # The probe links the library; build it here if make did not.
    make -s build/libpscan.a >/dev/null || { echo "not ok - netio: cannot build libpscan.a"; exit 1; }
    mkdir -p build/tests/tools
    cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -o "$PROBE" tests/tools/netio_probe.c \
        build/libpscan.a -lpcap -lnet -lpthread || { echo "not ok - netio: cannot build $PROBE"; exit 1; }
fi

NS=psr$$
VA=pra$$
VB=prb$$
LISTENER=
cleanup() {
    [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
    ip link del "$VA" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    [ -n "${X:-}" ] && ip route del "198.19.$X.0/24" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A /29 and a /24 no one else uses right now (other tests run concurrently).
X=
for i in $(seq 0 40); do
    c=$(( ( $$ + i * 7 ) % 240 + 10 ))
    if ! ip -4 addr | grep -q "198\.18\.$c\." && ! ip route | grep -q "198\.1[89]\.$c\."; then
        X=$c
        break
    fi
done
[ -n "$X" ] || { echo "not ok - netio: no free 198.18.X.0/29"; exit 1; }
A4=198.18.$X.1 B4=198.18.$X.2 NOONE4=198.18.$X.3 FAR4=198.19.$X.7
A6=2001:db8:$X::1 B6=2001:db8:$X::2

pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2"; }
check() { # name, command...: ok if the command succeeds
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

setup() {
    ip netns add "$NS" &&
    ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VB" netns "$NS" &&
    ip addr add "$A4/29" dev "$VA" &&
    ip -6 addr add "$A6/64" dev "$VA" nodad &&
    ip link set "$VA" up &&
    ip -n "$NS" link set lo up &&
    ip -n "$NS" addr add "$B4/29" dev "$VB" &&
    ip -n "$NS" -6 addr add "$B6/64" dev "$VB" nodad &&
    ip -n "$NS" link set "$VB" up &&
    ip -n "$NS" route add local 198.19.0.0/16 dev lo &&
    ip -n "$NS" route add default via "$A4" &&
    ip route add "198.19.$X.0/24" via "$B4" dev "$VA"
}
if ! out=$(setup 2>&1); then
    fail "netio: namespace setup" "$out"
    exit 1
fi

# Refuse to send anywhere but our veth.
for d in "$B4" "$NOONE4" "$FAR4" "$B6"; do
    if ! ip route get "$d" | grep -q "dev $VA "; then
        fail "netio: route to $d does not leave via $VA" "$(ip route get "$d")"
        exit 1
    fi
done
pass "netio: ip route get sends 198.18.$X.0/29, 198.19.$X.0/24 and 2001:db8:$X::/64 via $VA"

ip netns exec "$NS" ncat -lk 8080 >/dev/null 2>&1 &
LISTENER=$!
for i in $(seq 1 50); do
    ip netns exec "$NS" ss -ltnH 2>/dev/null | grep -q ':8080 ' && break
    sleep 0.1
done

P="$PROBE"
B_MAC=$(ip netns exec "$NS" cat "/sys/class/net/$VB/address")
A_MAC=$(cat "/sys/class/net/$VA/address")

# --- route ---
ip neigh flush dev "$VA" >/dev/null 2>&1
out=$("$P" route "$B4" 2>&1)
if grep -qx "ifname=$VA" <<<"$out" && grep -qx "src=$A4" <<<"$out" &&
   grep -qx "nexthop_mac=$B_MAC" <<<"$out" && grep -qx "src_mac=$A_MAC" <<<"$out" &&
   grep -qx "gateway=none" <<<"$out"; then
    pass "route: $B4 via $VA, src $A4, ARP resolved $B_MAC from an empty table"
else fail "route: $B4 via $VA with ARP" "$out"; fi

out=$("$P" route "$FAR4" 2>&1)
if grep -qx "gateway=$B4" <<<"$out" && grep -qx "nexthop_mac=$B_MAC" <<<"$out"; then
    pass "route: $FAR4 via gateway $B4"
else fail "route: $FAR4 via gateway $B4" "$out"; fi

ip -6 neigh flush dev "$VA" >/dev/null 2>&1
out=$("$P" route "$B6" 2>&1)
if grep -qx "ifname=$VA" <<<"$out" && grep -qx "src=$A6" <<<"$out" && grep -qx "nexthop_mac=$B_MAC" <<<"$out"; then
    pass "route: $B6 via $VA, NDP resolved"
else fail "route: $B6 via $VA with NDP" "$out"; fi

t0=$(date +%s%N)
out=$("$P" route "$NOONE4" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# The resolver asks for 5 s (enough ARP retries for a lossy link), then
# gives up: the bound only says it does give up, not how fast.
if [ $rc = 2 ] && grep -q "no ARP reply from $NOONE4 on $VA within 5000 ms" <<<"$out" && [ $ms -lt 15000 ]; then
    pass "route: silent $NOONE4 gives 'no ARP reply' after ${ms} ms"
else fail "route: silent neighbour error (rc $rc, ${ms} ms)" "$out"; fi

out=$("$P" route "$B4" -e nosuch0 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "no such interface 'nosuch0'" <<<"$out"; then
    pass "route: -e nosuch0 rejected"
else fail "route: -e nosuch0 rejected" "$out"; fi

out=$("$P" route "$B4" --source-ip 198.18.$X.5 2>&1)
if grep -qx "src=198.18.$X.5" <<<"$out"; then pass "route: --source-ip override"
else fail "route: --source-ip override" "$out"; fi

# --- SYN out, reply in ---
syn() { # name expect probe-args...
    local name=$1 want=$2; shift 2
    local out
    out=$("$@" 2>&1)
    if grep -qx "reply=$want" <<<"$out"; then pass "$name"; else fail "$name" "$out"; fi
}
syn "syn: sendmmsg to $B4:8080 gets SYN-ACK" synack "$P" syn "$B4" 8080 --mode mmsg
syn "syn: sendmmsg to $B4:8081 gets RST" rst "$P" syn "$B4" 8081 --mode mmsg
syn "syn: tx ring to $B4:8080 gets SYN-ACK" synack "$P" syn "$B4" 8080 --mode ring
syn "syn: qdisc bypass to $B4:8081 gets RST" rst "$P" syn "$B4" 8081 --bypass
syn "syn: via gateway to $FAR4:8080 gets SYN-ACK" synack "$P" syn "$FAR4" 8080
syn "syn: IPv6 to [$B6]:8080 gets SYN-ACK" synack "$P" syn "$B6" 8080
syn "syn: IPv6 tx ring to [$B6]:8081 gets RST" rst "$P" syn "$B6" 8081 --mode ring
syn "syn: libnet link sender to $B4:8080 gets SYN-ACK" synack "$P" syn "$B4" 8080 --sender libnet
# Loopback, inside the namespace.  IPv4 frames injected on lo are dropped
# as martians (route.h), so the route asks for raw-IP injection there.
out=$(ip netns exec "$NS" "$P" route 127.0.0.1 2>&1)
if grep -qx "ifname=lo" <<<"$out" && grep -qx "inject_l3=1" <<<"$out" &&
   grep -qx "nexthop_mac=00:00:00:00:00:00" <<<"$out"; then
    pass "route: 127.0.0.1 via lo, zero MACs, raw-IP injection"
else fail "route: 127.0.0.1 via lo" "$out"; fi
out=$(ip netns exec "$NS" "$P" route "$B6" 2>&1)
if grep -qx "ifname=lo" <<<"$out" && grep -qx "inject_l3=0" <<<"$out"; then
    pass "route: the namespace's own $B6 via lo"
else fail "route: own address via lo" "$out"; fi
L3="--sender libnet --l3"
syn "syn: loopback 127.0.0.1:8080 (raw IP) gets SYN-ACK" synack \
    ip netns exec "$NS" "$P" syn 127.0.0.1 8080 $L3
syn "syn: loopback 127.0.0.1:8081 (raw IP) gets RST" rst \
    ip netns exec "$NS" "$P" syn 127.0.0.1 8081 $L3
syn "syn: local-route 198.19.3.4:8080 on lo (raw IP) gets SYN-ACK" synack \
    ip netns exec "$NS" "$P" syn 198.19.3.4 8080 $L3
syn "syn: own address $B4:8081 via lo (raw IP) gets RST" rst \
    ip netns exec "$NS" "$P" syn "$B4" 8081 $L3
syn "syn: loopback ::1:8080 (AF_PACKET frame) gets SYN-ACK" synack \
    ip netns exec "$NS" "$P" syn ::1 8080
syn "syn: loopback ::1:8081 (tx ring) gets RST" rst ip netns exec "$NS" "$P" syn ::1 8081 --mode ring

# --- send rate into the veth ---
N=${NETIO_BENCH_COUNT:-2000000}
bench() { # name args...
    local name=$1; shift
    local out
    out=$("$P" bench "$@" 2>&1)
    local line
    line=$(grep '^mode=' <<<"$out")
    local frames sent failed
    frames=$(sed -n 's/.* frames=\([0-9]*\).*/\1/p' <<<"$line")
    sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")
    failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$line")
    echo "# $name: $line"
    if [ -n "$line" ] && [ "$failed" = 0 ] && [ "$sent" = "$frames" ] && [ "$sent" -gt 0 ]; then
        pass "$name: every frame sent"
    else fail "$name" "$out"; fi
}
bench "bench: sendmmsg, frames dropped by the peer" "$B4" 8081 "$N" --mode mmsg --bogus-mac --seconds 3
bench "bench: tx ring, frames dropped by the peer" "$B4" 8081 "$N" --mode ring --bogus-mac --seconds 3
bench "bench: sendmmsg, peer answers RST" "$B4" 8081 "$N" --mode mmsg --seconds 3
bench "bench: tx ring, peer answers RST" "$B4" 8081 "$N" --mode ring --seconds 3
bench "bench: paced at 100000/s" "$B4" 8081 100000 --rate 100000 --seconds 3
