# SPDX-License-Identifier: GPL-2.0
#
# make bench: gntmap against stock xen-gntdev and our core against the
# kernel's mmu_interval_notifier.  Targets and BENCH_* knobs: see
# docs/performance.md.  The bench suites live in tests/vm/bench/, outside
# tests/vm/suites/, so `make check` never runs them; run-vm.sh takes them
# as bench/NAME.list, and dom0 gets them in /opt/gntmap/suites/bench/.

BENCH_REPEATS ?= 8
BENCH_SCALE ?= 1,64,1024,8192
BENCH_PROBES ?= 32
BENCH_BUDGET_MS ?= 150
BENCH_VCHAN_MB ?= 8
BENCH_DM_MB ?= 64
BENCH_FIGS ?= 1,2,3,4,5,6,7,8,9
# More gntbench options for an experiment, e.g. "--sets 8 --probe-detail".
BENCH_GNTBENCH_ARGS ?=
# Figure 8 (qdisk): each disk's MiB (fio's span), the cap of each fio job
# in seconds, and the memory of the boot that runs it: dom0 holds the
# three disks in its tmpfs, the three domains 320 MiB each.
BENCH_QDISK_MB ?= 256
BENCH_QDISK_SECS ?= 5
BENCH_QDISK_DOM0_MEM ?= 1536
BENCH_QDISK_QEMU_MEM ?= 3072

bench_comma := ,
bench_empty :=
bench_space := $(bench_empty) $(bench_empty)
BENCH_FIG_LIST := $(subst $(bench_comma), ,$(BENCH_FIGS))
BENCH_GNT_FIGS := $(subst $(bench_space),$(bench_comma),$(strip \
	$(filter 1 2 3 7 9,$(BENCH_FIG_LIST))))
# The figures gntbench also runs stock against stock (the controls).
BENCH_CONTROL_FIGS := $(subst $(bench_space),$(bench_comma),$(strip \
	$(filter 1 2 7 9,$(BENCH_FIG_LIST))))

BENCH_OUT := $(TOP)/bench
BENCH_OBJ := $(BUILD)/bench
BENCH_RESULTS := $(BENCH_OBJ)/results
BENCH_DOM0 = $(BUILD)/$(KVER)/vm/dom0
BENCH_BIN = $(BENCH_DOM0)/opt/gntmap/bin
BENCH_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-I$(TOP)/tools/bench -I$(TOP)/tests/vm/lib -I$(TOP)/tests/vm/stock \
	-I$(TOP)/drivers/dmirror
BENCH_COMMON := $(BENCH_OBJ)/benchlib.o

BENCH_PROGS := gntbench dmbench vchanbench qdiskbench
BENCH_LIBS_gntbench := $(BENCH_OBJ)/testdom.o -lxenstore
BENCH_LIBS_vchanbench := $(BENCH_OBJ)/testdom.o -lxenvchan -lxenstore
BENCH_LIBS_qdiskbench := $(BENCH_OBJ)/testdom.o -lxenstore
# The bench test domU's own tree (mkimage.sh domu-bench): fio-peer and
# the hook that starts it.  images.sh builds that image, and puts it into
# dom0's, only when GM_BENCH_IMAGES is set: for a run with figure 8.
BENCH_DOMU = $(BUILD)/$(KVER)/vm/domu-bench
BENCH_DOMU_INSTALLED = $(BENCH_DOMU)/opt/gntmap/bin/fio-peer \
	$(BENCH_DOMU)/etc/gntmap/domu.d/70-fio-peer
