# tests/lib/daemons.sh: real Debian daemons inside a test host, for -sV truth.
#
# Source after common.sh and netns.sh, create a test host (tb_create), then:
#
#   dm_setup                      daemons run in $TB_NS on $TB_IP4, files in
#                                 $TEST_TMP/dm (registers dm_stop with at_exit)
#   dm_start KIND PORT...         start one daemon, in the background
#   dm_wait SECONDS               wait until every started port listens
#   dm_port_ok PORT               did PORT come up? (after dm_wait)
#   dm_row PORT                   the truth-table row of PORT (imap, imaps, ...)
#   dm_truth ROW                  "SERVICE|PRODUCT|VERSION" expected on the wire
#   dm_wire PORT                  what the daemon on PORT says about itself
#
# KINDs and their ports:
#
#   ssh PORT            sshd -D -f CONFIG (ed25519 host key made here)
#   ftp PORT            vsftpd CONFIG
#   smtp PORT           postfix master -d with its own main.cf/master.cf/queue
#   mail IMAP POP3 IMAPS POP3S   dovecot -F -c CONFIG (TLS on the last two)
#   http HTTP HTTPS     nginx, "daemon off"
#   redis PORT          redis-server bound to $TB_IP4, protected mode off
#   redis-protected PORT  redis-server on 0.0.0.0, no password, protected mode:
#                       it answers every command from outside with -DENIED
#   memcached PORT      memcached -U 0
#   mysql PORT          mariadb-install-db into a temp datadir, then mariadbd
#                       with --skip-grant-tables (so that a client from
#                       outside gets the handshake, not "Host ... is not
#                       allowed")
#   postgresql PORT     initdb + postgres -D (as user postgres)
#   wrapped PORT        tests/tools/listener -c: accepts and closes at once
#   silent PORT         tests/tools/listener -s: accepts, never says a word
#
# With DM_LIMITS=1 set before dm_start, the daemons that can be told to
# take few clients at once are: sshd MaxStartups 2 (a third unauthenticated
# connection is dropped at once), dovecot's login services process_limit 2
# (a third client waits for a free process), vsftpd max_per_ip 2 (a third
# connection from one address gets "421 There are too many connections").
#
# dm_start returns 0 when the daemon was launched, 2 when its program is not
# installed (the caller SKIPs that row), 1 when its preparation failed (see
# the note it printed).  Everything that takes a while (key generation,
# initdb, mariadb-install-db) runs in the daemon's own background job, inside
# the namespace, which then execs the daemon: starting all of them costs the
# slowest one, not the sum.  dm_wait polls `ss -ltn` in the namespace (every
# 50 ms, bounded) until each port listens.
#
# Nothing here touches the host's own configuration or state: every config,
# data directory, pid file, socket and log is under $TEST_TMP/dm.  sshd wants
# a privilege separation directory at the compiled-in /run/sshd: it runs in a
# private mount namespace with its own tmpfs on /run, so nothing is created
# on the host and nobody else's /run/sshd can vanish under it.  Every process
# (preparation steps included) lives in the test namespace: dm_stop ends the
# ones we started by PID (SIGTERM, then SIGKILL after 3 s), then anything
# left in the namespace (by PID, from `ip netns pids`: the namespace is this
# run's own).
#
# What "truth" means is in dm_truth: what the daemon actually puts on the
# wire, from the installed package versions.

DM_DIR=""
DM_NS=""
DM_ADDR=""
declare -A DM_KIND_OF_PORT=()   # port -> kind (the daemon behind it)
declare -A DM_ROW_OF_PORT=()    # port -> row (imap, imaps, https, ...)
declare -A DM_PORT_UP=()        # port -> 1 once listening
declare -A DM_PID_OF=()         # kind -> pid of the launched job
DM_PORTS=()
_dm_hooked=0

# dm_setup: after tb_create.
dm_setup() {
    DM_NS=$TB_NS
    DM_ADDR=$TB_IP4
    DM_DIR=$TEST_TMP/dm
    mkdir -p "$DM_DIR" || return 1
    # Daemons drop privileges (postgres, postfix, dovecot's login processes,
    # nginx workers): they must be able to walk down to their files.
    chmod 0711 "$TEST_TMP" "$DM_DIR"
    if [ "$_dm_hooked" -eq 0 ]; then
        at_exit dm_stop
        _dm_hooked=1
    fi
}

