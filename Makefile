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
            $(PKG_CFLAGS) $(NET_CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) $(NET_LIBS) -lpthread -lm

ifdef SANITIZE
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

SRCS     := $(shell find src -name '*.c' | sort)
OBJS     := $(patsubst src/%.c,build/obj/%.o,$(SRCS)) build/obj/gen/iana_table.o
LIBOBJS  := $(filter-out build/obj/main.o,$(OBJS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,build/tests/tools/%,$(TOOL_SRC))

.PHONY: all deps test unit integration install uninstall docs check-docs clean fuzz bench

all: pscan

pscan: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

build/libpscan.a: $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $^

# The IANA registry ships as CSV; a small generator turns it into a compact C table.
build/gen/gen_iana: tools/gen_iana.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -o $@ $<

build/gen/iana_table.c: build/gen/gen_iana data/iana/service-names-port-numbers.csv
	build/gen/gen_iana data/iana/service-names-port-numbers.csv > $@.tmp && mv $@.tmp $@

build/obj/gen/iana_table.o: build/gen/iana_table.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

build/tests/%: tests/unit/%.c tests/unit/unit.h build/libpscan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< build/libpscan.a $(LDLIBS)

build/tests/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# Debian packages: build, tests (namespaces, nftables, real daemons), benchmarks (peers).
DEPS_BUILD := build-essential pkg-config libpcap-dev libnet1-dev libpcre2-dev libssl-dev
DEPS_TEST  := iproute2 nftables python3 libxml2-utils jq openssl procps
DEPS_PEERS := nmap masscan zmap

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$(DEPS_BUILD) $(DEPS_TEST) $(DEPS_PEERS)

unit: $(UNIT_BIN)
integration: pscan $(TOOL_BIN)

test: pscan $(UNIT_BIN) $(TOOL_BIN)
	@tests/run.sh

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

-include $(shell find build -name '*.d' 2>/dev/null)
