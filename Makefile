# aerosink: plain GNU make. Everything builds into $(BUILD)/.
#
#   make            build build/aerosink and the tools
#   make test       install deps, build, run every unit and integration test
#   make test-asan  the same tests built with -fsanitize=address,undefined (LSan on)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make demo       the end-to-end demo (see README)
#   make bench      the throughput benchmark, 3 runs, medians (see bench/README.md)
#   make install    bin/aerosink, man pages, systemd units, sample /etc/aerosink (PREFIX, DESTDIR)
#   make man        regenerate docs/man/ from the binary's help (commit the result)
#   make SAN=address,undefined BUILD=build-asan ...   any target with sanitizers

BUILD   ?= build
SAN     ?=
CC      ?= gcc
OPT     ?= -O2
JOBS    ?= 2

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wno-missing-field-initializers -g -pthread -MMD -MP -Isrc
LIBS        := -lrdkafka -lyaml -lssl -lcrypto -lmicrohttpd -lcurl -lz -lm -lpthread -ldl

ifneq ($(SAN),)
  OPT      := -O1
  SANFLAGS := -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
CFLAGS  += $(CFLAGS_BASE) $(OPT) $(SANFLAGS)
LDFLAGS += $(SANFLAGS) -pthread

MODULES   := common aerospike kafka convert mapping config worker rest app
LIB_SRCS  := $(filter-out %_test.c,$(wildcard $(MODULES:%=src/%/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libaerosink.a

TOOL_DIRS := $(patsubst tools/%/,%,$(sort $(dir $(wildcard tools/*/*.c))))
TOOLS     := $(TOOL_DIRS:%=$(BUILD)/%)

SUPPORT_SRCS := $(wildcard tests/support/*.c)
SUPPORT_OBJS := $(SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)

UNIT_SRCS := $(wildcard src/*/*_test.c)
UNIT_BINS := $(foreach s,$(UNIT_SRCS),$(BUILD)/tests/unit_$(basename $(notdir $(s))))
INT_SRCS  := $(wildcard tests/integration/*_test.c)
INT_BINS  := $(INT_SRCS:tests/integration/%.c=$(BUILD)/tests/%)

FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.SECONDARY:

.PHONY: FORCE all deps test test-run test-asan fuzz fuzz-build demo bench clean tests check-clang install \
        install-tools uninstall man

all: $(BUILD)/aerosink $(TOOLS)

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The git commit built (REST GET / "commit", `aerosink version`): 16 hex digits of HEAD when
# this directory is the top of a git checkout (a worktree too), else "unknown" (a tarball,
# even one unpacked inside another repository). $(BUILD)/commit.txt is rewritten only when
# the value changes, so after a commit only version.o is rebuilt (and the binaries relinked).
GIT_COMMIT := $(shell cdup=$$(git rev-parse --show-cdup 2>/dev/null) && [ -z "$$cdup" ] && \
                git rev-parse --short=16 HEAD 2>/dev/null | grep -xE '[0-9a-f]{7,40}' || echo unknown)

$(BUILD)/commit.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' >$@

$(BUILD)/obj/src/common/version.o: $(BUILD)/commit.txt
$(BUILD)/obj/src/common/version.o: CFLAGS += -DAEROSINK_COMMIT='"$(GIT_COMMIT)"'

FORCE:

# aerospike-testd stands in for an Aerospike server in the tests and in `make bench`, where its
# CPU shares the machine with aerosink: it is built for speed on the machine that runs it (a
# test tool, never shipped; measured 13% less CPU per record than -O2 on the bench).
# TESTD_OPT=-O2 for a portable binary; sanitizer builds keep their own flags.
TESTD_OPT ?= -O3 -march=native
ifeq ($(SAN),)
$(BUILD)/obj/tools/aerospike-testd/%.o: OPT := $(TESTD_OPT)
endif

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/aerosink: $(BUILD)/obj/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Each tool is every .c file in tools/<name>/, linked with the library.
define TOOL_RULE
$(BUILD)/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c)) $(LIB)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(TOOL_DIRS),$(eval $(call TOOL_RULE,$(t))))

# Unit tests live beside their module: src/<module>/<name>_test.c -> build/tests/unit_<name>_test
define UNIT_RULE
$(BUILD)/tests/unit_$(basename $(notdir $(1))): $(BUILD)/obj/$(basename $(1)).o $(SUPPORT_OBJS) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach s,$(UNIT_SRCS),$(eval $(call UNIT_RULE,$(s))))

$(BUILD)/tests/%_test: $(BUILD)/obj/tests/integration/%_test.o $(SUPPORT_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The fuzz harnesses compile with the normal compiler too (syntax only, no libFuzzer), so
# `make test` catches a change that breaks them (e.g. two included testd sources defining
# the same static name) without needing clang.
FUZZ_CHECKS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzzcheck/%.ok)
$(BUILD)/fuzzcheck/%.ok: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsyntax-only -MF $(@:.ok=.d) -MT $@ $<
	@touch $@

tests: all $(UNIT_BINS) $(INT_BINS) $(FUZZ_CHECKS)

test: deps
	@$(MAKE) --no-print-directory tests
	@BUILD_DIR=$(BUILD) JOBS=$(JOBS) bash tests/run.sh $(BUILD)/tests

test-run: tests
	@BUILD_DIR=$(BUILD) JOBS=$(JOBS) bash tests/run.sh $(BUILD)/tests

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=address,undefined tests
	@BUILD_DIR=build-asan JOBS=$(JOBS) TEST_TIMEOUT_SCALE=4 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  bash tests/run.sh build-asan/tests

# libFuzzer targets: clang, one binary per tests/fuzz/<name>_fuzz.c, linked with the
# library sources compiled for fuzzing (no main.c).
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_CFLAGS := $(CFLAGS_BASE) -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/%_fuzz: $(FUZZ_BUILD)/obj/tests/fuzz/%_fuzz.o $(FUZZ_LIB_OBJS)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz-build: deps $(FUZZ_BINS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Warnings check with the other compiler.
check-clang:
	@$(MAKE) --no-print-directory BUILD=build-clang CC=clang all tests

demo: deps all
	@bash scripts/demo.sh $(BUILD)

bench: deps all
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf build build-asan build-clang

# --- Installation (docs/operations.md, "Installing") ---------------------------------------
#   make install                            /usr/local/bin/aerosink, units in /usr/local/lib/systemd
#   make install PREFIX=/usr DESTDIR=/tmp/stage   staging for a package: nothing outside DESTDIR
#   make install-tools                      also kafka-mock, aerospike-testd, aero-bench (test tools)
# Configuration goes to $(SYSCONFDIR)/aerosink (default /etc, whatever PREFIX is); files already
# there are never overwritten. Installing to the live system (no DESTDIR, as root) also creates
# the aerosink user (systemd-sysusers) and sets up /etc/aerosink (systemd-tmpfiles); POSTINSTALL=no
# skips that.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/aerosink
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INSTALL     ?= install
INSTALL_TOOLS ?= kafka-mock aerospike-testd aero-bench
POSTINSTALL ?= yes
UNITS       := aerosink@.service aerosink-distributed.service
SUBST       := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'

install: $(BUILD)/aerosink
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(BUILD)/aerosink $(DESTDIR)$(BINDIR)/aerosink
	$(INSTALL) -m 0644 docs/man/aerosink.1 $(DESTDIR)$(MANDIR)/man1/aerosink.1
	$(INSTALL) -m 0644 docs/man/aerosink-config.5 $(DESTDIR)$(MANDIR)/man5/aerosink-config.5
	@set -e; for u in $(UNITS); do \
	  $(SUBST) packaging/systemd/$$u.in >$(BUILD)/$$u; \
	  echo "$(INSTALL) -m 0644 $(BUILD)/$$u $(DESTDIR)$(UNITDIR)/$$u"; \
	  $(INSTALL) -m 0644 $(BUILD)/$$u $(DESTDIR)$(UNITDIR)/$$u; \
	done
	$(INSTALL) -m 0644 packaging/sysusers/aerosink.conf $(DESTDIR)$(SYSUSERSDIR)/aerosink.conf
	$(SUBST) packaging/tmpfiles/aerosink.conf.in >$(BUILD)/aerosink-tmpfiles.conf
	$(INSTALL) -m 0644 $(BUILD)/aerosink-tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/aerosink.conf
	$(INSTALL) -m 0644 README.md $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 examples/* $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/aerosink
	@set -e; cd packaging/etc/aerosink; for f in $$(find . -type f | sort); do \
	  dst=$(DESTDIR)$(SYSCONFDIR)/aerosink/$${f#./}; \
	  if [ -e "$$dst" ]; then echo "kept $$dst (exists; the new sample is packaging/etc/aerosink/$${f#./})"; continue; fi; \
	  $(INSTALL) -d -m 0755 "$$(dirname "$$dst")"; \
	  echo "$(INSTALL) -m 0644 packaging/etc/aerosink/$${f#./} $$dst"; \
	  $(INSTALL) -m 0644 "$$f" "$$dst"; \
	done
	@if [ -n "$(DESTDIR)" ] || [ "$(POSTINSTALL)" = no ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  if command -v systemd-sysusers >/dev/null; then \
	    echo "systemd-sysusers $(SYSUSERSDIR)/aerosink.conf"; systemd-sysusers $(SYSUSERSDIR)/aerosink.conf; fi; \
	  if command -v systemd-tmpfiles >/dev/null; then \
	    echo "systemd-tmpfiles --create $(TMPFILESDIR)/aerosink.conf"; systemd-tmpfiles --create $(TMPFILESDIR)/aerosink.conf; fi; \
	  if [ -d /run/systemd/system ]; then echo "systemctl daemon-reload"; systemctl daemon-reload; fi; \
	  echo "installed; next: edit $(SYSCONFDIR)/aerosink/example/ (or a copy), then systemctl enable --now aerosink@example"; \
	else \
	  echo "not root: create the aerosink user and $(SYSCONFDIR)/aerosink ownership as root:"; \
	  echo "  systemd-sysusers $(SYSUSERSDIR)/aerosink.conf && systemd-tmpfiles --create $(TMPFILESDIR)/aerosink.conf"; \
	fi

install-tools: $(INSTALL_TOOLS:%=$(BUILD)/%)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(INSTALL_TOOLS:%=$(BUILD)/%) $(DESTDIR)$(BINDIR)/

# Removes what install and install-tools put there, except $(SYSCONFDIR)/aerosink (your
# configuration) and the aerosink user.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/aerosink $(INSTALL_TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(DESTDIR)$(MANDIR)/man1/aerosink.1 $(DESTDIR)$(MANDIR)/man5/aerosink-config.5
	rm -f $(UNITS:%=$(DESTDIR)$(UNITDIR)/%)
	rm -f $(DESTDIR)$(SYSUSERSDIR)/aerosink.conf $(DESTDIR)$(TMPFILESDIR)/aerosink.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/aerosink and the aerosink user; remove them by hand if you want"

# Man pages from the binary's own help (scripts/gen-man.py); `make test` fails when they differ.
man: $(BUILD)/aerosink
	python3 scripts/gen-man.py $(BUILD)/aerosink docs/man

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