# _dm_have PROGRAM...: all installed (absolute paths or in PATH)?
_dm_have() {
    local p
    for p in "$@"; do
        if [ "${p#/}" != "$p" ]; then
            [ -x "$p" ] || return 1
        else
            command -v "$p" >/dev/null 2>&1 || return 1
        fi
    done
}

# _dm_launch KIND CMD...: run CMD in the background (it ends by exec'ing the
# daemon inside the namespace, so the job's PID is the daemon's).
_dm_launch() {
    local kind=$1
    shift
    "$@" >"$DM_DIR/$kind.out" 2>&1 </dev/null &
    DM_PID_OF[$kind]=$!
}

# _dm_ports KIND ROW PORT [ROW PORT]...: PORT (a row of the truth table) is
# served by KIND.
_dm_ports() {
    local kind=$1
    shift
    while [ $# -ge 2 ]; do
        DM_KIND_OF_PORT[$2]=$kind
        DM_ROW_OF_PORT[$2]=$1
        DM_PORTS+=("$2")
        shift 2
    done
}

# A self-signed certificate (EC P-256: generated in a few ms), made once.
_dm_cert() {
    [ -s "$DM_DIR/cert.pem" ] && return 0
    command -v openssl >/dev/null 2>&1 || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -days 2 -subj '/CN=pscan-test.example' -keyout "$DM_DIR/key.pem" \
        -out "$DM_DIR/cert.pem" >/dev/null 2>&1 || return 1
    chmod 0644 "$DM_DIR/cert.pem"
}

# ------------------------------------------------------------------ daemons

_dm_ssh() {
    local port=$1 d=$DM_DIR/ssh
    _dm_have /usr/sbin/sshd ssh-keygen || return 2
    mkdir -p "$d"
    cat >"$d/sshd_config" <<EOF
Port $port
ListenAddress $DM_ADDR
HostKey $d/host_ed25519
PidFile $d/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
    [ "${DM_LIMITS:-0}" = 1 ] && echo "MaxStartups 2" >>"$d/sshd_config"
    _dm_ports ssh ssh "$port"
    # Always a private /run: the host's /run/sshd may be missing, or made and
    # removed under us by another test run.
    local run="mount -t tmpfs -o mode=0755 pscan-sshd /run && mkdir -m 0755 /run/sshd &&
        exec /usr/sbin/sshd -D -e -f $d/sshd_config"
    _dm_launch ssh ip netns exec "$DM_NS" bash -c "ssh-keygen -q -t ed25519 -N '' -f '$d/host_ed25519' &&
        exec unshare -m --propagation private sh -c '$run'"
}

_dm_ftp() {
    local port=$1 d=$DM_DIR/ftp
    _dm_have /usr/sbin/vsftpd || return 2
    mkdir -p "$d/empty"
    chmod 0755 "$d/empty"
    cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$DM_ADDR
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
xferlog_enable=NO
seccomp_sandbox=NO
secure_chroot_dir=$d/empty
vsftpd_log_file=$d/vsftpd.log
EOF
    [ "${DM_LIMITS:-0}" = 1 ] && echo "max_per_ip=2" >>"$d/vsftpd.conf"
    _dm_ports ftp ftp "$port"
    _dm_launch ftp ip netns exec "$DM_NS" /usr/sbin/vsftpd "$d/vsftpd.conf"
}

# Postfix: its master in the foreground (-d) with a private configuration
# directory and queue.  Only smtpd and the services it needs to say hello
# (anvil counts connections) are in master.cf; smtpd runs unchrooted so the
# queue needs no copy of /etc.
_dm_smtp() {
    local port=$1 d=$DM_DIR/smtp
    _dm_have /usr/lib/postfix/sbin/master /usr/lib/postfix/sbin/smtpd || return 2
    mkdir -p "$d/etc" "$d/spool" "$d/data"
    cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
myhostname = pscan-test.example
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = all
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
maillog_file = /dev/stdout
biff = no
smtpd_tls_security_level = none
EOF
    cat >"$d/etc/master.cf" <<EOF
$DM_ADDR:$port inet n - n - - smtpd
anvil     unix  -       -       n       -       1       anvil
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    _dm_ports smtp smtp "$port"
    _dm_launch smtp ip netns exec "$DM_NS" bash -c "
        mkdir -p '$d/spool/pid' '$d/spool/public' '$d/spool/private' &&
        chown postfix '$d/data' '$d/spool/public' '$d/spool/private' &&
        exec /usr/lib/postfix/sbin/master -d -c '$d/etc'"
}

_dm_mail() {
    local imap=$1 pop3=$2 imaps=$3 pop3s=$4 d=$DM_DIR/mail
    _dm_have /usr/sbin/dovecot || return 2
    [ -x /usr/lib/dovecot/imap-login ] && [ -x /usr/lib/dovecot/pop3-login ] || return 2
    _dm_cert || { note "dm mail: cannot make a certificate"; return 1; }
    mkdir -p "$d/run" "$d/state"
    cat >"$d/dovecot.conf" <<EOF
base_dir = $d/run
state_dir = $d/state
instance_name = pscan-dovecot-$$
log_path = $d/dovecot.log
protocols = imap pop3
listen = $DM_ADDR
ssl = yes
ssl_cert = <$DM_DIR/cert.pem
ssl_key = <$DM_DIR/key.pem
auth_mechanisms = plain
disable_plaintext_auth = no
passdb {
  driver = static
  args = password=pscan-test-never-used
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service imap-login {
$([ "${DM_LIMITS:-0}" = 1 ] && echo "  process_limit = 2")
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
}
service pop3-login {
$([ "${DM_LIMITS:-0}" = 1 ] && echo "  process_limit = 2")
  inet_listener pop3 {
    port = $pop3
  }
  inet_listener pop3s {
    port = $pop3s
    ssl = yes
  }
}
EOF
    _dm_ports mail imap "$imap" pop3 "$pop3" imaps "$imaps" pop3s "$pop3s"
    _dm_launch mail ip netns exec "$DM_NS" /usr/sbin/dovecot -F -c "$d/dovecot.conf"
}

_dm_http() {
    local http=$1 https=$2 d=$DM_DIR/http
    _dm_have nginx || return 2
    _dm_cert || { note "dm http: cannot make a certificate"; return 1; }
    mkdir -p "$d/root"
    echo "pscan test page" >"$d/root/index.html"
    chmod -R a+rX "$d"
    cat >"$d/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/cb; proxy_temp_path $d/px; fastcgi_temp_path $d/fc;
    uwsgi_temp_path $d/uw; scgi_temp_path $d/sc;
    server { listen $DM_ADDR:$http; root $d/root; }
    server { listen $DM_ADDR:$https ssl; root $d/root;
             ssl_certificate $DM_DIR/cert.pem; ssl_certificate_key $DM_DIR/key.pem; }
}
EOF
    _dm_ports http http "$http" https "$https"
    _dm_launch http ip netns exec "$DM_NS" nginx -c "$d/nginx.conf" -p "$d"
}

# _dm_redis KIND PORT BIND PROTECTED
_dm_redis() {
    local kind=$1 port=$2 bind=$3 prot=$4 d=$DM_DIR/$1
    _dm_have redis-server || return 2
    mkdir -p "$d"
    _dm_ports "$kind" "$kind" "$port"
    _dm_launch "$kind" ip netns exec "$DM_NS" redis-server --port "$port" --bind "$bind" \
        --protected-mode "$prot" --save '' --appendonly no --dir "$d" \
        --daemonize no --logfile "$d/redis.log"
}

_dm_memcached() {
    local port=$1
    _dm_have memcached || return 2
    _dm_ports memcached memcached "$port"
    _dm_launch memcached ip netns exec "$DM_NS" memcached -l "$DM_ADDR" -p "$port" -U 0 -u nobody -m 16
}

_dm_mysql() {
    local port=$1 d=$DM_DIR/mysql
    _dm_have mariadb-install-db mariadbd || return 2
    mkdir -p "$d/data"
    _dm_ports mysql mysql "$port"
    _dm_launch mysql ip netns exec "$DM_NS" bash -c "
        mariadb-install-db --no-defaults --datadir='$d/data' --user=root \
            --auth-root-authentication-method=normal --skip-test-db \
            --skip-name-resolve >'$d/install.log' 2>&1 || exit 1
        exec mariadbd --no-defaults --datadir='$d/data' \
            --user=root --port=$port --bind-address=$DM_ADDR --socket='$d/mysql.sock' \
            --pid-file='$d/mysql.pid' --skip-grant-tables --skip-name-resolve \
            --innodb-buffer-pool-size=16M --log-error='$d/error.log'"
}

_dm_pg_bin() {
    local b
    for b in /usr/lib/postgresql/*/bin; do
        [ -x "$b/postgres" ] && [ -x "$b/initdb" ] && { echo "$b"; return 0; }
    done
    return 1
}

_dm_postgresql() {
    local port=$1 d=$DM_DIR/pg bin
    bin=$(_dm_pg_bin) || return 2
    getent passwd postgres >/dev/null || return 2
    mkdir -p "$d/sock"
    chown -R postgres "$d"
    _dm_ports postgresql postgresql "$port"
    _dm_launch postgresql ip netns exec "$DM_NS" bash -c "
        runuser -u postgres -- '$bin/initdb' -D '$d/data' -A trust -U postgres -N \
            -E UTF8 --locale=C >'$d/initdb.log' 2>&1 || exit 1
        exec runuser -u postgres -- '$bin/postgres' -D '$d/data' \
            -p $port -k '$d/sock' -c listen_addresses=$DM_ADDR -c fsync=off \
            -c logging_collector=off -c shared_buffers=16MB"
}

_dm_listener() {
    local kind=$1 port=$2 flag=$3
    [ -x "$LISTENER" ] || return 2
    _dm_ports "$kind" "$kind" "$port"
    _dm_launch "$kind" ip netns exec "$DM_NS" "$LISTENER" -t 300 "$flag" "$DM_ADDR" "$port"
}

dm_start() {
    local kind=$1
    shift
    [ -n "$DM_DIR" ] || { note "dm_start before dm_setup"; return 1; }
    case "$kind" in
    ssh) _dm_ssh "$@" ;;
    ftp) _dm_ftp "$@" ;;
    smtp) _dm_smtp "$@" ;;
    mail) _dm_mail "$@" ;;
    http) _dm_http "$@" ;;
    redis) _dm_redis redis "$1" "$DM_ADDR" no ;;
    redis-protected) _dm_redis redis-protected "$1" 0.0.0.0 yes ;;
    memcached) _dm_memcached "$@" ;;
    mysql) _dm_mysql "$@" ;;
    postgresql) _dm_postgresql "$@" ;;
    wrapped) _dm_listener wrapped "$1" -c ;;
    silent) _dm_listener silent "$1" -s ;;
    *) note "dm_start: unknown kind $kind"; return 1 ;;
    esac
}

# dm_wait SECONDS: poll until every started port listens or SECONDS pass.
# Returns 0 when all are up; the ones that are not stay unset in DM_PORT_UP.
dm_wait() {
    local limit=$1 end up p n all
    end=$(($(date +%s%N) / 1000000 + limit * 1000))
    while :; do
        up=" $(in_ns "$DM_NS" ss -ltnH | awk '{ i = match($4, /:[0-9]+$/); if (i) print substr($4, i + 1) }' | tr '\n' ' ') "
        all=1
        for p in "${DM_PORTS[@]}"; do
            if [[ "$up" == *" $p "* ]]; then DM_PORT_UP[$p]=1; else all=0; fi
        done
        [ "$all" -eq 1 ] && return 0
        n=$(($(date +%s%N) / 1000000))
        [ "$n" -ge "$end" ] && break
        sleep 0.05
    done
    for p in "${DM_PORTS[@]}"; do
        [ -n "${DM_PORT_UP[$p]:-}" ] && continue
        local k=${DM_KIND_OF_PORT[$p]}
        note "dm_wait: $k on $p not listening after ${limit}s; its output:"
        tail -n 5 "$DM_DIR/$k.out" 2>/dev/null | sed 's/^/    /' | while IFS= read -r l; do note "$l"; done
    done
    return 1
}

dm_port_ok() { [ -n "${DM_PORT_UP[$1]:-}" ]; }

# dm_stop: end every daemon (registered with at_exit by dm_setup).
dm_stop() {
    local pid alive
    for pid in "${DM_PID_OF[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for _ in $(seq 60); do
        alive=0
        for pid in "${DM_PID_OF[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.05
    done
    for pid in "${DM_PID_OF[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    # Children the daemons forked (postfix's smtpd, dovecot's logins,
    # postgres's backends): whatever is left in our private namespace.
    if [ -n "$DM_NS" ]; then
        for pid in $(ip netns pids "$DM_NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    fi
    DM_PID_OF=()
    return 0
}

# ------------------------------------------------------------------- truth

# _dm_pkgver PACKAGE: the installed version, epoch dropped ("9.2p1-2+deb12u10").
_dm_pkgver() {
    dpkg-query -W -f '${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://'
}

# _dm_upstream VERSION: without the Debian revision and any "+dfsg" suffix.
_dm_upstream() { sed 's/-[^-]*$//; s/+dfsg.*//; s/~.*//' <<<"$1"; }

# dm_row PORT: the truth-table row of a started port.
dm_row() { echo "${DM_ROW_OF_PORT[$1]:-}"; }

# dm_truth ROW: "SERVICE|PRODUCT|VERSION" that a correct -sV reports.
# SERVICE has "ssl/" for TLS.  PRODUCT is the software, as pscan's own
# probes name it (bench/sv_bench.sh's scoring also takes nmap's names).
# VERSION is empty where the daemon does not put its version on the wire
# (Postfix, Dovecot, PostgreSQL, a Redis in protected mode); dm_wire shows
# what each one does send.
dm_truth() {
    local v
    case "$1" in
    ssh)
        # "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10": upstream, then revision.
        v=$(_dm_pkgver openssh-server)
        echo "ssh|OpenSSH|${v%%-*} Debian ${v#*-}"
        ;;
    ftp) echo "ftp|vsftpd|$(_dm_upstream "$(_dm_pkgver vsftpd)")" ;;
    smtp) echo "smtp|Postfix smtpd|" ;;
    imap) echo "imap|Dovecot imapd|" ;;
    pop3) echo "pop3|Dovecot pop3d|" ;;
    imaps) echo "ssl/imap|Dovecot imapd|" ;;
    pop3s) echo "ssl/pop3|Dovecot pop3d|" ;;
    http) echo "http|nginx|$(_dm_upstream "$(_dm_pkgver nginx-common)")" ;;
    https) echo "ssl/http|nginx|$(_dm_upstream "$(_dm_pkgver nginx-common)")" ;;
    redis) echo "redis|Redis|$(_dm_upstream "$(_dm_pkgver redis-server)")" ;;
    redis-protected) echo "redis|Redis|" ;;
    memcached) echo "memcached|memcached|$(_dm_upstream "$(_dm_pkgver memcached)")" ;;
    mysql) echo "mysql|MariaDB|$(_dm_upstream "$(_dm_pkgver mariadb-server)")" ;;
    postgresql) echo "postgresql|PostgreSQL|" ;;
    wrapped) echo "tcpwrapped||" ;;
    silent) echo "||" ;;
    esac
}

