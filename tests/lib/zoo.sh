# tests/lib/zoo.sh: a zoo of real Debian daemons inside a test host, for -sV truth.
#
# The companion of tests/lib/daemons.sh (sshd, vsftpd, postfix, dovecot,
# nginx, redis, memcached, mariadb, postgresql): many more daemons, each on a
# port that is not its own.  Source after common.sh and netns.sh, create a
# test host (tb_create), then:
#
#   zoo_setup                  daemons run in $TB_NS on $TB_IP4, files under
#                              $TEST_TMP/zoo (registers zoo_stop with at_exit)
#   zoo_start KIND PORT        start one daemon, in the background
#   zoo_wait SECONDS           wait until every started port listens
#   zoo_port_ok KIND           did KIND come up? (after zoo_wait)
#   zoo_stop                   end them all (by PID)
#   zoo_kinds                  every KIND this file knows, one a line
#   zoo_info KIND              "PACKAGE TRANSPORT STDPORT TLS PROTO" (see ZOO_TABLE)
#   zoo_truth KIND             "SERVICE|PRODUCT|VERSION" a correct -sV names
#
# zoo_start returns 0 when the daemon was launched, 2 when its program is not
# installed (the caller SKIPs), 1 when its preparation failed (see the note).
# TRANSPORT is tcp, udp, or tcp+udp (both on PORT, tcp is the one scanned
# first).  A few daemons cannot choose their port (pptpd: 1723; an X server:
# 6000 + display, so X11's PORT must be in 6001..6063), which is harmless in
# a namespace of our own.
#
# Rules, as in daemons.sh: every config, data directory, pid file, socket
# and log lives under $TEST_TMP/zoo/KIND; every process runs inside $TB_NS
# (preparation steps too) and binds $TB_IP4 where the daemon lets us say so;
# a daemon that insists on a fixed path (/run/..., /var/lib/..., /etc/...)
# runs in a private mount namespace (unshare -m) with a tmpfs or a bind
# mount of our own over that path, so nothing on the host is touched.
# zoo_setup also puts a guard table in the namespace's nftables: outgoing
# packets may go to loopback and to 198.18.0.0/15 and 2001:db8::/32 only
# (plus IPv6 neighbour discovery), so a daemon that announces itself by
# multicast (MiniDLNA's SSDP) or wants a resolver cannot send a packet
# anywhere else; the namespace's resolv.conf names 127.0.0.1.  Recursive
# resolvers are pointed at 127.0.0.1:9 (nothing), and security pollers and
# usage reporters (PowerDNS, dnsdist, InfluxDB) are switched off.
#
# zoo_stop ends the launched PIDs and their descendants (SIGTERM, then
# SIGKILL after 3 s); with ZOO_SWEEP=1 (the default when daemons.sh is not
# sharing the namespace) also anything else left in the namespace.

ZOO_DIR=""
ZOO_NS=""
ZOO_ADDR=""
declare -A ZOO_PID_OF=()     # kind -> pid of the launched job
declare -A ZOO_PORT_OF=()    # kind -> port
declare -A ZOO_UP=()         # kind -> 1 once listening
declare -A ZOO_PIDFILE=()    # kind -> pid file of a daemon that detaches
ZOO_STARTED=()
_zoo_hooked=0

# kind -> "PACKAGE TRANSPORT STDPORT TLS PROTO".  PACKAGE is the one whose
# version the daemon reports; PROTO names capture.py's natural requests and
# the probes/PROTO.probes file.
declare -A ZOO_TABLE=(
    [apache2]="apache2-bin tcp 80 0 http"
    [lighttpd]="lighttpd tcp 80 0 http"
    [squid]="squid tcp 3128 0 http-proxy"
    [tinyproxy]="tinyproxy-bin tcp 8888 0 http-proxy"
    [varnish]="varnish tcp 6081 0 http"
    [haproxy]="haproxy tcp 80 0 http"
    [privoxy]="privoxy tcp 8118 0 http-proxy"
    [apt-cacher-ng]="apt-cacher-ng tcp 3142 0 http-proxy"
    [webfs]="webfs tcp 8000 0 http"
    [mini-httpd]="mini-httpd tcp 80 0 http"
    [h2o]="h2o tcp 80 0 http"
    [nghttpd]="nghttp2-server tcp 80 0 http"
    [python-http]="python3.11 tcp 8000 0 http"
    [trafficserver]="trafficserver tcp 8080 0 http-proxy"
    [jetty9]="jetty9 tcp 8080 0 http"
    [tomcat10]="tomcat10 tcp 8080 0 http"
    [gunicorn]="gunicorn tcp 8000 0 http"
    [uwsgi]="uwsgi-core tcp 8000 0 http"
    [twisted-web]="python3-twisted tcp 8080 0 http"
    [cups]="cups-daemon tcp 631 0 ipp"
    [prometheus-node-exporter]="prometheus-node-exporter tcp 9100 0 http"
    [prometheus]="prometheus tcp 9090 0 http"
    [monit]="monit tcp 2812 0 http"
    [etcd]="etcd-server tcp 2379 0 http"
    [influxdb]="influxdb tcp 8086 0 http"
    [icecast2]="icecast2 tcp 8000 0 http"
    [minidlna]="minidlna tcp 8200 0 http"
    [mercurial]="mercurial tcp 8000 0 http"
    [fossil]="fossil tcp 8080 0 http"
    [slapd]="slapd tcp 389 0 ldap"
    [bind9]="bind9 tcp+udp 53 0 domain"
    [unbound]="unbound tcp+udp 53 0 domain"
    [knot]="knot tcp+udp 53 0 domain"
    [nsd]="nsd tcp+udp 53 0 domain"
    [pdns-server]="pdns-server tcp+udp 53 0 domain"
    [pdns-recursor]="pdns-recursor tcp+udp 53 0 domain"
    [dnsmasq]="dnsmasq-base tcp+udp 53 0 domain"
    [dnsdist]="dnsdist tcp+udp 53 0 domain"
    [ngircd]="ngircd tcp 6667 0 irc"
    [inspircd]="inspircd tcp 6667 0 irc"
    [bitlbee]="bitlbee-common tcp 6667 0 irc"
    [znc]="znc tcp 6667 0 irc"
    [prosody]="prosody tcp 5222 0 xmpp-client"
    [mumble-server]="mumble-server tcp+udp 64738 1 mumble"
    [openvpn]="openvpn tcp 1194 0 openvpn"
    [openvpn-udp]="openvpn udp 1194 0 openvpn"
    [coturn]="coturn udp 3478 0 stun"
    [samba]="samba tcp 445 0 smb"
    [rsync]="rsync tcp 873 0 rsync"
    [tftpd-hpa]="tftpd-hpa udp 69 0 tftp"
    [nbd-server]="nbd-server tcp 10809 0 nbd"
    [tgt]="tgt tcp 3260 0 iscsi"
    [xrdp]="xrdp tcp 3389 0 rdp"
    [tigervnc]="tigervnc-standalone-server tcp 5900 0 vnc"
    [xvfb]="xvfb tcp 6000 0 x11"
    [snmpd]="snmpd udp 161 0 snmp"
    [munin-node]="munin-node tcp 4949 0 munin"
    [zabbix-agent]="zabbix-agent tcp 10050 0 zabbix-agent"
    [nrpe]="nagios-nrpe-server tcp 5666 1 nrpe"
    [gpsd]="gpsd tcp 2947 0 gpsd"
    [git-daemon]="git tcp 9418 0 git"
    [svnserve]="subversion tcp 3690 0 svn"
    [cvs-pserver]="cvs tcp 2401 0 cvspserver"
    [mpd]="mpd tcp 6600 0 mpd"
    [chrony]="chrony udp 123 0 ntp"
    [telnetd]="inetutils-telnetd tcp 23 0 telnet"
    [fingerd]="fingerd tcp 79 0 finger"
    [oidentd]="oidentd tcp 113 0 ident"
    [distcc]="distcc tcp 3632 0 distcc"
    [gearman]="gearman-job-server tcp 4730 0 gearman"
    [kamailio]="kamailio udp 5060 0 sip"
    [freeradius]="freeradius udp 1812 0 radius"
    [dropbear]="dropbear-bin tcp 22 0 ssh"
    [tinysshd]="tinysshd tcp 22 0 ssh"
    [nut-server]="nut-server tcp 3493 0 nut"
    [mosquitto]="mosquitto tcp 1883 0 mqtt"
    [beanstalkd]="beanstalkd tcp 11300 0 beanstalk"
    [nats-server]="nats-server tcp 4222 0 nats"
    [redis-sentinel]="redis-sentinel tcp 26379 0 redis"
    [pgbouncer]="pgbouncer tcp 6432 0 postgresql"
    [pgpool2]="pgpool2 tcp 9999 0 postgresql"
    [krb5-kdc]="krb5-kdc udp 88 0 kerberos"
    [dante]="dante-server tcp 1080 0 socks5"
    [pptpd]="pptpd tcp 1723 0 pptp"
    [spamd]="spamd tcp 783 0 spamd"
    [rabbitmq]="rabbitmq-server tcp 5672 0 amqp"
    [epmd]="erlang-base tcp 4369 0 epmd"
    [zookeeper]="zookeeper tcp 2181 0 zookeeper"
    [sphinxsearch]="sphinxsearch tcp 9306 0 mysql"
    [tarantool]="tarantool tcp 3301 0 tarantool"
    [conserver]="conserver-server tcp 782 0 conserver"
    [twisted-ftp]="python3-twisted tcp 21 0 ftp"
    [twisted-mail]="python3-twisted tcp 25 0 smtp"
    [stunnel]="stunnel4 tcp 443 1 http"
    [strongswan]="strongswan-charon udp 500 0 isakmp"
    # Packages that conflict with the ones tests/lib/daemons.sh needs
    # (postfix, vsftpd, dovecot, chrony, tftpd-hpa) or with each other: used
    # when installed, else from $ZOO_EXTRACT/PACKAGE/ (dpkg-deb -x of the
    # .deb that `apt-get download` fetched; see zoo_extract).
    [exim4]="exim4-daemon-light tcp 25 0 smtp"
    [opensmtpd]="opensmtpd tcp 25 0 smtp"
    [proftpd]="proftpd-core tcp 21 0 ftp"
    [pure-ftpd]="pure-ftpd tcp 21 0 ftp"
    [ircd-hybrid]="ircd-hybrid tcp 6667 0 irc"
    [ntpsec]="ntpsec udp 123 0 ntp"
    [atftpd]="atftpd udp 69 0 tftp"
)

# Where zoo_extract unpacked the conflicting packages (outside git).
ZOO_EXTRACT=${ZOO_EXTRACT:-/var/cache/pscan/zoo} # make deps-zoo unpacks them there

# Every kind, in a fixed order: a new kind goes at the end, so that a
# caller that numbers ports by position (tests/tools/zoo_survey.sh) keeps
# the old kinds' ports.
ZOO_ORDER=(
    apache2 apt-cacher-ng beanstalkd bind9 bitlbee chrony conserver coturn
    cups cvs-pserver dante distcc dnsdist dnsmasq dropbear epmd etcd fingerd
    fossil freeradius gearman git-daemon gpsd gunicorn h2o haproxy icecast2
    influxdb inspircd jetty9 kamailio knot krb5-kdc lighttpd mercurial
    mini-httpd minidlna monit mosquitto mpd mumble-server munin-node
    nats-server nbd-server nghttpd ngircd nrpe nsd nut-server oidentd
    openvpn openvpn-udp pdns-recursor pdns-server pgbouncer pgpool2 pptpd
    privoxy prometheus prometheus-node-exporter prosody python-http rabbitmq
    redis-sentinel rsync samba slapd snmpd spamd sphinxsearch squid
    strongswan stunnel svnserve tarantool telnetd tftpd-hpa tgt tigervnc
    tinyproxy tinysshd tomcat10 trafficserver twisted-ftp twisted-mail
    twisted-web unbound uwsgi varnish webfs xrdp xvfb zabbix-agent znc
    zookeeper exim4 opensmtpd proftpd pure-ftpd ircd-hybrid ntpsec atftpd
)

zoo_kinds() { printf '%s\n' "${ZOO_ORDER[@]}"; }
zoo_info() { echo "${ZOO_TABLE[$1]:-}"; }

