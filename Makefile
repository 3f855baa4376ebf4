# aerosink: plain GNU make. Everything builds into $(BUILD)/.
#
#   make            build build/aerosink and the tools
#   make test       install deps, build, run every unit and integration test
#   make test-asan  the same tests built with -fsanitize=address,undefined (LSan on)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make demo       the end-to-end demo (see README)
#   make bench      the throughput benchmark (see bench/README.md)
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

.PHONY: all deps test test-run test-asan fuzz fuzz-build demo bench clean tests check-clang install

all: $(BUILD)/aerosink $(TOOLS)

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

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

tests: all $(UNIT_BINS) $(INT_BINS)

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

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
