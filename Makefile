# pscan: build, test, install.
#
#   make                      build ./pscan
#   make deps                 install every Debian package the build, tests and benchmarks need
#   make test                 unit + integration suite (root for the namespace tests)
#   make test SANITIZE=address,undefined
#   make install PREFIX=/usr/local DESTDIR=
#   make docs                 regenerate docs/usage.md and docs/pscan.1 from the option table
#   make fuzz                 run every libFuzzer harness for a bounded time

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS     := libpcap libpcre2-8 libssl libcrypto
VERSION  := 0.1.0

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wpointer-arith -Wcast-qual -Wvla -Wundef
ifeq ($(CI),true)
WARN     += -Werror
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcap -lpcre2-8 -lssl -lcrypto)
# Debian's libnet ships libnet-config, not a .pc file.
NET_CFLAGS := $(shell libnet-config --cflags 2>/dev/null)
NET_LIBS   := $(shell libnet-config --libs 2>/dev/null || echo -lnet)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -Ibuild/gen -DPSCAN_VERSION=\"$(VERSION)\" \
            -DPSCAN_PROBE_DIR=\"$(PREFIX)/share/pscan/probes\" $(PKG_CFLAGS) $(NET_CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) $(NET_LIBS) -lpthread -lm

comma    := ,
# Sanitizer builds live in their own tree, so switching needs no `make clean`.
ifdef SANITIZE
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
B        := build/san-$(subst $(comma),-,$(SANITIZE))
PSCAN_BIN := $(B)/pscan
else
B        := build
PSCAN_BIN := pscan
endif

SRCS     := $(shell find src -name '*.c' | sort)
OBJS     := $(patsubst src/%.c,$(B)/obj/%.o,$(SRCS)) $(B)/obj/gen/iana_table.o
LIBOBJS  := $(filter-out $(B)/obj/main.o,$(OBJS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,build/tests/tools/%,$(TOOL_SRC))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TIME ?= 30

.PHONY: all deps deps-apt deps-build deps-zoo test unit integration install uninstall docs check-docs clean fuzz bench

all: $(PSCAN_BIN)

$(PSCAN_BIN): $(OBJS)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libpscan.a: $(LIBOBJS)
	@rm -f $@
	@ar rcs $@ $^

# The IANA registry ships as CSV; a small generator turns it into a compact C table.
build/gen/gen_iana: tools/gen_iana.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -o $@ $<

build/gen/iana_table.c: build/gen/gen_iana data/iana/service-names-port-numbers.csv
	build/gen/gen_iana data/iana/service-names-port-numbers.csv > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/iana_table.o: build/gen/iana_table.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libpscan.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) -Itests/unit -Isrc $(LDFLAGS) -o $@ $< $(B)/libpscan.a $(LDLIBS)

# Test servers and drivers are never sanitized: they stand in for the network.
# They link the plain library (built on demand when this is a SANITIZE run).
build/tests/tools/%: tests/tools/%.c build/libpscan.a
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) -O2 -g -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -Ibuild/gen $(PKG_CFLAGS) -o $@ $< build/libpscan.a $(LDLIBS)

ifdef SANITIZE
.PHONY: plain-lib
build/libpscan.a: plain-lib
plain-lib:
	@$(MAKE) --no-print-directory SANITIZE= build/libpscan.a
endif

# Each tests/fuzz/fuzz_X.c is a libFuzzer harness over the library's sources.
fuzz: build/gen/iana_table.c
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		echo "  FUZZ    $$n ($(FUZZ_TIME)s)"; \
		clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -DPSCAN_VERSION=\"$(VERSION)\" -Iinclude -Ibuild/gen \
			$$f $(filter-out src/main.c,$(SRCS)) build/gen/iana_table.c -o build/fuzz/$$n $(LDLIBS) || exit 1; \
		mkdir -p build/fuzz/corpus-$$n; \
		seeds=tests/fuzz/corpus/$${n#fuzz_}; [ -d $$seeds ] || seeds=; \
		build/fuzz/$$n -max_total_time=$(FUZZ_TIME) -max_len=4096 build/fuzz/corpus-$$n \
			$$seeds 2>&1 | grep -E '^(Done|==|SUMMARY)' || exit 1; \
	done

# Debian packages: build (all that building and running pscan needs: `make
# deps-build` installs only these), tests (namespaces, nftables, real daemons,
# and every other command the test and bench scripts run: tests/deps.sh checks
# that each comes from one of these lists), benchmarks (peers).
DEPS_BUILD := build-essential pkg-config libpcap-dev libnet1-dev libpcre2-dev libssl-dev
DEPS_TEST  := iproute2 nftables python3 libxml2-utils jq openssl procps ndiff util-linux \
              openssh-server nginx-light redis-server memcached vsftpd postfix dovecot-imapd \
              dovecot-pop3d mariadb-server postgresql dnsmasq tftpd-hpa chrony snmpd \
              ncat time valgrind libcap2-bin git chromium \
              slurm-wlm munge python3-yaml python3-kubernetes clang