# zoo_setup: after tb_create.
zoo_setup() {
    ZOO_NS=$TB_NS
    ZOO_ADDR=$TB_IP4
    ZOO_DIR=$TEST_TMP/zoo
    mkdir -p "$ZOO_DIR" || return 1
    # Daemons drop privileges (squid, tinyproxy, cupsd, icecast...): they
    # must be able to walk down to their files.
    chmod 0711 "$TEST_TMP" "$ZOO_DIR"
    if [ "$_zoo_hooked" -eq 0 ]; then
        at_exit zoo_stop
        _zoo_hooked=1
    fi
    if [ -z "${ZOO_SWEEP:-}" ]; then
        if [ -n "${DM_NS:-}" ] && [ "${DM_NS:-}" = "$ZOO_NS" ]; then ZOO_SWEEP=0; else ZOO_SWEEP=1; fi
    fi
    # Names resolve through /etc/hosts only (netns.sh), and a resolver that
    # reads resolv.conf itself finds 127.0.0.1 (nothing listens there).
    [ -d "/etc/netns/$ZOO_NS" ] && echo "nameserver 127.0.0.1" >"/etc/netns/$ZOO_NS/resolv.conf"
    _zoo_guard || { note "zoo_setup: cannot install the nftables guard in $ZOO_NS"; return 1; }
}

# The guard: nothing leaves the namespace but to loopback and test addresses.
_zoo_guard() {
    command -v nft >/dev/null 2>&1 || return 1
    ip netns exec "$ZOO_NS" nft -f - <<'EOF'
table inet zooguard {
    chain output {
        type filter hook output priority 0; policy drop;
        oif "lo" accept
        ip daddr { 127.0.0.0/8, 198.18.0.0/15 } accept
        ip6 daddr { ::1, 2001:db8::/32 } accept
        ip6 nexthdr ipv6-icmp icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept
    }
}
EOF
}

_zoo_have() {
    local p
    for p in "$@"; do
        if [ "${p#/}" != "$p" ]; then
            [ -x "$p" ] || return 1
        else
            command -v "$p" >/dev/null 2>&1 || return 1
        fi
    done
}

# _zoo_bin PACKAGE PATH: PATH when installed, else the same file unpacked
# under $ZOO_EXTRACT/PACKAGE; fails when neither is there.
_zoo_bin() {
    if [ -x "$2" ]; then echo "$2"; return 0; fi
    if [ -n "$ZOO_EXTRACT" ] && [ -x "$ZOO_EXTRACT/$1$2" ]; then echo "$ZOO_EXTRACT/$1$2"; return 0; fi
    return 1
}

# zoo_extract DIR PACKAGE...: fetch PACKAGEs with `apt-get download` and
# unpack each into DIR/PACKAGE (dpkg-deb -x: nothing is installed, no
# maintainer script runs), with its version in DIR/PACKAGE/.version.
zoo_extract() {
    local dir=$1 p f
    shift
    mkdir -p "$dir/debs" || return 1
    for p in "$@"; do
        [ -s "$dir/$p/.version" ] && continue
        (cd "$dir/debs" && apt-get download "$p" >/dev/null 2>&1) || { note "zoo_extract: cannot download $p"; return 1; }
        f=$(ls "$dir/debs/${p}_"*.deb 2>/dev/null | head -n 1)
        [ -n "$f" ] || return 1
        mkdir -p "$dir/$p" && dpkg-deb -x "$f" "$dir/$p" && dpkg-deb -f "$f" Version >"$dir/$p/.version" || return 1
    done
}

# _zoo_launch KIND CMD...: CMD in the background, in a session of its own;
# it execs the daemon (setsid does not fork here: a background job is no
# process group leader), so the job's PID is the daemon's.
_zoo_launch() {
    local kind=$1
    shift
    # Its own session: a daemon that signals its process group on the way
    # out (kill(0, ...)) must not reach the test script.
    setsid "$@" >"$ZOO_DIR/$kind.out" 2>&1 </dev/null &
    ZOO_PID_OF[$kind]=$!
}

# _zoo_sh KIND SCRIPT: bash -c SCRIPT inside the namespace.
_zoo_sh() { _zoo_launch "$1" ip netns exec "$ZOO_NS" bash -c "$2"; }

# _zoo_psh KIND SCRIPT: the same in a private mount namespace whose /run is
# a fresh tmpfs (SCRIPT may mount more over fixed paths).
_zoo_psh() {
    _zoo_launch "$1" ip netns exec "$ZOO_NS" unshare -m --propagation private bash -c \
        "mount -t tmpfs -o mode=0755 zoo-run /run && mkdir -p /run/lock && $2"
}

# A self-signed certificate (EC P-256), made once; an RSA one for the daemons
# whose TLS code wants RSA (xrdp, nrpe's defaults, openvpn is fine with EC).
_zoo_cert() {
    [ -s "$ZOO_DIR/cert.pem" ] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -days 2 -subj '/CN=pscan-test.example' -keyout "$ZOO_DIR/key.pem" \
        -out "$ZOO_DIR/cert.pem" >/dev/null 2>&1 || return 1
    chmod 0644 "$ZOO_DIR/cert.pem" "$ZOO_DIR/key.pem"
}

_zoo_rsacert() {
    [ -s "$ZOO_DIR/rsa-cert.pem" ] && return 0
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=pscan-test.example' \
        -keyout "$ZOO_DIR/rsa-key.pem" -out "$ZOO_DIR/rsa-cert.pem" >/dev/null 2>&1 || return 1
    chmod 0644 "$ZOO_DIR/rsa-cert.pem" "$ZOO_DIR/rsa-key.pem"
}

# _zoo_dir KIND: a fresh directory for KIND, world-readable (dropped daemons).
_zoo_dir() {
    local d=$ZOO_DIR/$1
    rm -rf "$d"
    mkdir -p "$d"
    chmod 0755 "$d"
    echo "$d"
}

# A tiny web root, for the HTTP servers that serve files.
_zoo_webroot() {
    mkdir -p "$1"
    echo "pscan zoo test page" >"$1/index.html"
    chmod -R a+rX "$1"
}

# ------------------------------------------------------------- web, proxies

_zoo_apache2() {
    local port=$1 d m=/usr/lib/apache2/modules
    _zoo_have /usr/sbin/apache2 || return 2
    d=$(_zoo_dir apache2)
    _zoo_webroot "$d/root"
    cat >"$d/apache2.conf" <<EOF
ServerRoot $d
DefaultRuntimeDir $d
PidFile $d/apache2.pid
Mutex file:$d default
Listen $ZOO_ADDR:$port
ServerName pscan-test.example
ServerTokens OS
User www-data
Group www-data
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule dir_module $m/mod_dir.so
LoadModule mime_module $m/mod_mime.so
TypesConfig /etc/mime.types
ErrorLog $d/error.log
DocumentRoot $d/root
<Directory $d/root>
    Require all granted
</Directory>
DirectoryIndex index.html
EOF
    _zoo_sh apache2 "exec /usr/sbin/apache2 -f $d/apache2.conf -DFOREGROUND"
}

_zoo_lighttpd() {
    local port=$1 d
    _zoo_have lighttpd || return 2
    d=$(_zoo_dir lighttpd)
    _zoo_webroot "$d/root"
    chown www-data "$d"
    cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$d/root"
server.bind = "$ZOO_ADDR"
server.port = $port
server.errorlog = "$d/error.log"
server.username = "www-data"
server.groupname = "www-data"
index-file.names = ( "index.html" )
EOF
    _zoo_sh lighttpd "exec lighttpd -D -f $d/lighttpd.conf"
}

_zoo_squid() {
    local port=$1 d
    _zoo_have squid || return 2
    d=$(_zoo_dir squid)
    chown proxy "$d"
    cat >"$d/squid.conf" <<EOF
http_port $ZOO_ADDR:$port
pid_filename $d/squid.pid
cache_log $d/cache.log
access_log none
cache_store_log none
coredump_dir $d
cache deny all
http_access allow all
visible_hostname pscan-test.example
cache_effective_user proxy
dns_nameservers 127.0.0.1
icp_port 0
htcp_port 0
snmp_port 0
EOF
    # Squid wants /run/squid for its IPC sockets.
    _zoo_psh squid "mkdir -p /run/squid && chown proxy /run/squid && exec squid -N -f $d/squid.conf"
}

_zoo_tinyproxy() {
    local port=$1 d
    _zoo_have tinyproxy || return 2
    d=$(_zoo_dir tinyproxy)
    chown nobody "$d"
    cat >"$d/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $port
Listen $ZOO_ADDR
Timeout 60
LogFile "$d/tinyproxy.log"
LogLevel Info
PidFile "$d/tinyproxy.pid"
MaxClients 20
Allow 198.18.0.0/15
Allow 127.0.0.1
EOF
    _zoo_sh tinyproxy "exec tinyproxy -d -c $d/tinyproxy.conf"
}

_zoo_varnish() {
    local port=$1 d
    _zoo_have varnishd || return 2
    d=$(_zoo_dir varnish)
    # No backend listens on 127.0.0.1:9: every request gets Varnish's own 503.
    _zoo_sh varnish "exec varnishd -F -a $ZOO_ADDR:$port -b 127.0.0.1:9 -n $d/work -s malloc,16m -T none"
}

_zoo_haproxy() {
    local port=$1 d
    _zoo_have haproxy || return 2
    d=$(_zoo_dir haproxy)
    cat >"$d/haproxy.cfg" <<EOF
global
    pidfile $d/haproxy.pid
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend web
    bind $ZOO_ADDR:$port
    default_backend nothing
backend nothing
    server none 127.0.0.1:9
EOF
    _zoo_sh haproxy "exec haproxy -db -f $d/haproxy.cfg"
}

_zoo_privoxy() {
    local port=$1 d
    _zoo_have privoxy || return 2
    d=$(_zoo_dir privoxy)
    chown privoxy "$d" 2>/dev/null
    cat >"$d/config" <<EOF
confdir /etc/privoxy
logdir $d
listen-address $ZOO_ADDR:$port
toggle 1
enable-remote-toggle 0
enable-edit-actions 0
actionsfile match-all.action
actionsfile default.action
filterfile default.filter
EOF
    _zoo_sh privoxy "exec privoxy --no-daemon $d/config"
}

_zoo_apt_cacher_ng() {
    local port=$1 d
    _zoo_have apt-cacher-ng || return 2
    d=$(_zoo_dir apt-cacher-ng)
    mkdir -p "$d/cache" "$d/log"
    chown -R apt-cacher-ng "$d" 2>/dev/null
    _zoo_sh apt-cacher-ng "exec apt-cacher-ng -c /etc/apt-cacher-ng ForeGround=1 Port=$port BindAddress=$ZOO_ADDR \
        CacheDir=$d/cache LogDir=$d/log PidFile=$d/acng.pid SocketPath=$d/acng.socket"
}

_zoo_webfs() {
    local port=$1 d
    _zoo_have webfsd || return 2
    d=$(_zoo_dir webfs)
    _zoo_webroot "$d/root"
    _zoo_sh webfs "exec webfsd -F -i $ZOO_ADDR -p $port -r $d/root -f index.html -u nobody -g nogroup"
}

_zoo_mini_httpd() {
    local port=$1 d
    _zoo_have mini_httpd || return 2
    d=$(_zoo_dir mini-httpd)
    _zoo_webroot "$d/root"
    _zoo_sh mini-httpd "exec mini_httpd -D -h $ZOO_ADDR -p $port -d $d/root -u nobody -l $d/access.log"
}

_zoo_h2o() {
    local port=$1 d
    _zoo_have h2o || return 2
    d=$(_zoo_dir h2o)
    _zoo_webroot "$d/root"
    chown nobody "$d"
    cat >"$d/h2o.conf" <<EOF
listen:
  host: $ZOO_ADDR
  port: $port
user: nobody
pid-file: $d/h2o.pid
error-log: $d/error.log
hosts:
  default:
    paths:
      /:
        file.dir: $d/root
EOF
    _zoo_sh h2o "exec h2o -c $d/h2o.conf"
}

_zoo_nghttpd() {
    local port=$1 d
    _zoo_have nghttpd || return 2
    d=$(_zoo_dir nghttpd)
    _zoo_webroot "$d/root"
    _zoo_sh nghttpd "exec nghttpd --no-tls -a $ZOO_ADDR -d $d/root $port"
}

_zoo_python_http() {
    local port=$1 d
    _zoo_have /usr/bin/python3 || return 2
    d=$(_zoo_dir python-http)
    _zoo_webroot "$d/root"
    _zoo_sh python-http "exec /usr/bin/python3 -m http.server --bind $ZOO_ADDR --directory $d/root $port"
}

_zoo_gunicorn() {
    local port=$1 d
    _zoo_have gunicorn || return 2
    d=$(_zoo_dir gunicorn)
    cat >"$d/app.py" <<'EOF'
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"pscan zoo test page\n"]
EOF
    _zoo_sh gunicorn "exec gunicorn --bind $ZOO_ADDR:$port --chdir $d --workers 1 --pid $d/gunicorn.pid app:app"
}

_zoo_uwsgi() {
    local port=$1 d
    _zoo_have uwsgi || return 2
    [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] || return 2
    d=$(_zoo_dir uwsgi)
    cat >"$d/app.py" <<'EOF'
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"pscan zoo test page\n"]
EOF
    _zoo_sh uwsgi "exec uwsgi --plugin python3 --http-socket $ZOO_ADDR:$port --wsgi-file $d/app.py --processes 1 --uid nobody --gid nogroup"
}

