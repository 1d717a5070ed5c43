# Makefile — planpress: build, example site, tests, install, benchmarks.
# GNU make. Objects go to build/ (release) and build/asan/ (sanitizers).

PREFIX ?= /usr/local
CC ?= cc
PKGS := libgit2 libcmark-gfm lua5.4 yaml-0.1 libmicrohttpd zlib libxml-2.0
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions -lpthread -lm
# The release binary links Lua statically when the static library is there
# (liblua5.4-dev ships it): calls into the interpreter then skip the PLT,
# which makes template rendering some 5% faster. Tests link the shared one.
LUA_A = $(wildcard $(shell pkg-config --variable=libdir lua5.4 2>/dev/null)/liblua5.4.a)
BIN_LIBS = $(if $(LUA_A),$(subst -llua5.4,$(LUA_A) -ldl,$(PKG_LIBS)),$(PKG_LIBS))

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DPP_VERSION='"$(VERSION)"' $(WARN) -MMD -MP
# Link-time optimisation lets calls across modules (strbuf, html_escape,
# the search index's helpers) be inlined: 3-8% less CPU on a 7,700-plan build.
CFLAGS ?= -O2 -g -flto=auto
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined -DPP_ARENA_DEBUG

ifeq ($(V),1)
Q :=
else
Q := @
endif

SRCS := $(sort $(wildcard generator/*.c))
LIB_SRCS := $(filter-out generator/main.c,$(SRCS))
OBJS := $(SRCS:generator/%.c=build/obj/%.o)
ASAN_OBJS := $(SRCS:generator/%.c=build/asan/obj/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:generator/%.c=build/asan/obj/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := build/asan/unit-tests
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

BIN := build/planpress
ASAN_BIN := build/asan/planpress

.PHONY: all deps test-deps site test unit e2e fuzz install uninstall clean bench bench-search asan

all: $(BIN)

deps:
	$(Q)scripts/install-deps

test-deps:
	$(Q)scripts/install-deps --test

# Before the first compile: the libraries are there, or a message that names
# them and says how to install them (instead of "lua.h: No such file").
LIBS_OK ?= build/.libs-ok
$(LIBS_OK):
	@mkdir -p $(@D)
	@missing=""; for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "planpress: missing libraries (pkg-config modules):$$missing" >&2; \
	  echo "  Install them with: make deps" >&2; \
	  echo "  (Debian 12: apt-get install pkg-config libgit2-dev libcmark-gfm-dev libcmark-gfm-extensions-dev liblua5.4-dev libyaml-dev libmicrohttpd-dev)" >&2; \
	  exit 1; fi; \
	touch $@

$(BIN): $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(BIN_LIBS)

build/obj/%.o: generator/%.c | $(LIBS_OK)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

asan: $(ASAN_BIN)

$(ASAN_BIN): $(ASAN_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/obj/%.o: generator/%.c | $(LIBS_OK)
	@mkdir -p $(@D)
	@echo "  CC      $< (asan)"
	$(Q)$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(UNIT_BIN): $(UNIT_SRCS) tests/unit/harness.h $(ASAN_LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -Igenerator -o $@ $(UNIT_SRCS) $(ASAN_LIB_OBJS) $(PKG_LIBS)

# libFuzzer targets (clang). Each links the library objects built with clang.
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:generator/%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: generator/%.c | $(LIBS_OK)
	@mkdir -p $(@D)
	@echo "  CC      $< (fuzz)"
	$(Q)clang -std=c11 -D_GNU_SOURCE -DPP_VERSION='"$(VERSION)"' -O1 -g \
	   -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)clang -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) $(PKG_CFLAGS) -Igenerator -o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS)
fuzz: $(FUZZ_BINS)

# The example site: content/ of this repository's committed tree.
site: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)./$(BIN) build --repo . --out public

test: test-deps
	$(Q)$(MAKE) --no-print-directory $(BIN) $(ASAN_BIN) $(UNIT_BIN) $(FUZZ_BINS)
	$(Q)tests/run

# Run-time dependencies besides the linked libraries: pandoc, for
# `planpress import` of .docx only (README.md).
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/planpress/themes \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/planpress
	cp -R themes/. $(DESTDIR)$(PREFIX)/share/planpress/themes/
	install -m 644 docs/planpress.1 $(DESTDIR)$(PREFIX)/share/man/man1/planpress.1
	install -m 644 scripts/planpress.bash-completion \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/planpress

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/planpress $(DESTDIR)$(PREFIX)/share/man/man1/planpress.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/planpress
	rm -rf $(DESTDIR)$(PREFIX)/share/planpress

bench: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)PLANPRESS=$(BIN) scripts/bench

# The search index on ~100,000 pages in headless Chromium, beside Pagefind
# (docs/search.md, "Measured").
bench-search: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)PLANPRESS=$(BIN) scripts/bench-search

clean:
	rm -rf build public .public.tmp-* .public.lock

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d)