# dm_wire PORT: what the daemon on PORT says about itself, as a client sees
# it from outside (one line, from inside the namespace, at most 3 s): the
# banner, the Server header, INFO's redis_version, memcached's VERSION, the
# version string of MariaDB's handshake.  Used to check dm_truth against the
# wire, so that a wrong row blames the scanner, not a stale package version.
dm_wire() {
    local port=$1 row script
    row=$(dm_row "$port")
    # The scripts expand $A and $P in the inner shell, not here.
    # shellcheck disable=SC2016
    case "$row" in
    ssh | ftp | smtp | imap | pop3)
        script='exec 3<>/dev/tcp/$A/$P && head -n 1 <&3' ;;
    imaps | pop3s)
        script='openssl s_client -quiet -connect $A:$P </dev/null 2>/dev/null | head -n 1' ;;
    http)
        script='exec 3<>/dev/tcp/$A/$P && printf "HEAD / HTTP/1.0\r\n\r\n" >&3 && grep -i -m 1 "^server:" <&3' ;;
    https)
        script='printf "HEAD / HTTP/1.0\r\n\r\n" | openssl s_client -quiet -connect $A:$P 2>/dev/null | grep -i -m 1 "^server:"' ;;
    redis)
        script='exec 3<>/dev/tcp/$A/$P && printf "INFO server\r\n" >&3 && grep -m 1 "^redis_version:" <&3' ;;
    redis-protected)
        script='exec 3<>/dev/tcp/$A/$P && printf "INFO\r\n" >&3 && head -c 60 <&3' ;;
    memcached)
        script='exec 3<>/dev/tcp/$A/$P && printf "version\r\n" >&3 && head -n 1 <&3' ;;
    mysql)
        # Packet header (4 bytes), protocol 10, then the NUL-terminated version.
        script='exec 3<>/dev/tcp/$A/$P && head -c 80 <&3 | tail -c +6 | tr "\0" "\n" | head -n 1' ;;
    *) return 0 ;;
    esac
    A=$DM_ADDR P=$port in_ns "$DM_NS" timeout 3 bash -c "$script" 2>/dev/null | tr -d '\r' | head -n 1 | cut -c 1-200
}