_zoo_twisted_web() {
    local port=$1 d
    /usr/bin/python3 -c 'import twisted' 2>/dev/null || return 2
    d=$(_zoo_dir twisted-web)
    _zoo_webroot "$d/root"
    _zoo_sh twisted-web "cd $d && exec /usr/bin/python3 -m twisted --log-file - web --listen tcp:$port:interface=$ZOO_ADDR --path $d/root"
}

_zoo_trafficserver() {
    local port=$1 d
    _zoo_have /usr/bin/traffic_server || return 2
    d=$(_zoo_dir trafficserver)
    # Its configuration, run, log and cache directories are compiled in:
    # private copies mounted over them.
    cp -a /etc/trafficserver "$d/etc"
    mkdir -p "$d/log" "$d/cache" "$d/run"
    cat >>"$d/etc/records.config" <<EOF
CONFIG proxy.config.http.server_ports STRING $port:ipv4
CONFIG proxy.config.incoming_ip_to_bind STRING $ZOO_ADDR
CONFIG proxy.config.dns.nameservers STRING 127.0.0.1
CONFIG proxy.config.dns.resolv_conf STRING NULL
CONFIG proxy.config.admin.user_id STRING #-1
CONFIG proxy.config.diags.debug.enabled INT 0
CONFIG proxy.config.exec_thread.autoconfig INT 0
CONFIG proxy.config.exec_thread.limit INT 1
EOF
    chown -R trafficserver "$d/etc" "$d/log" "$d/cache" "$d/run" 2>/dev/null
    _zoo_psh trafficserver "mount --bind $d/etc /etc/trafficserver && mount --bind $d/log /var/log/trafficserver &&
        mount --bind $d/cache /var/cache/trafficserver && mkdir -p /run/trafficserver && chown trafficserver /run/trafficserver &&
        exec /usr/bin/traffic_server"
}

_zoo_jetty9() {
    local port=$1 d
    _zoo_have java || return 2
    [ -e /usr/share/jetty9/start.jar ] || return 2
    d=$(_zoo_dir jetty9)
    mkdir -p "$d/webapps/root" "$d/tmp"
    _zoo_webroot "$d/webapps/root"
    _zoo_sh jetty9 "cd $d && exec java -Xmx128m -Djava.io.tmpdir=$d/tmp -jar /usr/share/jetty9/start.jar \
        jetty.home=/usr/share/jetty9 jetty.base=$d --module=http,deploy jetty.http.host=$ZOO_ADDR jetty.http.port=$port"
}

_zoo_tomcat10() {
    local port=$1 d
    _zoo_have java || return 2
    [ -x /usr/share/tomcat10/bin/catalina.sh ] || return 2
    d=$(_zoo_dir tomcat10)
    mkdir -p "$d/conf" "$d/logs" "$d/temp" "$d/work" "$d/webapps/ROOT"
    cp -a /etc/tomcat10/. "$d/conf/" 2>/dev/null
    cat >"$d/conf/server.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="$port" address="$ZOO_ADDR" protocol="HTTP/1.1" connectionTimeout="20000"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
EOF
    chmod -R a+rX "$d"
    _zoo_sh tomcat10 "export CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE=$d CATALINA_TMPDIR=$d/temp JAVA_OPTS=-Xmx128m &&
        exec /usr/share/tomcat10/bin/catalina.sh run"
}

_zoo_cups() {
    local port=$1 d
    _zoo_have /usr/sbin/cupsd || return 2
    d=$(_zoo_dir cups)
    mkdir -p "$d/spool/tmp" "$d/cache" "$d/state" "$d/log" "$d/ssl" "$d/ppd"
    cat >"$d/cupsd.conf" <<EOF
Listen $ZOO_ADDR:$port
# cupsd refuses to start without a way in from localhost.
Listen 127.0.0.1:$((port + 1))
LogLevel warn
Browsing No
BrowseLocalProtocols none
DefaultAuthType Basic
WebInterface Yes
<Location />
  Order allow,deny
  Allow all
</Location>
EOF
    cat >"$d/cups-files.conf" <<EOF
ServerRoot $d
RequestRoot $d/spool
TempDir $d/spool/tmp
CacheDir $d/cache
StateDir $d/state
ServerKeychain $d/ssl
ErrorLog $d/log/error_log
AccessLog $d/log/access_log
PageLog $d/log/page_log
DataDir /usr/share/cups
DocumentRoot /usr/share/cups/doc-root
ServerBin /usr/lib/cups
SystemGroup root
EOF
    _zoo_psh cups "mkdir -p /run/cups && exec /usr/sbin/cupsd -f -c $d/cupsd.conf -s $d/cups-files.conf"
}

_zoo_node_exporter() {
    local port=$1
    _zoo_have prometheus-node-exporter || return 2
    _zoo_dir prometheus-node-exporter >/dev/null
    _zoo_sh prometheus-node-exporter "exec prometheus-node-exporter --web.listen-address=$ZOO_ADDR:$port"
}

_zoo_prometheus() {
    local port=$1 d
    _zoo_have prometheus || return 2
    d=$(_zoo_dir prometheus)
    printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$d/prometheus.yml"
    _zoo_sh prometheus "exec prometheus --config.file=$d/prometheus.yml --storage.tsdb.path=$d/data \
        --web.listen-address=$ZOO_ADDR:$port"
}

_zoo_monit() {
    local port=$1 d
    _zoo_have monit || return 2
    d=$(_zoo_dir monit)
    cat >"$d/monitrc" <<EOF
set daemon 3600
set pidfile $d/monit.pid
set idfile $d/monit.id
set statefile $d/monit.state
set logfile $d/monit.log
set httpd port $port and use address $ZOO_ADDR
    allow 198.18.0.0/255.254.0.0
EOF
    chmod 0600 "$d/monitrc"
    _zoo_sh monit "exec monit -I -c $d/monitrc"
}

_zoo_etcd() {
    local port=$1 d
    _zoo_have etcd || return 2
    d=$(_zoo_dir etcd)
    _zoo_sh etcd "exec etcd --name pscan --data-dir $d/data --listen-client-urls http://$ZOO_ADDR:$port \
        --advertise-client-urls http://$ZOO_ADDR:$port --listen-peer-urls http://127.0.0.1:$((port + 1)) \
        --initial-advertise-peer-urls http://127.0.0.1:$((port + 1)) --initial-cluster pscan=http://127.0.0.1:$((port + 1))"
}

_zoo_influxdb() {
    local port=$1 d
    _zoo_have influxd || return 2
    d=$(_zoo_dir influxdb)
    cat >"$d/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 1))"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
[http]
  bind-address = "$ZOO_ADDR:$port"
  log-enabled = false
[monitor]
  store-enabled = false
EOF
    _zoo_sh influxdb "exec influxd run -config $d/influxdb.conf"
}

_zoo_icecast2() {
    local port=$1 d
    _zoo_have icecast2 || return 2
    d=$(_zoo_dir icecast2)
    mkdir -p "$d/log"
    chown icecast2 "$d/log"
    cat >"$d/icecast.xml" <<EOF
<icecast>
  <limits><clients>20</clients><sources>2</sources></limits>
  <authentication>
    <source-password>pscan-never-used</source-password>
    <relay-password>pscan-never-used</relay-password>
    <admin-user>admin</admin-user><admin-password>pscan-never-used</admin-password>
  </authentication>
  <hostname>pscan-test.example</hostname>
  <listen-socket><port>$port</port><bind-address>$ZOO_ADDR</bind-address></listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>/usr/share/icecast2</basedir>
    <logdir>$d/log</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
  <security><chroot>0</chroot><changeowner><user>icecast2</user><group>icecast</group></changeowner></security>
</icecast>
EOF
    chmod 0644 "$d/icecast.xml"
    _zoo_sh icecast2 "exec icecast2 -c $d/icecast.xml"
}

_zoo_minidlna() {
    local port=$1 d
    _zoo_have minidlnad || return 2
    d=$(_zoo_dir minidlna)
    mkdir -p "$d/media" "$d/db" "$d/log"
    cat >"$d/minidlna.conf" <<EOF
port=$port
network_interface=$TB_VN
media_dir=$d/media
db_dir=$d/db
log_dir=$d/log
friendly_name=pscan-zoo
inotify=no
notify_interval=3600
EOF
    # Its SSDP announcements (multicast) stop at the namespace's guard.
    _zoo_sh minidlna "exec minidlnad -S -f $d/minidlna.conf -P $d/minidlna.pid"
}

_zoo_mercurial() {
    local port=$1 d
    _zoo_have hg || return 2
    d=$(_zoo_dir mercurial)
    # HGDEMANDIMPORT=disable: hg's lazy imports race between the threads of
    # concurrent requests (AttributeError, then "500 Internal Server Error").
    _zoo_sh mercurial "export HGDEMANDIMPORT=disable && hg init $d/repo && exec hg serve -R $d/repo --address $ZOO_ADDR --port $port --config ui.username=pscan"
}

_zoo_fossil() {
    local port=$1 d
    _zoo_have fossil || return 2
    d=$(_zoo_dir fossil)
    _zoo_sh fossil "cd $d && HOME=$d USER=root fossil init --admin-user pscan $d/repo.fossil >$d/init.log 2>&1 &&
        HOME=$d USER=root exec fossil server $d/repo.fossil --port $port"
}

_zoo_stunnel() {
    local port=$1 d
    _zoo_have stunnel4 || return 2
    _zoo_cert || return 1
    d=$(_zoo_dir stunnel)
    # TLS in front of nothing (127.0.0.1:9): the handshake is the service.
    cat >"$d/stunnel.conf" <<EOF
foreground = yes
pid = $d/stunnel.pid
[zoo]
accept = $ZOO_ADDR:$port
connect = 127.0.0.1:9
cert = $ZOO_DIR/cert.pem
key = $ZOO_DIR/key.pem
EOF
    _zoo_sh stunnel "exec stunnel4 $d/stunnel.conf"
}

# ------------------------------------------------------------- directory, DNS

_zoo_slapd() {
    local port=$1 d
    _zoo_have slapd || return 2
    d=$(_zoo_dir slapd)
    mkdir -p "$d/db"
    cat >"$d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "dc=pscan,dc=example"
rootdn "cn=admin,dc=pscan,dc=example"
directory $d/db
EOF
    _zoo_sh slapd "exec slapd -d 0 -h ldap://$ZOO_ADDR:$port/ -f $d/slapd.conf"
}

