#!/usr/bin/env bash
# service_local.sh: the service engine against real daemons on loopback.
#
# Starts whichever of sshd, nginx (HTTP and HTTPS), redis-server,
# memcached and vsftpd are installed, each on its own 127.0.0.1 port
# (derived from our pid, below the ephemeral range), runs the engine on
# them through `build/tests/test_service --scan`, and checks the names.
# When nmap is installed it also runs `nmap -sV` on the same ports (loopback
# only) and prints both timings.  Everything started is stopped on exit.
# Daemons missing here are skipped ("# SKIP"); `make deps` would need
# openssh-server nginx redis-server memcached vsftpd to run them all.
set -u
cd "$(dirname "$0")/../.."

BIN=build/tests/test_service
if [ ! -x "$BIN" ]; then
    echo "ok - service_local # SKIP $BIN not built"
    exit 0
fi

tmp=$(mktemp -d /tmp/pscan_svc_local.XXXXXX)
pids=()
made_run_sshd=0
made_vsftpd_dir=0
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for _ in $(seq 1 30); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ "$made_run_sshd" = 1 ] && rmdir /run/sshd 2>/dev/null
    [ "$made_vsftpd_dir" = 1 ] && rmdir /var/run/vsftpd/empty /var/run/vsftpd 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

base=$((20001 + ($$ % 400) * 20))
P_SSH=$base P_HTTP=$((base + 2)) P_HTTPS=$((base + 4)) P_REDIS=$((base + 6))
P_MEMC=$((base + 8)) P_FTP=$((base + 10))

# Wait (bounded) until something listens on 127.0.0.1:$1.
wait_port() {
    for _ in $(seq 1 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

targets=()
declare -A want
add() { # port expected-service expected-product-substring
    if wait_port "$1"; then
        targets+=("127.0.0.1:$1")
        want[$1]="$2|$3"
    else
        echo "# nothing listens on $1 ($2)"
    fi
}

if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; then
    [ -d /run/sshd ] || { mkdir -p /run/sshd && made_run_sshd=1; }
    ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" </dev/null
    /usr/sbin/sshd -D -f /dev/null -h "$tmp/hostkey" -p "$P_SSH" \
        -o ListenAddress=127.0.0.1 -o PidFile="$tmp/sshd.pid" 2>"$tmp/sshd.log" &
    pids+=($!)
    add "$P_SSH" ssh OpenSSH
else
    echo "ok - sshd # SKIP not installed"
fi

if command -v nginx >/dev/null && command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$tmp/key.pem" \
        -out "$tmp/cert.pem" -subj '/CN=localhost' 2>/dev/null
    cat >"$tmp/nginx.conf" <<EOF
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $tmp/cb; proxy_temp_path $tmp/px; fastcgi_temp_path $tmp/fc;
    uwsgi_temp_path $tmp/uw; scgi_temp_path $tmp/sc;
    server { listen 127.0.0.1:$P_HTTP; root $tmp; }
    server { listen 127.0.0.1:$P_HTTPS ssl; root $tmp;
             ssl_certificate $tmp/cert.pem; ssl_certificate_key $tmp/key.pem; }
}
EOF
    nginx -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.log" &
    pids+=($!)
    add "$P_HTTP" http nginx
    add "$P_HTTPS" ssl/http nginx
else
    echo "ok - nginx # SKIP not installed"
fi

if command -v redis-server >/dev/null; then
    redis-server --port "$P_REDIS" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$tmp" --daemonize no >"$tmp/redis.log" 2>&1 &
    pids+=($!)
    add "$P_REDIS" redis Redis
else
    echo "ok - redis # SKIP not installed"
fi

if command -v memcached >/dev/null; then
    memcached -l 127.0.0.1 -p "$P_MEMC" -U 0 -u nobody >"$tmp/memc.log" 2>&1 &
    pids+=($!)
    add "$P_MEMC" memcached Memcached
else
    echo "ok - memcached # SKIP not installed"
fi

if [ -x /usr/sbin/vsftpd ]; then
    [ -d /var/run/vsftpd/empty ] || { mkdir -p /var/run/vsftpd/empty && made_vsftpd_dir=1; }
    cat >"$tmp/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$P_FTP
anonymous_enable=NO
local_enable=NO
background=NO
seccomp_sandbox=NO
EOF
    /usr/sbin/vsftpd "$tmp/vsftpd.conf" >"$tmp/ftp.log" 2>&1 &
    pids+=($!)
    add "$P_FTP" ftp vsftpd
else
    echo "ok - vsftpd # SKIP not installed"
fi

if [ ${#targets[@]} -eq 0 ]; then
    echo "ok - service_local # SKIP no daemon could be started"
    exit 0
fi

out=$("$BIN" --scan "${targets[@]}" 2>&1)
rc=$?
echo "$out" | sed 's/^/# pscan: /'
if [ $rc -ne 0 ]; then
    if echo "$out" | grep -q 'no probe database'; then
        echo "ok - service_local # SKIP no probe database"
        exit 0
    fi
    echo "not ok - service_local scan exited $rc"
    exit 1
fi

for t in "${targets[@]}"; do
    port=${t##*:}
    svc=${want[$port]%%|*} prod=${want[$port]#*|}
    line=$(echo "$out" | grep "^$port ")
    n=$(echo "$out" | grep -c "^$port ")
    if [ "$n" -eq 1 ] && echo "$line" | grep -q " match $svc product=\"[^\"]*$prod"; then
        echo "ok - $svc on $port named ($prod)"
    else
        echo "not ok - $svc on $port: got '${line:-nothing}' ($n lines)"
    fi
done
pscan_ms=$(echo "$out" | sed -n 's/^total_ms=//p')

if command -v nmap >/dev/null; then
    plist=$(printf '%s\n' "${targets[@]}" | sed 's/.*://' | paste -sd, -)
    t0=$(date +%s%N)
    nmap -sV -Pn -n -p "$plist" 127.0.0.1 -oN "$tmp/nmap.txt" >/dev/null 2>&1
    t1=$(date +%s%N)
    nmap_ms=$(((t1 - t0) / 1000000))
    grep -E '^[0-9]+/tcp' "$tmp/nmap.txt" | sed 's/^/# nmap: /'
    echo "# timing on ${#targets[@]} loopback services: pscan ${pscan_ms} ms, nmap -sV ${nmap_ms} ms"
else
    echo "# nmap not installed: no comparison"
fi
exit 0