bench_images := $(if $(filter 8,$(BENCH_FIG_LIST)),1)
BENCH_LISTS := $(notdir $(wildcard $(TOP)/tests/vm/bench/*.list))
BENCH_SUITE_DIR := bench

BENCH_INSTALLED = $(addprefix $(BENCH_BIN)/,$(BENCH_PROGS)) \
	$(BENCH_BIN)/qdisk-disks \
	$(addprefix $(BENCH_DOM0)/opt/gntmap/suites/bench/,$(BENCH_LISTS)) \
	$(BENCH_DOM0)/opt/gntmap/etc/bench.env $(BENCH_DOMU_INSTALLED)

VM_DOM0_DEPS += $(BENCH_INSTALLED)

.PHONY: bench bench-vm bench-stage bench-host bench-report bench-progs bench-env-force \
	bench-pool bench-pool-check

bench-progs: $(BENCH_INSTALLED)

# The testdom library is compiled here too: mk/vmtests.mk, which names
# it, is read after this file.
$(BENCH_OBJ)/benchlib.o: $(TOP)/tools/bench/benchlib.c \
		$(TOP)/tools/bench/benchlib.h $(TOP)/tests/vm/lib/cli.h
$(BENCH_OBJ)/testdom.o: $(TOP)/tests/vm/lib/testdom.c \
		$(TOP)/tests/vm/lib/testdom.h $(TOP)/tests/vm/lib/testdom_pattern.h
$(BENCH_OBJ)/benchlib.o $(BENCH_OBJ)/testdom.o:
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c -o $@ $<

$(BENCH_OBJ)/gntbench: $(BENCH_OBJ)/testdom.o
$(BENCH_OBJ)/vchanbench: $(BENCH_OBJ)/testdom.o \
	$(TOP)/tests/vm/stock/vchan-proto.h
$(BENCH_OBJ)/dmbench: $(TOP)/drivers/dmirror/dmirror_uapi.h
$(BENCH_OBJ)/qdiskbench: $(BENCH_OBJ)/testdom.o $(TOP)/tools/bench/fio-proto.h
$(addprefix $(BENCH_OBJ)/,$(BENCH_PROGS)): $(BENCH_OBJ)/%: \
		$(TOP)/tools/bench/%.c $(BENCH_COMMON) $(TOP)/tools/bench/benchlib.h
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_COMMON) $(BENCH_LIBS_$*)

$(addprefix $(BENCH_BIN)/,$(BENCH_PROGS)): $(BENCH_BIN)/%: $(BENCH_OBJ)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(BENCH_BIN)/qdisk-disks: $(TOP)/tools/bench/qdisk-disks
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# The domU end of figure 8.
$(BENCH_OBJ)/fio-peer: $(TOP)/tools/bench/fio-peer.c \
		$(TOP)/tools/bench/fio-proto.h $(BENCH_COMMON) \
		$(TOP)/tools/bench/benchlib.h
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_COMMON) -lxenstore

$(BENCH_DOMU)/opt/gntmap/bin/fio-peer: $(BENCH_OBJ)/fio-peer
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(BENCH_DOMU)/etc/gntmap/domu.d/70-fio-peer: $(TOP)/tools/bench/fio-peer.hook
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(BENCH_DOM0)/opt/gntmap/suites/bench/%.list: $(TOP)/tests/vm/bench/%.list
	@mkdir -p $(dir $@)
	install -m 0644 $< $@

# The knobs, for the suites' commands.  Rewritten only when they change,
# so that the image is not rebuilt for nothing.
$(BENCH_DOM0)/opt/gntmap/etc/bench.env: bench-env-force
	@mkdir -p $(dir $@)
	@printf '%s\n' \
		"GNTBENCH_ARGS='-r $(BENCH_REPEATS) -p $(BENCH_PROBES) -b $(BENCH_BUDGET_MS) -n $(BENCH_SCALE) -f $(or $(BENCH_GNT_FIGS),1) $(BENCH_GNTBENCH_ARGS)'" \
		"DMBENCH_ARGS='-r $(BENCH_REPEATS) --mb $(BENCH_DM_MB)'" \
		"VCHANBENCH_ARGS='-r $(BENCH_REPEATS) --mb $(BENCH_VCHAN_MB)'" \
		"QDISKBENCH_ARGS='-r $(BENCH_REPEATS) --mb $(BENCH_QDISK_MB) -s $(BENCH_QDISK_SECS)'" \
		"BENCH_QDISK_MB='$(BENCH_QDISK_MB)'" \
		"BENCH_GNT_FIGS='$(BENCH_GNT_FIGS)'" \
		"BENCH_CONTROL_FIGS='$(BENCH_CONTROL_FIGS)'" \
		"BENCH_FIGS=',$(BENCH_FIGS),'" \
		>$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

.SECONDARY: $(addprefix $(BENCH_OBJ)/,$(BENCH_PROGS) fio-peer)

# One boot per list, each its own stage under $(BENCH_RESULTS), so that a
# bench run never mixes with the results of make check.  A boot that serves
# none of BENCH_FIGS is left out: dropin only serves figure 5, pvh only
# figure 1 (on a PVH dom0), qdisk only figure 8, with more memory.
bench_run_list = RESULTS=$(BENCH_RESULTS) CACHE=$(CACHE) BUILD=$(BUILD) \
	env $$(case $$st in bench-qdisk) echo DOM0_MEM=$(BENCH_QDISK_DOM0_MEM) \
		QEMU_MEM=$(BENCH_QDISK_QEMU_MEM) ;; esac) \
	tests/harness/run-vm.sh -P $(PLATFORM_NAME) -p $$(awk '$$1 == "@boot" \
		{ print $$2; exit }' tests/vm/bench/$$l) \
		--stage bench-$(PLATFORM_NAME)-$${st\#bench-} $(BENCH_SUITE_DIR)/$$l

bench-vm bench-stage: export GM_BENCH_IMAGES = $(bench_images)
bench-vm: images
	@rm -rf $(BENCH_RESULTS) && mkdir -p $(BENCH_RESULTS)
	@rc=0; for l in $(BENCH_LISTS); do st=$${l%.list}; \
		case "$$st,,$(BENCH_FIGS)," in bench-dropin,*,5,*) ;; \
		bench-pvh,*,1,*) ;; bench-qdisk,*,8,*) ;; \
		bench-dropin,*|bench-pvh,*|bench-qdisk,*) continue ;; esac; \
		$(bench_run_list) || rc=1; \
	done; exit $$rc

# One boot alone (BENCH_STAGE=stock|dropin|pvh|qdisk), added to what
# $(BENCH_RESULTS) already holds: e.g. the PVH figure next to an earlier
# run's other boots.
bench-stage: images
	@test -f tests/vm/bench/bench-$(BENCH_STAGE).list || \
		{ echo "bench-stage: no tests/vm/bench/bench-$(BENCH_STAGE).list" >&2; exit 1; }
	@mkdir -p $(BENCH_RESULTS)
	@l=bench-$(BENCH_STAGE).list st=bench-$(BENCH_STAGE); $(bench_run_list)

# Figure 6: the host-side core benchmark of mk/core.mk, repeated.
bench-host: $(BUILD)/core/core-bench
	@mkdir -p $(BENCH_RESULTS)
	@rm -f $(BENCH_RESULTS)/fig6-*.json
	@case ",$(BENCH_FIGS)," in *,6,*) ;; *) exit 0 ;; esac; \
	for i in $$(seq $(BENCH_REPEATS)); do \
		echo "  BENCH   core-bench --json ($$i/$(BENCH_REPEATS))"; \
		$(BUILD)/core/core-bench --json >$(BENCH_RESULTS)/fig6-$$i.json || exit 1; \
	done

# The report keeps what this run did not measure from the last one
# (report.py --merge: e.g. figures 2-6 when only figure 1 ran), each such
# entry marked "earlier_run"; BENCH_FRESH=1 writes this run's alone.
bench-report:
	@mkdir -p $(BENCH_OUT)
	@tools/bench/report.py $(if $(BENCH_FRESH),,--merge $(BENCH_OUT)/results.json) \
		$(BENCH_RESULTS) $(BENCH_OUT)

# Several boots pooled (tools/bench/pool.py): BENCH_POOL names each boot's
# TAP file (or a directory of them), BENCH_POOL_ARGS picks the entries,
# e.g. --match '^fig2-munmap-n' --group all-N=^fig2-munmap-n.
bench-pool:
	@test -n "$(BENCH_POOL)" || \
		{ echo "bench-pool: set BENCH_POOL to the boots' TAP files" >&2; exit 2; }
	@tools/bench/pool.py $(BENCH_POOL_ARGS) $(BENCH_POOL)

check-host: bench-pool-check
bench-pool-check:
	@mkdir -p $(RESULTS)
	@echo host-bench-pool >> $(RESULTS)/expected-stages
	@echo "  TEST    host-bench-pool"
	-@tests/bench-pool.sh > $(RESULTS)/host-bench-pool.tap

# The VM part may fail (a figure's driver missing, a crash); the report
# still shows what was measured and names what is missing.
bench:
	-@$(MAKE) --no-print-directory bench-vm
	@$(MAKE) --no-print-directory bench-host
	@$(MAKE) --no-print-directory bench-report