_zoo_bind9() {
    local port=$1 d
    _zoo_have named || return 2
    d=$(_zoo_dir bind9)
    chown bind "$d"
    cat >"$d/named.conf" <<EOF
options {
    directory "$d";
    pid-file "$d/named.pid";
    session-keyfile "$d/session.key";
    listen-on port $port { $ZOO_ADDR; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
controls { };
EOF
    _zoo_sh bind9 "exec named -g -u bind -c $d/named.conf"
}

_zoo_unbound() {
    local port=$1 d
    _zoo_have unbound || return 2
    d=$(_zoo_dir unbound)
    cat >"$d/unbound.conf" <<EOF
server:
    interface: $ZOO_ADDR
    port: $port
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    use-syslog: no
    logfile: ""
    do-ip6: no
    access-control: 198.18.0.0/15 allow
    hide-version: no
    hide-identity: no
    do-not-query-localhost: no
# Recursion goes to 127.0.0.1:9, where nothing listens.
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@9
remote-control:
    control-enable: no
EOF
    _zoo_sh unbound "exec unbound -d -c $d/unbound.conf"
}

_zoo_knot() {
    local port=$1 d
    _zoo_have knotd || return 2
    d=$(_zoo_dir knot)
    mkdir -p "$d/db"
    chown -R knot "$d" 2>/dev/null
    cat >"$d/knot.conf" <<EOF
server:
    listen: $ZOO_ADDR@$port
    rundir: $d
    pidfile: $d/knot.pid
    user: knot:knot
database:
    storage: $d/db
log:
  - target: stderr
    any: info
EOF
    _zoo_sh knot "exec knotd -c $d/knot.conf"
}

_zoo_nsd() {
    local port=$1 d
    _zoo_have nsd || return 2
    d=$(_zoo_dir nsd)
    cat >"$d/nsd.conf" <<EOF
server:
    ip-address: $ZOO_ADDR@$port
    port: $port
    do-ip6: no
    pidfile: "$d/nsd.pid"
    database: ""
    zonesdir: "$d"
    xfrdfile: "$d/xfrd.state"
    zonelistfile: "$d/zone.list"
    username: ""
    chroot: ""
    logfile: "$d/nsd.log"
    hide-version: no
    server-count: 1
remote-control:
    control-enable: no
EOF
    _zoo_sh nsd "exec nsd -d -c $d/nsd.conf"
}

_zoo_pdns_server() {
    local port=$1 d
    _zoo_have pdns_server || return 2
    d=$(_zoo_dir pdns-server)
    : >"$d/named.conf"
    cat >"$d/pdns.conf" <<EOF
launch=bind
bind-config=$d/named.conf
local-address=$ZOO_ADDR
local-port=$port
socket-dir=$d
daemon=no
guardian=no
security-poll-suffix=
version-string=full
EOF
    _zoo_sh pdns-server "exec pdns_server --config-dir=$d"
}

_zoo_pdns_recursor() {
    local port=$1 d
    _zoo_have pdns_recursor || return 2
    d=$(_zoo_dir pdns-recursor)
    cat >"$d/recursor.conf" <<EOF
local-address=$ZOO_ADDR
local-port=$port
socket-dir=$d
daemon=no
allow-from=198.18.0.0/15, 127.0.0.0/8
forward-zones-recurse=.=127.0.0.1:9
security-poll-suffix=
dnssec=off
EOF
    _zoo_sh pdns-recursor "exec pdns_recursor --config-dir=$d"
}

_zoo_dnsmasq() {
    local port=$1 d
    _zoo_have dnsmasq || return 2
    d=$(_zoo_dir dnsmasq)
    _zoo_sh dnsmasq "exec dnsmasq -k --conf-file=/dev/null --listen-address=$ZOO_ADDR --bind-interfaces \
        --port=$port --no-resolv --no-hosts --pid-file=$d/dnsmasq.pid --user=nobody --log-facility=-"
}

_zoo_dnsdist() {
    local port=$1 d
    _zoo_have dnsdist || return 2
    d=$(_zoo_dir dnsdist)
    cat >"$d/dnsdist.conf" <<EOF
setLocal("$ZOO_ADDR:$port")
setSecurityPollSuffix("")
-- No backend: every query gets REFUSED from dnsdist itself (with a backend
-- that is down, it would drop UDP queries and close TCP connections).
addACL("198.18.0.0/15")
addAction(AllRule(), RCodeAction(DNSRCode.REFUSED))
EOF
    _zoo_sh dnsdist "exec dnsdist --supervised --disable-syslog -C $d/dnsdist.conf"
}

# ------------------------------------------------------------------- chat

_zoo_ngircd() {
    local port=$1 d
    _zoo_have ngircd || return 2
    d=$(_zoo_dir ngircd)
    cat >"$d/ngircd.conf" <<EOF
[Global]
    Name = irc.pscan.example
    Info = pscan zoo
    Listen = $ZOO_ADDR
    Ports = $port
    PidFile = $d/ngircd.pid
    MotdPhrase = pscan zoo
[Options]
    DNS = no
    Ident = no
    PAM = no
EOF
    _zoo_sh ngircd "exec ngircd -n -f $d/ngircd.conf"
}

_zoo_inspircd() {
    local port=$1 d
    _zoo_have inspircd || return 2
    d=$(_zoo_dir inspircd)
    chown irc "$d" 2>/dev/null
    cat >"$d/inspircd.conf" <<EOF
<server name="irc.pscan.example" description="pscan zoo" network="pscan">
<admin name="pscan" nick="pscan" email="pscan@pscan.example">
<bind address="$ZOO_ADDR" port="$port" type="clients">
<connect allow="*" timeout="60" maxchans="20" localmax="20" globalmax="20" resolvehostnames="no">
<pid file="$d/inspircd.pid">
<dns server="127.0.0.1" timeout="1">
<options>
<performance softlimit="64">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$d/ircd.log">
EOF
    _zoo_sh inspircd "exec inspircd --nofork --nopid --runasroot --config=$d/inspircd.conf"
}

_zoo_bitlbee() {
    local port=$1 d
    _zoo_have bitlbee || return 2
    d=$(_zoo_dir bitlbee)
    mkdir -p "$d/lib"
    chown bitlbee "$d/lib" 2>/dev/null
    printf '[settings]\nRunMode = ForkDaemon\nUser = bitlbee\n' >"$d/bitlbee.conf"
    _zoo_sh bitlbee "exec bitlbee -F -n -i $ZOO_ADDR -p $port -c $d/bitlbee.conf -d $d/lib -P $d/bitlbee.pid"
}

_zoo_znc() {
    local port=$1 d
    _zoo_have znc || return 2
    d=$(_zoo_dir znc)
    mkdir -p "$d/configs"
    # Password "pscan-never-used", hashed as ZNC does: sha256(password + salt).
    local salt=pscanzoosalt hash
    hash=$(printf '%s' "pscan-never-used$salt" | sha256sum | cut -d' ' -f1)
    cat >"$d/configs/znc.conf" <<EOF
Version = 1.8.2
<Listener l>
    Port = $port
    Host = $ZOO_ADDR
    IPv4 = true
    IPv6 = false
    SSL = false
</Listener>
<User pscan>
    <Pass password>
        Method = sha256
        Hash = $hash
        Salt = $salt
    </Pass>
    Admin = true
    Nick = pscan
    AltNick = pscan_
    Ident = pscan
    RealName = pscan zoo
</User>
EOF
    chown -R nobody "$d"
    _zoo_sh znc "exec runuser -u nobody -- znc --foreground --datadir $d"
}

_zoo_prosody() {
    local port=$1 d
    _zoo_have prosody || return 2
    d=$(_zoo_dir prosody)
    mkdir -p "$d/data"
    chown -R prosody "$d" 2>/dev/null
    cat >"$d/prosody.cfg.lua" <<EOF
pidfile = "$d/prosody.pid"
data_path = "$d/data"
daemonize = false
interfaces = { "$ZOO_ADDR" }
c2s_ports = { $port }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
c2s_direct_tls_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "version"; "dialback" }
modules_disabled = { "s2s"; "posix" }
log = { info = "*console" }
authentication = "internal_hashed"
VirtualHost "pscan.example"
EOF
    chmod 0644 "$d/prosody.cfg.lua"
    _zoo_sh prosody "exec runuser -u prosody -- prosody --config $d/prosody.cfg.lua -F"
}

_zoo_mumble() {
    local port=$1 d
    _zoo_have murmurd || return 2
    d=$(_zoo_dir mumble-server)
    chown mumble-server "$d" 2>/dev/null
    cat >"$d/mumble-server.ini" <<EOF
database=$d/mumble-server.sqlite
host=$ZOO_ADDR
port=$port
logfile=$d/mumble-server.log
pidfile=$d/mumble-server.pid
bonjour=false
registerName=
uname=mumble-server
# Murmur bans an address for 5 minutes after 10 connections in 2 minutes
# (autobanAttempts/autobanTimeframe/autobanTime): a -sV scan opens more than
# that, and every later scan in the ban would see "tcpwrapped".
autobanAttempts=0
EOF
    _zoo_sh mumble-server "exec murmurd -fg -ini $d/mumble-server.ini"
}

# ------------------------------------------------------------------- VPN, NAT

_zoo_openvpn() {
    local kind=$1 port=$2 proto=$3 d mode
    _zoo_have openvpn || return 2
    _zoo_cert || return 1
    d=$(_zoo_dir "$kind")
    if [ "$proto" = udp ]; then
        # Point to point, TLS mode (what answers the reset probe), no tun
        # device (--dev null): over UDP it answers every new peer.
        mode="--dev null"
    else
        # Over TCP a point-to-point instance serves one connection and then
        # restarts (refusing meanwhile): server mode, which needs a tun
        # device; it lives in the namespace, with test addresses
        # (198.19.253.0/24: above netns.sh's slots 1..250).
        mode="--mode server --dev tun --server 198.19.253.0 255.255.255.0 --topology subnet"
    fi
    _zoo_sh "$kind" "exec openvpn $mode --proto $proto --local $ZOO_ADDR --lport $port --tls-server \
        --ca $ZOO_DIR/cert.pem --cert $ZOO_DIR/cert.pem --key $ZOO_DIR/key.pem --dh none \
        --verb 3 --writepid $d/openvpn.pid"
}

_zoo_coturn() {
    local port=$1 d
    _zoo_have turnserver || return 2
    d=$(_zoo_dir coturn)
    _zoo_sh coturn "exec turnserver -n --listening-ip=$ZOO_ADDR --listening-port=$port --relay-ip=$ZOO_ADDR \
        --no-tls --no-dtls --no-cli --log-file=stdout --simple-log --pidfile=$d/turnserver.pid \
        --userdb=$d/turndb --realm=pscan.example --min-port=40000 --max-port=40010 --no-stun-backward-compatibility"
}

_zoo_strongswan() {
    local port=$1 d
    _zoo_have /usr/lib/ipsec/charon || return 2
    d=$(_zoo_dir strongswan)
    cat >"$d/strongswan.conf" <<EOF
charon {
    port = $port
    port_nat_t = $((port + 2))
    interfaces_use = $TB_VN
    install_routes = no
    install_virtual_ip = no
    load_modular = no
    plugins {
    }
    filelog {
        stderr { default = 1 }
    }
}
EOF
    _zoo_psh strongswan "export STRONGSWAN_CONF=$d/strongswan.conf && exec /usr/lib/ipsec/charon"
}

# ----------------------------------------------------------- file transfer

_zoo_samba() {
    local port=$1 d
    _zoo_have smbd || return 2
    d=$(_zoo_dir samba)
    mkdir -p "$d/run" "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/ncalrpc" "$d/log"
    cat >"$d/smb.conf" <<EOF
[global]
    interfaces = $ZOO_ADDR
    bind interfaces only = yes
    smb ports = $port
    disable netbios = yes
    server role = standalone server
    workgroup = PSCAN
    netbios name = PSCANZOO
    pid directory = $d/run
    lock directory = $d/lock
    state directory = $d/state
    cache directory = $d/cache
    private dir = $d/private
    ncalrpc dir = $d/ncalrpc
    log file = $d/log/log.%m
    load printers = no
    printcap name = /dev/null
    disable spoolss = yes
EOF
    _zoo_psh samba "mkdir -p /run/samba && exec smbd --foreground --no-process-group --debug-stdout -s $d/smb.conf"
}

_zoo_rsync() {
    local port=$1 d
    _zoo_have rsync || return 2
    d=$(_zoo_dir rsync)
    mkdir -p "$d/pub"
    cat >"$d/rsyncd.conf" <<EOF
pid file = $d/rsyncd.pid
use chroot = no
motd file = $d/motd
[pub]
    path = $d/pub
    comment = pscan zoo
    read only = yes
EOF
    echo "pscan zoo rsync" >"$d/motd"
    _zoo_sh rsync "exec rsync --daemon --no-detach --address=$ZOO_ADDR --port=$port --config=$d/rsyncd.conf"
}

_zoo_tftpd_hpa() {
    local port=$1 d
    _zoo_have in.tftpd || return 2
    d=$(_zoo_dir tftpd-hpa)
    mkdir -p "$d/root"
    echo "pscan zoo" >"$d/root/hello.txt"
    chmod -R a+rX "$d/root"
    _zoo_sh tftpd-hpa "exec in.tftpd -L -a $ZOO_ADDR:$port -u nobody -s $d/root -P $d/tftpd.pid"
}

_zoo_nbd() {
    local port=$1 d
    _zoo_have nbd-server || return 2
    d=$(_zoo_dir nbd-server)
    truncate -s 1M "$d/disk.img"
    cat >"$d/nbd.conf" <<EOF
[generic]
    port = $port
    listenaddr = $ZOO_ADDR
    user = root
    group = root
    allowlist = true
[zoo]
    exportname = $d/disk.img
    readonly = true
EOF
    # With -d (no fork) it serves one client and exits on the first failed
    # negotiation; its inetd mode closes at once: so it daemonizes, and
    # zoo_stop finds it by its pid file (checked to be in our namespace).
    ZOO_PIDFILE[nbd-server]=$d/nbd.pid
    _zoo_sh nbd-server "exec nbd-server -C $d/nbd.conf -p $d/nbd.pid"
}

_zoo_tgt() {
    local port=$1
    _zoo_have tgtd || return 2
    _zoo_dir tgt >/dev/null
    # tgtd closes every connection while it has no target (accept_connection:
    # an empty target list), so one target, bound to every initiator, with no
    # LUN of its own: a login and a SendTargets discovery then work.
    _zoo_psh tgt "tgtd -f --iscsi portal=$ZOO_ADDR:$port & t=\$!
        for i in 1 2 3 4 5 6 7 8 9 10; do
            tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-12.example.pscan:zoo 2>/dev/null && break
            sleep 0.5
        done
        tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
        wait \$t"
}

_zoo_git() {
    local port=$1 d
    _zoo_have git || return 2
    d=$(_zoo_dir git-daemon)
    mkdir -p "$d/repos"
    _zoo_sh git-daemon "git init -q --bare $d/repos/pscan.git && exec git daemon --reuseaddr --listen=$ZOO_ADDR \
        --port=$port --base-path=$d/repos --export-all --verbose $d/repos"
}

_zoo_svnserve() {
    local port=$1 d
    _zoo_have svnserve svnadmin || return 2
    d=$(_zoo_dir svnserve)
    _zoo_sh svnserve "svnadmin create $d/repo && exec svnserve -d --foreground --listen-host=$ZOO_ADDR \
        --listen-port=$port -r $d --pid-file=$d/svnserve.pid"
}

# socat hands each connection to an inetd-style daemon on its stdin/stdout
# (nofork: the daemon gets the TCP socket itself, as from inetd).
# _zoo_inetd_style KIND PORT CMD...: one CMD per connection, the socket as its
# stdin and stdout, as inetd runs it; with ZOO_INETD_STDERR=1 its stderr too
# (inetd and xinetd hand a "nowait" server the socket as fds 0, 1 and 2: cvs
# pserver, in.fingerd and telnetd write their errors there).
_zoo_inetd_style() {
    local kind=$1 port=$2 opts=nofork
    shift 2
    _zoo_have socat || return 2
    [ "${ZOO_INETD_STDERR:-0}" = 1 ] && opts=nofork,stderr
    _zoo_sh "$kind" "exec socat TCP-LISTEN:$port,bind=$ZOO_ADDR,reuseaddr,fork EXEC:'$*',$opts"
}

_zoo_cvs() {
    local port=$1 d
    _zoo_have cvs || return 2
    d=$(_zoo_dir cvs-pserver)
    cvs -d "$d/cvsroot" init || return 1
    ZOO_INETD_STDERR=1 _zoo_inetd_style cvs-pserver "$port" "cvs -f --allow-root=$d/cvsroot pserver"
}

# --------------------------------------------------------- remote desktop

_zoo_xrdp() {
    local port=$1 d
    _zoo_have xrdp || return 2
    _zoo_rsacert || return 1
    d=$(_zoo_dir xrdp)
    sed -e "s|^port=.*|port=tcp://$ZOO_ADDR:$port|" \
        -e "s|^certificate=.*|certificate=$ZOO_DIR/rsa-cert.pem|" \
        -e "s|^key_file=.*|key_file=$ZOO_DIR/rsa-key.pem|" \
        -e "s|^LogFile=.*|LogFile=$d/xrdp.log|" /etc/xrdp/xrdp.ini >"$d/xrdp.ini"
    # Its pid file is compiled in: /run/xrdp (private).
    _zoo_psh xrdp "mkdir -p /run/xrdp && exec xrdp --nodaemon --config $d/xrdp.ini"
}

# An X server's display number: PORT - 6000 for X11, free for VNC.
_zoo_display() { echo $(((${1} % 40) + 20)); }

_zoo_tigervnc() {
    local port=$1 d n
    _zoo_have Xtigervnc || return 2
    d=$(_zoo_dir tigervnc)
    n=$(_zoo_display "$port")
    mkdir -p "$d/tmp"
    chmod 1777 "$d/tmp"
    # Its lock file and socket go to /tmp: a private /tmp (its own dir).
    _zoo_psh tigervnc "mount --bind $d/tmp /tmp && exec Xtigervnc :$n -rfbport $port -interface $ZOO_ADDR \
        -SecurityTypes None -nolisten tcp -localhost=0 -desktop pscan-zoo -geometry 640x480"
}

_zoo_xvfb() {
    local port=$1 d n
    _zoo_have Xvfb || return 2
    n=$((port - 6000))
    if [ "$n" -lt 1 ] || [ "$n" -gt 63 ]; then
        note "zoo xvfb: port $port is not 6001..6063 (X11 listens on 6000 + display)"
        return 1
    fi
    d=$(_zoo_dir xvfb)
    mkdir -p "$d/tmp"
    chmod 1777 "$d/tmp"
    _zoo_psh xvfb "mount --bind $d/tmp /tmp && exec Xvfb :$n -listen tcp -nolisten unix -ac -screen 0 640x480x24"
}

# ------------------------------------------------------------------ monitoring

_zoo_snmpd() {
    local port=$1 d
    _zoo_have snmpd || return 2
    d=$(_zoo_dir snmpd)
    cat >"$d/snmpd.conf" <<EOF
agentAddress udp:$ZOO_ADDR:$port
rocommunity public 198.18.0.0/15
sysLocation pscan zoo
sysContact pscan@pscan.example
EOF
    _zoo_sh snmpd "export SNMP_PERSISTENT_DIR=$d/persist MIBS= && exec snmpd -f -Lo -C -c $d/snmpd.conf -p $d/snmpd.pid"
}

_zoo_munin() {
    local port=$1 d
    _zoo_have munin-node || return 2
    d=$(_zoo_dir munin-node)
    mkdir -p "$d/plugins" "$d/plugin-conf.d" "$d/spool"
    cat >"$d/munin-node.conf" <<EOF
log_level 4
log_file $d/munin-node.log
pid_file $d/munin-node.pid
background 0
setsid 0
user root
group root
host_name pscan-zoo.example
cidr_allow 198.18.0.0/15
host $ZOO_ADDR
port $port
EOF
    _zoo_sh munin-node "exec munin-node --config $d/munin-node.conf"
}

_zoo_zabbix() {
    local port=$1 d
    _zoo_have zabbix_agentd || return 2
    d=$(_zoo_dir zabbix-agent)
    chown zabbix "$d" 2>/dev/null
    cat >"$d/zabbix_agentd.conf" <<EOF
PidFile=$d/zabbix_agentd.pid
LogType=console
Server=198.18.0.0/15
ServerActive=
ListenPort=$port
ListenIP=$ZOO_ADDR
StartAgents=2
Hostname=pscan-zoo
EOF
    _zoo_sh zabbix-agent "exec zabbix_agentd -f -c $d/zabbix_agentd.conf"
}

_zoo_nrpe() {
    local port=$1 d
    _zoo_have nrpe || return 2
    d=$(_zoo_dir nrpe)
    cat >"$d/nrpe.cfg" <<EOF
pid_file=$d/nrpe.pid
server_port=$port
server_address=$ZOO_ADDR
nrpe_user=nagios
nrpe_group=nagios
allowed_hosts=198.18.0.0/15
dont_blame_nrpe=0
debug=0
command_timeout=10
EOF
    _zoo_sh nrpe "exec nrpe -c $d/nrpe.cfg -f"
}

_zoo_gpsd() {
    local port=$1 d
    _zoo_have gpsd || return 2
    d=$(_zoo_dir gpsd)
    # -G: all addresses of the namespace (gpsd cannot name one).
    _zoo_sh gpsd "exec gpsd -N -n -G -S $port -F $d/gpsd.sock -P $d/gpsd.pid"
}

_zoo_nut() {
    local port=$1 d
    # /sbin/upsd is a wrapper that reads /etc/nut/nut.conf: the real one.
    _zoo_have /lib/nut/upsd || return 2
    d=$(_zoo_dir nut-server)
    mkdir -p "$d/etc" "$d/state"
    printf 'LISTEN %s %s\n' "$ZOO_ADDR" "$port" >"$d/etc/upsd.conf"
    # upsd wants one UPS defined; its driver need not run.
    printf '[zoo]\n    driver = dummy-ups\n    port = zoo.dev\n    desc = "pscan zoo"\n' >"$d/etc/ups.conf"
    : >"$d/etc/upsd.users"
    echo "MODE=netserver" >"$d/etc/nut.conf"
    chown -R nut "$d" 2>/dev/null
    chmod -R a+rX "$d"
    _zoo_sh nut-server "export NUT_CONFPATH=$d/etc NUT_STATEPATH=$d/state && exec /lib/nut/upsd -F -u nut"
}

_zoo_chrony() {
    local port=$1 d
    _zoo_have chronyd || return 2
    d=$(_zoo_dir chrony)
    cat >"$d/chrony.conf" <<EOF
port $port
bindaddress $ZOO_ADDR
allow 198.18.0.0/15
local stratum 10
cmdport 0
pidfile $d/chronyd.pid
driftfile $d/chrony.drift
EOF
    # -x: never touch the clock.  /run/chrony (its socket dir) is private.
    _zoo_psh chrony "mkdir -p /run/chrony && chown _chrony /run/chrony && exec chronyd -d -x -f $d/chrony.conf"
}

# ---------------------------------------------------------------------- misc

_zoo_mpd() {
    local port=$1 d
    _zoo_have mpd || return 2
    d=$(_zoo_dir mpd)
    mkdir -p "$d/music" "$d/playlists"
    cat >"$d/mpd.conf" <<EOF
music_directory "$d/music"
playlist_directory "$d/playlists"
db_file "$d/tag_cache"
state_file "$d/state"
pid_file "$d/pid"
bind_to_address "$ZOO_ADDR"
port "$port"
zeroconf_enabled "no"
audio_output {
    type "null"
    name "null"
}
EOF
    _zoo_sh mpd "exec mpd --no-daemon --stderr $d/mpd.conf"
}

_zoo_telnetd() {
    local port=$1
    _zoo_have /usr/sbin/telnetd || return 2
    _zoo_dir telnetd >/dev/null
    ZOO_INETD_STDERR=1 _zoo_inetd_style telnetd "$port" "/usr/sbin/telnetd"
}

_zoo_fingerd() {
    local port=$1
    _zoo_have /usr/sbin/in.fingerd || return 2
    _zoo_dir fingerd >/dev/null
    ZOO_INETD_STDERR=1 _zoo_inetd_style fingerd "$port" "/usr/sbin/in.fingerd"
}

_zoo_oidentd() {
    local port=$1
    _zoo_have oidentd || return 2
    _zoo_dir oidentd >/dev/null
    _zoo_sh oidentd "exec oidentd -i -S -a $ZOO_ADDR -p $port -u nobody -g nogroup"
}

_zoo_distcc() {
    local port=$1 d
    _zoo_have distccd || return 2
    d=$(_zoo_dir distcc)
    _zoo_sh distcc "exec distccd --daemon --no-detach --listen $ZOO_ADDR --port $port --allow 198.18.0.0/15 \
        --log-stderr --pid-file $d/distccd.pid --user nobody"
}

_zoo_gearman() {
    local port=$1 d
    _zoo_have gearmand || return 2
    d=$(_zoo_dir gearman)
    chown gearman "$d" 2>/dev/null
    _zoo_sh gearman "exec gearmand --listen=$ZOO_ADDR --port=$port --log-file=stderr --pid-file=$d/gearmand.pid \
        --user=gearman --threads=1"
}

_zoo_kamailio() {
    local port=$1 d
    _zoo_have kamailio || return 2
    d=$(_zoo_dir kamailio)
    cat >"$d/kamailio.cfg" <<EOF
#!KAMAILIO
listen=udp:$ZOO_ADDR:$port
listen=tcp:$ZOO_ADDR:$port
children=1
tcp_children=1
dns=no
rev_dns=no
log_stderror=yes
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "xlog.so"
request_route {
    # Answer to the source address and port, as the stock kamailio.cfg does
    # for clients behind NAT (a Via without rport would send the reply to
    # the Via host).
    force_rport();
    if (is_method("OPTIONS")) {
        sl_send_reply("200", "OK");
        exit;
    }
    sl_send_reply("404", "Not here");
    exit;
}
EOF
    _zoo_sh kamailio "exec kamailio -DD -E -f $d/kamailio.cfg -P $d/kamailio.pid -Y $d -u root -g root"
}

_zoo_freeradius() {
    local port=$1 d
    _zoo_have freeradius || return 2
    d=$(_zoo_dir freeradius)
    cp -a /etc/freeradius/3.0 "$d/raddb"
    cat >>"$d/raddb/clients.conf" <<EOF
client pscan-testnet {
    ipaddr = 198.18.0.0/15
    secret = pscan-zoo-secret
}
EOF
    sed -i "s|^\([[:space:]]*\)run_dir = .*|\1run_dir = $d/run|; s|^\([[:space:]]*\)logdir = .*|\1logdir = $d/log|" "$d/raddb/radiusd.conf"
    mkdir -p "$d/run" "$d/log"
    chown -R freerad "$d" 2>/dev/null
    _zoo_sh freeradius "exec freeradius -f -l stdout -i $ZOO_ADDR -p $port -d $d/raddb"
}

_zoo_dropbear() {
    local port=$1 d
    _zoo_have dropbear dropbearkey || return 2
    d=$(_zoo_dir dropbear)
    _zoo_sh dropbear "dropbearkey -t ed25519 -f $d/host_ed25519 >/dev/null 2>&1 &&
        exec dropbear -F -E -p $ZOO_ADDR:$port -r $d/host_ed25519 -P $d/dropbear.pid"
}

_zoo_tinysshd() {
    local port=$1 d
    _zoo_have tinysshd tinysshd-makekey || return 2
    d=$(_zoo_dir tinysshd)
    tinysshd-makekey -q "$d/keys" || return 1
    _zoo_inetd_style tinysshd "$port" "tinysshd $d/keys"
}

_zoo_mosquitto() {
    local port=$1 d
    _zoo_have mosquitto || return 2
    d=$(_zoo_dir mosquitto)
    chown mosquitto "$d" 2>/dev/null
    cat >"$d/mosquitto.conf" <<EOF
listener $port $ZOO_ADDR
allow_anonymous true
persistence false
pid_file $d/mosquitto.pid
log_dest stderr
EOF
    _zoo_sh mosquitto "exec mosquitto -c $d/mosquitto.conf"
}

_zoo_beanstalkd() {
    local port=$1
    _zoo_have beanstalkd || return 2
    _zoo_dir beanstalkd >/dev/null
    _zoo_sh beanstalkd "exec beanstalkd -l $ZOO_ADDR -p $port -u nobody"
}

_zoo_nats() {
    local port=$1
    _zoo_have nats-server || return 2
    _zoo_dir nats-server >/dev/null
    _zoo_sh nats-server "exec nats-server -a $ZOO_ADDR -p $port"
}

_zoo_redis_sentinel() {
    local port=$1 d
    _zoo_have redis-sentinel || return 2
    d=$(_zoo_dir redis-sentinel)
    cat >"$d/sentinel.conf" <<EOF
port $port
bind $ZOO_ADDR
protected-mode no
daemonize no
dir $d
logfile ""
sentinel monitor zoo 127.0.0.1 9 1
EOF
    _zoo_sh redis-sentinel "exec redis-sentinel $d/sentinel.conf"
}

_zoo_pgbouncer() {
    local port=$1 d
    _zoo_have pgbouncer || return 2
    d=$(_zoo_dir pgbouncer)
    echo '"pscan" "pscan-never-used"' >"$d/users.txt"
    cat >"$d/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=9
[pgbouncer]
listen_addr = $ZOO_ADDR
listen_port = $port
unix_socket_dir = $d
auth_type = md5
auth_file = $d/users.txt
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
EOF
    chown -R postgres "$d" 2>/dev/null || chown -R nobody "$d"
    local u=postgres
    getent passwd postgres >/dev/null || u=nobody
    _zoo_sh pgbouncer "exec runuser -u $u -- pgbouncer $d/pgbouncer.ini"
}

_zoo_pgpool2() {
    local port=$1 d
    _zoo_have pgpool || return 2
    d=$(_zoo_dir pgpool2)
    mkdir -p "$d/log"
    cat >"$d/pgpool.conf" <<EOF
backend_clustering_mode = 'raw'
listen_addresses = '$ZOO_ADDR'
port = $port
pcp_listen_addresses = '127.0.0.1'
pcp_port = $((port + 1))
unix_socket_directories = '$d'
pcp_socket_dir = '$d'
backend_hostname0 = '127.0.0.1'
backend_port0 = 1025
num_init_children = 2
pid_file_name = '$d/pgpool.pid'
logdir = '$d/log'
health_check_period = 0
enable_pool_hba = off
EOF
    : >"$d/pcp.conf"
    _zoo_sh pgpool2 "exec pgpool -n -f $d/pgpool.conf -F $d/pcp.conf"
}

_zoo_krb5kdc() {
    local port=$1 d
    _zoo_have krb5kdc kdb5_util || return 2
    d=$(_zoo_dir krb5-kdc)
    cat >"$d/krb5.conf" <<EOF
[libdefaults]
    default_realm = PSCAN.EXAMPLE
    dns_lookup_kdc = false
    dns_lookup_realm = false
[realms]
    PSCAN.EXAMPLE = {
        kdc = $ZOO_ADDR:$port
    }
EOF
    cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = $ZOO_ADDR:$port
    kdc_tcp_listen = $ZOO_ADDR:$port
[realms]
    PSCAN.EXAMPLE = {
        database_name = $d/principal
        key_stash_file = $d/stash
        acl_file = $d/kadm5.acl
        kdc_listen = $ZOO_ADDR:$port
        kdc_tcp_listen = $ZOO_ADDR:$port
    }
[logging]
    kdc = STDERR
EOF
    _zoo_sh krb5-kdc "export KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf &&
        kdb5_util create -s -r PSCAN.EXAMPLE -P pscan-never-used >$d/kdb5.log 2>&1 && exec krb5kdc -n"
}

_zoo_dante() {
    local port=$1 d
    _zoo_have danted || return 2
    d=$(_zoo_dir dante)
    cat >"$d/danted.conf" <<EOF
logoutput: stderr
internal: $ZOO_ADDR port = $port
external: $ZOO_ADDR
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 0.0.0.0/0 to: 0.0.0.0/0
}
socks pass {
    from: 0.0.0.0/0 to: 127.0.0.0/8
}
EOF
    _zoo_sh dante "exec danted -f $d/danted.conf -p $d/danted.pid -N 1"
}

