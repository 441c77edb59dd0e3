# SPDX-License-Identifier: GPL-2.0
#
# The userspace build of drivers/core (docs/core.md): the same notifier.c and
# range_fault.c on the simulated mm of tests/core/, with the kernel's own
# rbtree and interval tree taken from linux-source at build time.
#
#   make core-tests   build the host tests (gcc, ASan+UBSan, TSan) and fuzzer
#   make core-check   run them, writing host-core{,-asan,-tsan,-fuzz}.tap
#   make core-bench   the micro-benchmark (table; BENCH_ARGS=--json)
#
# In the VM (tests/vm/suites/20-core.list): itn-vmtest, installed in dom0,
# drives drivers/core/selftest.c (itn_selftest{,_kern}.ko, built with the
# other modules by mk/modules.mk).

CORE_OUT := $(BUILD)/core
CORE_INC := $(CORE_OUT)/include
CORE_CLANG ?= clang-14
CORE_CPPFLAGS := -Idrivers/core -Itests/core -I$(CORE_INC) \
	-I$(LINUX_SRC)/tools/include -D_GNU_SOURCE
CORE_WARN := -Wall -Wno-unused-function
# The algorithm files and the kernel's tree, built for every variant.
CORE_LIB := drivers/core/notifier.c drivers/core/range_fault.c \
	tests/core/sim.c tests/core/tclient.c
CORE_KSRC := $(LINUX_SRC)/tools/lib/rbtree.c $(LINUX_SRC)/lib/interval_tree.c
CORE_TESTS := tests/core/tap.c tests/core/test_unit.c tests/core/test_race.c \
	tests/core/test_stress.c tests/core/test_main.c
CORE_DEPS := $(CORE_LIB) $(CORE_TESTS) $(wildcard drivers/core/*.h \
	tests/core/*.h) $(CORE_INC)/linux/interval_tree.h mk/core.mk
# Bounded runs for make check; raise them by hand for a long soak.
CORE_FUZZ_RUNS ?= 100000
CORE_STRESS_MS ?= 2000

CORE_BINS := $(CORE_OUT)/core-tests $(CORE_OUT)/core-tests-asan \
	$(CORE_OUT)/core-tests-tsan $(CORE_OUT)/core-fuzz $(CORE_OUT)/core-bench

.PHONY: core-tests core-check core-bench
core-tests: $(CORE_BINS)

# include/linux/interval_tree.h alone: the rest of include/linux is the
# kernel's, not userspace's; tools/include supplies what it includes.
$(CORE_INC)/linux/interval_tree.h: $(LINUX_SRC_STAMP)
	@mkdir -p $(dir $@)
	@cp $(LINUX_SRC)/include/linux/interval_tree.h $@

$(CORE_OUT)/core-tests: $(CORE_DEPS)
	@echo "  CC      $@"
	@$(CC) -O2 -g $(CORE_WARN) $(CORE_CPPFLAGS) -o $@ \
		$(CORE_LIB) $(CORE_KSRC) $(CORE_TESTS) -lpthread

$(CORE_OUT)/core-tests-asan: $(CORE_DEPS)
	@echo "  CLANG   $@ (ASan+UBSan)"
	@$(CORE_CLANG) -O1 -g $(CORE_WARN) $(CORE_CPPFLAGS) \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ \
		$(CORE_LIB) $(CORE_KSRC) $(CORE_TESTS) -lpthread

$(CORE_OUT)/core-tests-tsan: $(CORE_DEPS)
	@echo "  CLANG   $@ (TSan)"
	@$(CORE_CLANG) -O1 -g $(CORE_WARN) $(CORE_CPPFLAGS) -fsanitize=thread \
		-o $@ $(CORE_LIB) $(CORE_KSRC) $(CORE_TESTS) -lpthread

$(CORE_OUT)/core-fuzz: $(CORE_DEPS) tests/core/fuzz.c
	@echo "  CLANG   $@ (libFuzzer+ASan+UBSan)"
	@$(CORE_CLANG) -O1 -g $(CORE_WARN) $(CORE_CPPFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(CORE_LIB) $(CORE_KSRC) tests/core/fuzz.c -lpthread

# With the benchmarks' option parser (tools/bench/benchlib.c).
$(CORE_OUT)/core-bench: $(CORE_DEPS) tests/core/bench.c tools/bench/benchlib.c \
		tools/bench/benchlib.h
	@echo "  CC      $@"
	@$(CC) -O2 -g $(CORE_WARN) $(CORE_CPPFLAGS) -Itools/bench \
		-Itests/vm/lib -DNDEBUG -o $@ $(CORE_LIB) $(CORE_KSRC) \
		tests/core/bench.c tools/bench/benchlib.c -lpthread

check-host: core-check
core-check: $(CORE_BINS)
	@mkdir -p $(RESULTS)
	@printf '%s\n' host-core host-core-asan host-core-tsan host-core-fuzz \
		>> $(RESULTS)/expected-stages
	@echo "  TEST    host-core"
	-@ITN_STRESS_MS=$(CORE_STRESS_MS) tests/core/run-tap.sh \
		$(RESULTS)/host-core.tap $(CORE_OUT)/core-tests
	@echo "  TEST    host-core-asan"
	-@ITN_STRESS_MS=$(CORE_STRESS_MS) \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/core/run-tap.sh $(RESULTS)/host-core-asan.tap \
		$(CORE_OUT)/core-tests-asan
	@echo "  TEST    host-core-tsan"
	-@ITN_STRESS_MS=$(CORE_STRESS_MS) \
		TSAN_OPTIONS=halt_on_error=1 tests/core/run-tap.sh \
		$(RESULTS)/host-core-tsan.tap $(CORE_OUT)/core-tests-tsan
	@echo "  TEST    host-core-fuzz"
	-@tests/core/run-fuzz.sh $(RESULTS)/host-core-fuzz.tap \
		$(CORE_OUT)/core-fuzz $(CORE_FUZZ_RUNS)

core-bench: $(CORE_OUT)/core-bench
	@$(CORE_OUT)/core-bench $(BENCH_ARGS)

# ---- the in-VM program ----

CORE_VM_BIN := $(BUILD)/$(KVER)/vm/dom0/opt/gntmap/bin/itn-vmtest
VM_DOM0_DEPS += $(CORE_VM_BIN)

$(CORE_VM_BIN): tests/core/vm/itn-vmtest.c drivers/core/itn_selftest.h \
		tests/vm/lib/vmopt.c tests/vm/lib/vmopt.h tests/vm/lib/cli.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@gcc -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Idrivers/core \
		-Itests/vm/lib -o $@ $(filter %.c,$^)