DEPS_PEERS := nmap masscan zmap
# The daemon zoo (tests/lib/zoo.sh, docs/zoo.md): -sV against 100 real
# services nobody else starts.  Packages that conflict with DEPS_TEST
# (exim4, opensmtpd, proftpd, pure-ftpd, ircd-hybrid, ntpsec, atftpd) are
# not installed: make deps fetches and unpacks them into ZOO_EXTRACT.
DEPS_ZOO   := apache2 lighttpd squid tinyproxy varnish haproxy privoxy apt-cacher-ng webfs mini-httpd \
              nghttp2-server h2o trafficserver jetty9 tomcat10 gunicorn uwsgi uwsgi-plugin-python3 \
              python3-twisted cups prometheus-node-exporter prometheus monit etcd-server influxdb icecast2 \
              minidlna mercurial fossil stunnel4 slapd bind9 unbound knot nsd pdns-server pdns-backend-bind \
              pdns-recursor dnsdist ngircd inspircd bitlbee znc prosody mumble-server openvpn coturn \
              strongswan-charon samba nbd-server tgt xrdp tigervnc-standalone-server xvfb munin-node \
              zabbix-agent nagios-nrpe-server gpsd subversion cvs mpd inetutils-telnetd fingerd finger oidentd \
              distcc gearman-job-server kamailio freeradius dropbear-bin tinysshd nut-server mosquitto \
              beanstalkd nats-server redis-sentinel pgbouncer pgpool2 krb5-kdc dante-server pptpd \
              spamd rabbitmq-server zookeeperd sphinxsearch tarantool conserver-server socat libmemcachedutil2
ZOO_UNPACKED := exim4-daemon-light opensmtpd proftpd-core pure-ftpd ircd-hybrid ntpsec atftpd
ZOO_EXTRACT ?= /var/cache/pscan/zoo

# Daemons the tests start by hand on odd ports must not start on their
# standard ports when installed: a temporary policy-rc.d says no.
deps: deps-apt deps-zoo

deps-apt:
	apt-get update -qq
	@if [ ! -e /usr/sbin/policy-rc.d ]; then \
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && \
		touch build-policy-rc.d.stamp; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$(DEPS_BUILD) $(DEPS_TEST) $(DEPS_PEERS) $(DEPS_ZOO); rc=$$?; \
	if [ -e build-policy-rc.d.stamp ]; then rm -f /usr/sbin/policy-rc.d build-policy-rc.d.stamp; fi; \
	exit $$rc

# The zoo's conflicting daemons, unpacked (dpkg-deb -x: no maintainer
# script runs, nothing is installed); cheap when they are there already.
deps-zoo: $(if $(filter deps,$(MAKECMDGOALS)),deps-apt)
	@mkdir -p $(ZOO_EXTRACT)/debs && cd $(ZOO_EXTRACT)/debs && for p in $(ZOO_UNPACKED); do \
		[ -s ../$$p/.version ] && continue; \
		apt-get download -qq $$p >/dev/null 2>&1 && f=$$(ls $${p}_*.deb | head -n 1) && [ -n "$$f" ] && \
		mkdir -p ../$$p && dpkg-deb -x $$f ../$$p && dpkg-deb -f $$f Version > ../$$p/.version || \
		{ echo "deps-zoo: cannot fetch $$p"; exit 1; }; \
	done

# Only what `make` and running ./pscan need; no test daemons, no peers.
.PHONY: deps-build
deps-build:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEPS_BUILD)

unit: $(UNIT_BIN)
integration: pscan $(TOOL_BIN)

test: $(PSCAN_BIN) $(UNIT_BIN) $(TOOL_BIN)
	@PSCAN=$(abspath $(PSCAN_BIN)) PSCAN_PROBES=$(abspath probes) UNIT_DIR=$(B)/tests OBJ_DIR=$(abspath $(B)/obj) tests/run.sh

docs: pscan
	./pscan --help-format=markdown > docs/usage.md
	./pscan --help-format=man > docs/pscan.1

check-docs: pscan
	@./pscan --help-format=markdown | diff -u docs/usage.md - && \
	 ./pscan --help-format=man | diff -u docs/pscan.1 - && echo "docs match the option table"

install: pscan
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/pscan/probes
	install -m 755 pscan $(DESTDIR)$(PREFIX)/bin/pscan
	install -m 644 docs/pscan.1 $(DESTDIR)$(PREFIX)/share/man/man1/pscan.1
	install -m 644 probes/* $(DESTDIR)$(PREFIX)/share/pscan/probes/ 2>/dev/null || true

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/pscan $(DESTDIR)$(PREFIX)/share/man/man1/pscan.1
	rm -rf $(DESTDIR)$(PREFIX)/share/pscan

clean:
	rm -rf build pscan

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