_zoo_pptpd() {
    local port=$1 d
    _zoo_have pptpd || return 2
    if [ "$port" != 1723 ]; then
        note "zoo pptpd: pptpd listens on 1723 only"
        return 1
    fi
    d=$(_zoo_dir pptpd)
    printf 'option %s/options\nlocalip 198.18.255.1\nremoteip 198.18.255.2-3\n' "$d" >"$d/pptpd.conf"
    : >"$d/options"
    _zoo_sh pptpd "exec pptpd -f -c $d/pptpd.conf -l $ZOO_ADDR -p $d/pptpd.pid"
}

_zoo_spamd() {
    local port=$1 d
    _zoo_have spamd || return 2
    d=$(_zoo_dir spamd)
    _zoo_sh spamd "exec spamd --listen=$ZOO_ADDR:$port --allowed-ips=198.18.0.0/15 --pidfile=$d/spamd.pid \
        --syslog=stderr --max-children=5 --username=nobody --nouser-config --local"
}

_zoo_rabbitmq() {
    local port=$1 d
    [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || return 2
    d=$(_zoo_dir rabbitmq)
    mkdir -p "$d/mnesia" "$d/log" "$d/home"
    echo '[].' >"$d/enabled_plugins"
    printf 'listeners.tcp.default = %s:%s\nloopback_users = none\n' "$ZOO_ADDR" "$port" >"$d/rabbitmq.conf"
    printf 'pscan-zoo-cookie' >"$d/home/.erlang.cookie"
    chmod 0400 "$d/home/.erlang.cookie"
    # epmd on its own port (loopback), the Erlang distribution port next to PORT.
    _zoo_sh rabbitmq "export HOME=$d/home RABBITMQ_NODENAME=zoo@localhost RABBITMQ_MNESIA_BASE=$d/mnesia \
        RABBITMQ_LOG_BASE=$d/log RABBITMQ_CONFIG_FILE=$d/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins \
        RABBITMQ_DIST_PORT=$((port + 2)) ERL_EPMD_PORT=$((port + 4)) ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_PID_FILE=$d/rabbitmq.pid RABBITMQ_LOGS=- && exec /usr/lib/rabbitmq/bin/rabbitmq-server"
}

_zoo_epmd() {
    local port=$1 e
    e=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n 1)
    [ -n "$e" ] || return 2
    _zoo_dir epmd >/dev/null
    _zoo_sh epmd "exec $e -address $ZOO_ADDR -port $port"
}

_zoo_zookeeper() {
    local port=$1 d
    _zoo_have java || return 2
    [ -e /usr/share/java/zookeeper.jar ] || return 2
    d=$(_zoo_dir zookeeper)
    mkdir -p "$d/data" "$d/conf"
    cat >"$d/conf/zoo.cfg" <<EOF
tickTime=2000
dataDir=$d/data
clientPort=$port
clientPortAddress=$ZOO_ADDR
admin.enableServer=false
4lw.commands.whitelist=srvr,stat,ruok,conf,envi
EOF
    cp /etc/zookeeper/conf/log4j.properties "$d/conf/" 2>/dev/null
    _zoo_sh zookeeper "exec java -Xmx128m -Dzookeeper.log.dir=$d -Dzookeeper.root.logger=INFO,CONSOLE \
        -cp $d/conf:/usr/share/java/zookeeper.jar:/usr/share/java/* org.apache.zookeeper.server.ZooKeeperServerMain $d/conf/zoo.cfg"
}

_zoo_sphinx() {
    local port=$1 d
    _zoo_have searchd || return 2
    d=$(_zoo_dir sphinxsearch)
    cat >"$d/sphinx.conf" <<EOF
index zoo {
    type = rt
    path = $d/zoo
    rt_field = title
    rt_attr_uint = n
}
searchd {
    listen = $ZOO_ADDR:$port:mysql41
    log = $d/searchd.log
    query_log = $d/query.log
    pid_file = $d/searchd.pid
    binlog_path = $d
}
EOF
    _zoo_sh sphinxsearch "exec searchd --config $d/sphinx.conf --nodetach"
}

_zoo_tarantool() {
    local port=$1 d
    _zoo_have tarantool || return 2
    d=$(_zoo_dir tarantool)
    cat >"$d/init.lua" <<EOF
box.cfg{ listen = '$ZOO_ADDR:$port', work_dir = '$d', log_level = 4 }
EOF
    _zoo_sh tarantool "exec tarantool $d/init.lua"
}

_zoo_conserver() {
    local port=$1 d
    _zoo_have conserver || return 2
    d=$(_zoo_dir conserver)
    cat >"$d/conserver.cf" <<EOF
config * { }
default full { rw *; }
console zoo { master localhost; type exec; exec /bin/cat; options ondemand; }
access * { trusted 127.0.0.1; allowed 198.18.0.0/15; }
EOF
    : >"$d/conserver.passwd"
    _zoo_sh conserver "exec conserver -C $d/conserver.cf -P $d/conserver.passwd -p $port -M $ZOO_ADDR -b $((port + 2)) -m 1"
}

_zoo_twisted_ftp() {
    local port=$1 d
    /usr/bin/python3 -c 'import twisted' 2>/dev/null || return 2
    d=$(_zoo_dir twisted-ftp)
    mkdir -p "$d/root"
    : >"$d/passwd"
    _zoo_sh twisted-ftp "cd $d && exec /usr/bin/python3 -m twisted --log-file - ftp \
        --port $port --root $d/root --password-file $d/passwd"
}

_zoo_twisted_mail() {
    local port=$1 d
    /usr/bin/python3 -c 'import twisted' 2>/dev/null || return 2
    d=$(_zoo_dir twisted-mail)
    mkdir -p "$d/maildir"
    _zoo_sh twisted-mail "cd $d && exec /usr/bin/python3 -m twisted --log-file - mail \
        --smtp tcp:$port:interface=$ZOO_ADDR --no-pop3 --maildirdbmdomain pscan.example=$d/maildir"
}

# --------------------------------------- conflicting packages (see ZOO_TABLE)

# _zoo_users D NAME...: for a private mount namespace, copies of /etc/passwd
# and /etc/group with system users NAME added (the package was unpacked, not
# installed: no postinst made its users); prints the commands that mount them.
_zoo_users() {
    local d=$1 n uid=64000
    shift
    cp /etc/passwd "$d/passwd"
    cp /etc/group "$d/group"
    for n in "$@"; do
        echo "$n:x:$uid:$uid:zoo:/nonexistent:/usr/sbin/nologin" >>"$d/passwd"
        echo "$n:x:$uid:" >>"$d/group"
        uid=$((uid + 1))
    done
    chmod 0644 "$d/passwd" "$d/group"
    echo "mount --bind $d/passwd /etc/passwd && mount --bind $d/group /etc/group"
}

_zoo_exim4() {
    local port=$1 d bin users
    bin=$(_zoo_bin exim4-daemon-light /usr/sbin/exim4) || return 2
    d=$(_zoo_dir exim4)
    users=$(_zoo_users "$d" Debian-exim)
    mkdir -p "$d/spool" "$d/log"
    chown nobody:nogroup "$d/spool" "$d/log"
    cat >"$d/exim.conf" <<EOF
primary_hostname = pscan-test.example
daemon_smtp_ports = $port
local_interfaces = $ZOO_ADDR
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
exim_user = nobody
exim_group = nogroup
never_users =
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  deny message = pscan zoo accepts no mail
begin routers
begin transports
EOF
    # Its compiled-in user Debian-exim must exist (private /etc/passwd).
    _zoo_psh exim4 "$users && exec $bin -bdf -C $d/exim.conf"
}

_zoo_opensmtpd() {
    local port=$1 d bin users
    bin=$(_zoo_bin opensmtpd /usr/sbin/smtpd) || return 2
    d=$(_zoo_dir opensmtpd)
    mkdir -p "$d/spool"
    users=$(_zoo_users "$d" opensmtpd opensmtpq)
    cat >"$d/smtpd.conf" <<EOF
listen on $ZOO_ADDR port $port hostname pscan-test.example
action "reject" relay host smtp://127.0.0.1:9
match from any for any action "reject"
EOF
    # Its queue (/var/spool/smtpd), chroot (/var/lib/opensmtpd/empty) and
    # users are compiled in: private ones.
    _zoo_psh opensmtpd "$users && mount --bind $d/spool /var/spool && mkdir -m 0711 -p /var/spool/smtpd &&
        chmod 0711 /var/spool/smtpd && mount -t tmpfs zoo-varlib /var/lib && mkdir -p /var/lib/opensmtpd/empty &&
        exec $bin -d -f $d/smtpd.conf"
}

_zoo_proftpd() {
    local port=$1 d bin
    bin=$(_zoo_bin proftpd-core /usr/sbin/proftpd) || return 2
    d=$(_zoo_dir proftpd)
    cat >"$d/proftpd.conf" <<EOF
ServerType standalone
ServerName "pscan zoo"
DefaultServer on
DefaultAddress $ZOO_ADDR
SocketBindTight on
Port $port
UseIPv6 off
User nobody
Group nogroup
PidFile $d/proftpd.pid
ScoreboardFile $d/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
EOF
    _zoo_sh proftpd "exec $bin -n -c $d/proftpd.conf"
}

_zoo_pure_ftpd() {
    local port=$1 bin
    bin=$(_zoo_bin pure-ftpd /usr/sbin/pure-ftpd) || return 2
    _zoo_dir pure-ftpd >/dev/null
    _zoo_sh pure-ftpd "exec $bin -S $ZOO_ADDR,$port -A -E -H"
}

_zoo_ircd_hybrid() {
    local port=$1 d bin
    bin=$(_zoo_bin ircd-hybrid /usr/sbin/ircd-hybrid) || return 2
    d=$(_zoo_dir ircd-hybrid)
    chown nobody "$d"
    local mods=${bin%/sbin/ircd-hybrid}/lib/ircd-hybrid/modules
    cat >"$d/ircd.conf" <<EOF
serverinfo {
    name = "irc.pscan.example";
    sid = "0ZO";
    description = "pscan zoo";
    network_name = "pscan";
    network_desc = "pscan zoo";
    hub = no;
};
admin { name = "pscan"; description = "pscan zoo"; email = "<pscan@pscan.example>"; };
class { name = "users"; ping_time = 90 seconds; number_per_ip_local = 20; max_number = 100; sendq = 100 kbytes; };
listen { host = "$ZOO_ADDR"; port = $port; };
auth { user = "*@*"; class = "users"; };
general { disable_auth = yes; throttle_time = 0; };
modules { path = "$mods"; path = "$mods/autoload"; };
motd { mask = "*"; file = "$d/ircd.motd"; };
EOF
    echo "pscan zoo" >"$d/ircd.motd"
    local ovl=":"
    # Its core modules load from the compiled-in /usr/lib/ircd-hybrid: when
    # unpacked, a read-only overlay of the unpacked /usr/lib on the real one.
    if [ "$mods" != /usr/lib/ircd-hybrid/modules ]; then
        ovl="mount -t overlay zoo-ircd -o lowerdir=${bin%/sbin/ircd-hybrid}/lib:/usr/lib /usr/lib"
    fi
    _zoo_psh ircd-hybrid "$ovl && cd $d && exec runuser -u nobody -- $bin -foreground -configfile $d/ircd.conf -pidfile $d/ircd.pid -logfile $d/ircd.log"
}

_zoo_ntpsec() {
    local port=$1 d bin
    bin=$(_zoo_bin ntpsec /usr/sbin/ntpd) || return 2
    if [ "$port" != 123 ]; then
        note "zoo ntpsec: ntpd listens on 123 only"
        return 1
    fi
    d=$(_zoo_dir ntpsec)
    # The local clock as its only source; "disable kernel ntp": it never
    # touches the system clock.
    cat >"$d/ntp.conf" <<EOF
driftfile $d/ntp.drift
server 127.127.1.0
fudge 127.127.1.0 stratum 10
restrict default kod nomodify noquery limited
restrict 198.18.0.0 mask 255.254.0.0 nomodify
restrict 127.0.0.1
disable kernel ntp
EOF
    _zoo_sh ntpsec "exec $bin -n -c $d/ntp.conf -I $TB_VN -p $d/ntpd.pid"
}

_zoo_atftpd() {
    local port=$1 d bin
    bin=$(_zoo_bin atftpd /usr/sbin/atftpd) || return 2
    d=$(_zoo_dir atftpd)
    mkdir -p "$d/root"
    echo "pscan zoo" >"$d/root/hello.txt"
    chmod -R a+rX "$d/root"
    _zoo_sh atftpd "exec $bin --daemon --no-fork --port $port --bind-address $ZOO_ADDR --user nobody.nogroup \
        --logfile - --pidfile $d/atftpd.pid $d/root"
}

# ------------------------------------------------------------------- control

zoo_start() {
    local kind=$1 port=${2:-} rc
    [ -n "$ZOO_DIR" ] || { note "zoo_start before zoo_setup"; return 1; }
    [ -n "${ZOO_TABLE[$kind]:-}" ] || { note "zoo_start: unknown kind $kind"; return 1; }
    [ -n "$port" ] || { note "zoo_start $kind: no port"; return 1; }
    case "$kind" in
    apache2) _zoo_apache2 "$port" ;;
    lighttpd) _zoo_lighttpd "$port" ;;
    squid) _zoo_squid "$port" ;;
    tinyproxy) _zoo_tinyproxy "$port" ;;
    varnish) _zoo_varnish "$port" ;;
    haproxy) _zoo_haproxy "$port" ;;
    privoxy) _zoo_privoxy "$port" ;;
    apt-cacher-ng) _zoo_apt_cacher_ng "$port" ;;
    webfs) _zoo_webfs "$port" ;;
    mini-httpd) _zoo_mini_httpd "$port" ;;
    h2o) _zoo_h2o "$port" ;;
    nghttpd) _zoo_nghttpd "$port" ;;
    python-http) _zoo_python_http "$port" ;;
    trafficserver) _zoo_trafficserver "$port" ;;
    jetty9) _zoo_jetty9 "$port" ;;
    tomcat10) _zoo_tomcat10 "$port" ;;
    gunicorn) _zoo_gunicorn "$port" ;;
    uwsgi) _zoo_uwsgi "$port" ;;
    twisted-web) _zoo_twisted_web "$port" ;;
    cups) _zoo_cups "$port" ;;
    prometheus-node-exporter) _zoo_node_exporter "$port" ;;
    prometheus) _zoo_prometheus "$port" ;;
    monit) _zoo_monit "$port" ;;
    etcd) _zoo_etcd "$port" ;;
    influxdb) _zoo_influxdb "$port" ;;
    icecast2) _zoo_icecast2 "$port" ;;
    minidlna) _zoo_minidlna "$port" ;;
    mercurial) _zoo_mercurial "$port" ;;
    fossil) _zoo_fossil "$port" ;;
    stunnel) _zoo_stunnel "$port" ;;
    slapd) _zoo_slapd "$port" ;;
    bind9) _zoo_bind9 "$port" ;;
    unbound) _zoo_unbound "$port" ;;
    knot) _zoo_knot "$port" ;;
    nsd) _zoo_nsd "$port" ;;
    pdns-server) _zoo_pdns_server "$port" ;;
    pdns-recursor) _zoo_pdns_recursor "$port" ;;
    dnsmasq) _zoo_dnsmasq "$port" ;;
    dnsdist) _zoo_dnsdist "$port" ;;
    ngircd) _zoo_ngircd "$port" ;;
    inspircd) _zoo_inspircd "$port" ;;
    bitlbee) _zoo_bitlbee "$port" ;;
    znc) _zoo_znc "$port" ;;
    prosody) _zoo_prosody "$port" ;;
    mumble-server) _zoo_mumble "$port" ;;
    openvpn) _zoo_openvpn openvpn "$port" tcp-server ;;
    openvpn-udp) _zoo_openvpn openvpn-udp "$port" udp ;;
    coturn) _zoo_coturn "$port" ;;
    strongswan) _zoo_strongswan "$port" ;;
    samba) _zoo_samba "$port" ;;
    rsync) _zoo_rsync "$port" ;;
    tftpd-hpa) _zoo_tftpd_hpa "$port" ;;
    nbd-server) _zoo_nbd "$port" ;;
    tgt) _zoo_tgt "$port" ;;
    git-daemon) _zoo_git "$port" ;;
    svnserve) _zoo_svnserve "$port" ;;
    cvs-pserver) _zoo_cvs "$port" ;;
    xrdp) _zoo_xrdp "$port" ;;
    tigervnc) _zoo_tigervnc "$port" ;;
    xvfb) _zoo_xvfb "$port" ;;
    snmpd) _zoo_snmpd "$port" ;;
    munin-node) _zoo_munin "$port" ;;
    zabbix-agent) _zoo_zabbix "$port" ;;
    nrpe) _zoo_nrpe "$port" ;;
    gpsd) _zoo_gpsd "$port" ;;
    nut-server) _zoo_nut "$port" ;;
    chrony) _zoo_chrony "$port" ;;
    mpd) _zoo_mpd "$port" ;;
    telnetd) _zoo_telnetd "$port" ;;
    fingerd) _zoo_fingerd "$port" ;;
    oidentd) _zoo_oidentd "$port" ;;
    distcc) _zoo_distcc "$port" ;;
    gearman) _zoo_gearman "$port" ;;
    kamailio) _zoo_kamailio "$port" ;;
    freeradius) _zoo_freeradius "$port" ;;
    dropbear) _zoo_dropbear "$port" ;;
    tinysshd) _zoo_tinysshd "$port" ;;
    mosquitto) _zoo_mosquitto "$port" ;;
    beanstalkd) _zoo_beanstalkd "$port" ;;
    nats-server) _zoo_nats "$port" ;;
    redis-sentinel) _zoo_redis_sentinel "$port" ;;
    pgbouncer) _zoo_pgbouncer "$port" ;;
    pgpool2) _zoo_pgpool2 "$port" ;;
    krb5-kdc) _zoo_krb5kdc "$port" ;;
    dante) _zoo_dante "$port" ;;
    pptpd) _zoo_pptpd "$port" ;;
    spamd) _zoo_spamd "$port" ;;
    rabbitmq) _zoo_rabbitmq "$port" ;;
    epmd) _zoo_epmd "$port" ;;
    zookeeper) _zoo_zookeeper "$port" ;;
    sphinxsearch) _zoo_sphinx "$port" ;;
    tarantool) _zoo_tarantool "$port" ;;
    conserver) _zoo_conserver "$port" ;;
    twisted-ftp) _zoo_twisted_ftp "$port" ;;
    twisted-mail) _zoo_twisted_mail "$port" ;;
    exim4) _zoo_exim4 "$port" ;;
    opensmtpd) _zoo_opensmtpd "$port" ;;
    proftpd) _zoo_proftpd "$port" ;;
    pure-ftpd) _zoo_pure_ftpd "$port" ;;
    ircd-hybrid) _zoo_ircd_hybrid "$port" ;;
    ntpsec) _zoo_ntpsec "$port" ;;
    atftpd) _zoo_atftpd "$port" ;;
    *) note "zoo_start: no launcher for $kind"; return 1 ;;
    esac
    rc=$?
    if [ "$rc" -eq 0 ]; then
        ZOO_PORT_OF[$kind]=$port
        ZOO_STARTED+=("$kind")
    fi
    return "$rc"
}

# _zoo_listening: "tcp:PORT udp:PORT ..." for every socket bound in the namespace.
_zoo_listening() {
    {
        ip netns exec "$ZOO_NS" ss -ltnH | awk '{ i = match($4, /:[0-9]+$/); if (i) print "tcp:" substr($4, i + 1) }'
        ip netns exec "$ZOO_NS" ss -lunH | awk '{ i = match($4, /:[0-9]+$/); if (i) print "udp:" substr($4, i + 1) }'
    } | sort -u | tr '\n' ' '
}

# zoo_wait SECONDS: poll (every 100 ms, bounded) until every started kind's
# port listens (TCP for tcp and tcp+udp, UDP for udp) or SECONDS pass.
zoo_wait() {
    local limit=$1 end up k t all n
    end=$(($(date +%s%N) / 1000000 + limit * 1000))
    while :; do
        up=" $(_zoo_listening) "
        all=1
        for k in "${ZOO_STARTED[@]}"; do
            t=$(awk '{ print $2 }' <<<"${ZOO_TABLE[$k]}")
            t=${t%%+*}
            if [[ "$up" == *" $t:${ZOO_PORT_OF[$k]} "* ]]; then
                ZOO_UP[$k]=1
            elif ! kill -0 "${ZOO_PID_OF[$k]}" 2>/dev/null; then
                :
            else
                all=0
            fi
        done
        [ "$all" -eq 1 ] && break
        n=$(($(date +%s%N) / 1000000))
        [ "$n" -ge "$end" ] && break
        sleep 0.1
    done
    all=0
    for k in "${ZOO_STARTED[@]}"; do
        [ -n "${ZOO_UP[$k]:-}" ] && continue
        all=1
        note "zoo_wait: $k on ${ZOO_PORT_OF[$k]} not listening after ${limit}s; its output:"
        tail -n 5 "$ZOO_DIR/$k.out" 2>/dev/null | while IFS= read -r l; do note "    $l"; done
    done
    return "$all"
}

zoo_port_ok() { [ -n "${ZOO_UP[$1]:-}" ]; }

# _zoo_tree PID: PID and all its descendants.
_zoo_tree() {
    local p c
    for p in "$@"; do
        echo "$p"
        for c in $(pgrep -P "$p" 2>/dev/null); do _zoo_tree "$c"; done
    done
}

# zoo_stop: end every daemon (registered with at_exit by zoo_setup).
zoo_stop() {
    local pids=() pid alive p
    for pid in "${ZOO_PID_OF[@]}"; do
        pids+=($(_zoo_tree "$pid"))
    done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 30); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    # Daemons that detach (nbd-server): by pid file, and only when that PID
    # lives in our namespace.
    local f
    for f in "${ZOO_PIDFILE[@]}"; do
        pid=$(cat "$f" 2>/dev/null)
        case "$pid" in '' | *[!0-9]*) continue ;; esac
        if [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ZOO_NS" ]; then
            for p in $(_zoo_tree "$pid"); do kill -KILL "$p" 2>/dev/null; done
        fi
    done
    ZOO_PIDFILE=()
    if [ "${ZOO_SWEEP:-0}" = 1 ] && [ -n "$ZOO_NS" ]; then
        for pid in $(ip netns pids "$ZOO_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    fi
    [ -n "$ZOO_NS" ] && ip netns exec "$ZOO_NS" nft delete table inet zooguard 2>/dev/null
    ZOO_PID_OF=()
    ZOO_STARTED=()
    return 0
}

# ------------------------------------------------------------------- truth

# _zoo_pkgver PACKAGE: the installed version, or the unpacked one (zoo_extract).
_zoo_pkgver() {
    local v
    v=$(dpkg-query -W -f '${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null | awk '$1 ~ /^.i/ { print $2 }')
    if [ -z "$v" ] && [ -n "$ZOO_EXTRACT" ] && [ -s "$ZOO_EXTRACT/$1/.version" ]; then v=$(cat "$ZOO_EXTRACT/$1/.version"); fi
    sed 's/^[0-9]*://' <<<"$v"
}
# Upstream: without the Debian revision, "+dfsg"/"+ds"/"~..." suffixes.
_zoo_up() { _zoo_pkgver "$1" | sed 's/-[^-]*$//; s/+dfsg.*//; s/+ds.*//; s/~.*//; s/+really.*//'; }

# zoo_truth KIND: "SERVICE|PRODUCT|VERSION" that a correct -sV reports:
# nmap's service names; PRODUCT is the software (a scorer should also take
# the other tool's name for it); VERSION is what the daemon puts on the wire,
# from the installed package, and empty where it sends none (see the capture
# notes in docs: a row with an empty version is scored on service and product).
zoo_truth() {
    local k=$1 v
    case "$k" in
    apache2) echo "http|Apache httpd|$(_zoo_up apache2-bin)" ;;
    lighttpd) echo "http|lighttpd|$(_zoo_up lighttpd)" ;;
    squid) echo "http-proxy|Squid http proxy|$(_zoo_up squid)" ;;
    tinyproxy) echo "http-proxy|tinyproxy|$(_zoo_up tinyproxy-bin)" ;;
    varnish) echo "http-proxy|Varnish http accelerator|" ;;
    haproxy) echo "http|HAProxy http proxy|" ;;
    privoxy) echo "http-proxy|Privoxy http proxy|$(_zoo_up privoxy)" ;;
    apt-cacher-ng) echo "http|Apt-Cacher NG|$(_zoo_up apt-cacher-ng)" ;;
    webfs) echo "http|webfs httpd|$(_zoo_up webfs)" ;;
    mini-httpd) echo "http|mini_httpd|$(_zoo_up mini-httpd)" ;;
    h2o) echo "http|h2o|$(_zoo_up h2o)" ;;
    # HTTP/2 only (prior knowledge, no TLS): whatever comes, it answers with a
    # SETTINGS and a GOAWAY frame, which name nothing.
    nghttpd) echo "http||" ;;
    python-http) echo "http|SimpleHTTPServer|0.6" ;;
    trafficserver)
        # Debian 12's 9.2.5+ds-0+deb12u4 is upstream 9.2.9 inside (a security
        # update took the newer release): the binary says which.
        v=$(traffic_server -V 2>/dev/null | awk '/^Traffic Server/ { print $3; exit }')
        echo "http-proxy|Apache Traffic Server|${v:-$(_zoo_up trafficserver)}"
        ;;
    jetty9) echo "http|Jetty|$(_zoo_up jetty9)" ;;
    tomcat10) echo "http|Apache Tomcat|$(_zoo_up tomcat10)" ;;
    gunicorn) echo "http|Gunicorn|" ;;
    uwsgi) echo "http|uWSGI|" ;;
    twisted-web) echo "http|Twisted Web|$(_zoo_up python3-twisted)" ;;
    cups) v=$(_zoo_up cups-daemon); echo "ipp|CUPS|${v%.*}" ;;
    prometheus-node-exporter) echo "http|Prometheus Node Exporter|" ;;
    prometheus) echo "http|Prometheus|" ;;
    monit) echo "http|Monit httpd|$(_zoo_up monit)" ;;
    etcd) echo "http|etcd|$(_zoo_up etcd-server)" ;;
    influxdb) echo "http|InfluxDB|$(_zoo_up influxdb)" ;;
    icecast2) echo "http|Icecast streaming media server|$(_zoo_up icecast2)" ;;
    minidlna) echo "upnp|MiniDLNA|$(_zoo_up minidlna)" ;;
    mercurial) echo "http|Mercurial hg serve|" ;;
    fossil) echo "http|Fossil|" ;;
    stunnel) echo "ssl/unknown||" ;;
    slapd) echo "ldap|OpenLDAP|" ;;
    bind9) v=$(_zoo_pkgver bind9); echo "domain|ISC BIND|${v%%-*}" ;;
    unbound) echo "domain|Unbound|$(_zoo_up unbound)" ;;
    knot) echo "domain|Knot DNS|$(_zoo_up knot)" ;;
    nsd) echo "domain|NLnet Labs NSD|$(_zoo_up nsd)" ;;
    pdns-server) echo "domain|PowerDNS Authoritative Server|$(_zoo_up pdns-server)" ;;
    pdns-recursor) echo "domain|PowerDNS Recursor|$(_zoo_up pdns-recursor)" ;;
    dnsmasq) echo "domain|dnsmasq|$(_zoo_up dnsmasq-base)" ;;
    dnsdist) echo "domain|dnsdist|" ;;
    ngircd) echo "irc|ngircd|$(_zoo_up ngircd)" ;;
    inspircd)
        # 004 and VERSION say "InspIRCd-3": the major version only.
        v=$(_zoo_up inspircd)
        echo "irc|InspIRCd|${v%%.*}"
        ;;
    bitlbee) echo "irc|BitlBee IRC gateway|$(_zoo_up bitlbee-common)" ;;
    znc) echo "irc|ZNC IRC bouncer|" ;;
    prosody) echo "xmpp-client|Prosody XMPP server|" ;;
    mumble-server) echo "mumble|Mumble server|$(_zoo_up mumble-server)" ;;
    openvpn | openvpn-udp) echo "openvpn|OpenVPN|" ;;
    coturn) echo "stun|coturn|$(_zoo_up coturn)" ;;
    strongswan) echo "isakmp|strongSwan|" ;;
    samba) echo "microsoft-ds|Samba smbd|" ;;
    rsync)
        # The protocol version in "@RSYNCD: 32.0": 31 up to rsync 3.2.3, 32 after.
        v=$(_zoo_up rsync)
        if [ "$(printf '%s\n3.2.4\n' "$v" | sort -V | head -n 1)" = 3.2.4 ]; then echo "rsync||32"; else echo "rsync||31"; fi
        ;;
    tftpd-hpa) echo "tftp||" ;;
    nbd-server) echo "nbd|nbd-server|" ;;
    tgt) echo "iscsi|tgt|" ;;
    git-daemon) echo "git||" ;;
    svnserve) echo "svnserve|Subversion|" ;;
    cvs-pserver) echo "cvspserver|CVS pserver|" ;;
    xrdp) echo "ms-wbt-server|xrdp|" ;;
    tigervnc) echo "vnc|VNC|3.8" ;;
    xvfb) echo "X11|X.Org|" ;;
    snmpd) echo "snmp|net-snmp|" ;;
    munin-node) echo "munin|Munin|$(_zoo_up munin-node)" ;;
    zabbix-agent) echo "zabbix-agent|Zabbix agent|$(_zoo_up zabbix-agent)" ;;
    nrpe) echo "ssl/nrpe|Nagios NRPE|" ;;
    gpsd) echo "gpsd-ng|gpsd|$(_zoo_up gpsd)" ;;
    nut-server) echo "upsd|Network UPS Tools upsd|$(_zoo_up nut-server)" ;;
    chrony) echo "ntp|NTP|v4" ;;
    mpd)
        # "OK MPD 0.23.5": the protocol version, not the package's (0.23.12).
        v=$(_zoo_up mpd)
        case "$v" in 0.23.*) echo "mpd|Music Player Daemon|0.23.5" ;; *) echo "mpd|Music Player Daemon|" ;; esac
        ;;
    telnetd) echo "telnet|Linux telnetd|" ;;
    fingerd) echo "finger|Linux fingerd|" ;;
    oidentd) echo "ident|oidentd|" ;;
    distcc) echo "distccd|distccd|" ;;
    gearman) echo "gearman|Gearman job server|$(_zoo_up gearman-job-server)" ;;
    kamailio) echo "sip|Kamailio SIP Server|$(_zoo_up kamailio)" ;;
    freeradius) echo "radius|FreeRADIUS|" ;;
    dropbear) echo "ssh|Dropbear sshd|$(_zoo_up dropbear-bin)" ;;
    tinysshd) echo "ssh|TinySSH sshd|" ;;
    mosquitto) echo "mqtt|Mosquitto|" ;;
    beanstalkd) echo "beanstalkd|beanstalkd|$(_zoo_up beanstalkd)" ;;
    nats-server) echo "nats|NATS server|$(_zoo_up nats-server)" ;;
    redis-sentinel) echo "redis-sentinel|Redis Sentinel|$(_zoo_up redis-sentinel)" ;;
    pgbouncer) echo "postgresql|PgBouncer|" ;;
    pgpool2) echo "postgresql|pgpool-II|" ;;
    krb5-kdc) echo "kerberos-sec|MIT Kerberos|" ;;
    dante) echo "socks5|Dante socks5|" ;;
    pptpd) echo "pptp|linux|" ;;
    spamd) echo "spamassassin|SpamAssassin spamd|" ;;
    rabbitmq) echo "amqp|RabbitMQ|$(_zoo_up rabbitmq-server)" ;;
    epmd) echo "epmd|Erlang Port Mapper Daemon|" ;;
    zookeeper) echo "zookeeper|Zookeeper|$(_zoo_up zookeeper)" ;;
    sphinxsearch) echo "mysql|Sphinx Search SphinxQL|$(_zoo_up sphinxsearch)" ;;
    tarantool) echo "tarantool|Tarantool|$(_zoo_up tarantool)" ;;
    conserver) echo "conserver|Conserver|" ;;
    twisted-ftp) echo "ftp|Twisted FTPd|$(_zoo_up python3-twisted)" ;;
    twisted-mail) echo "smtp|Twisted SMTPd|" ;;
    exim4) echo "smtp|Exim smtpd|$(_zoo_up exim4-daemon-light)" ;;
    opensmtpd) echo "smtp|OpenSMTPD|" ;;
    proftpd) echo "ftp|ProFTPD|" ;;
    pure-ftpd) echo "ftp|Pure-FTPd|" ;;
    ircd-hybrid) echo "irc|Hybrid ircd|$(_zoo_up ircd-hybrid)" ;;
    ntpsec) echo "ntp|NTP|v4" ;;
    atftpd) echo "tftp||" ;;
    *) return 1 ;;
    esac
}
