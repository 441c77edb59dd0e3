# SPDX-License-Identifier: GPL-2.0
#
# gntfuzz (docs/gntfuzz.md): the seeded fuzzer of the gntdev ABI, built
# into the dom0 image.  make check runs its bounded PV suite and make
# check-all its PVH one too (tests/vm/suites/50-fuzz*.list, deb12); make
# fuzz runs it longer:
#
#   make fuzz [FUZZ_SECONDS=600] [SEED=S] [FUZZ_DOM0=pv|pvh]
#             [FUZZ_DEVICE=gntmap|stock|diff] [PLATFORM=deb12]
#
# one boot, gntfuzz against FUZZ_DEVICE for FUZZ_SECONDS, a progress line
# every 10 s; the results land in $(RESULTS)/fuzz-PLATFORM-DOM0.tap.

FZ_SRC := $(TOP)/tests/vm/fuzz
FZ_OBJ := $(BUILD)/fuzz
FZ_DOM0 = $(PLATFORM_BUILD)/$(KVER)/vm/dom0
FZ_BIN = $(FZ_DOM0)/opt/gntmap/bin/gntfuzz
FZ_RUN = $(FZ_DOM0)/opt/gntmap/bin/gntfuzz-run
FZ_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-I$(TOP)/tests/vm/lib -I$(TOP)/tests/vm/stock -I$(TOP)/tests/vm/gntmap
FZ_DEPS := $(FZ_SRC)/gntfuzz.c $(TOP)/tests/vm/gntmap/gmtest.c \
	$(TOP)/tests/vm/lib/testdom.c $(TOP)/tests/vm/stock/tap.c \
	$(TOP)/tests/vm/gntmap/gmtest.h $(TOP)/tests/vm/lib/testdom.h \
	$(TOP)/tests/vm/lib/testdom_pattern.h $(TOP)/tests/vm/lib/cli.h \
	$(TOP)/tests/vm/stock/tap.h $(TOP)/tests/vm/lib/vmopt.c \
	$(TOP)/tests/vm/lib/vmopt.h

VM_DOM0_DEPS += $(FZ_BIN) $(FZ_RUN)

.PHONY: gntfuzz fuzz
gntfuzz: $(FZ_BIN) $(FZ_RUN)

$(FZ_RUN): $(FZ_SRC)/gntfuzz-run
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(FZ_OBJ)/gntfuzz: $(FZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(FZ_CFLAGS) -o $@ $(filter %.c,$^) -lxenctrl -lxenstore -lpthread

$(FZ_BIN): $(FZ_OBJ)/gntfuzz
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# make fuzz: the run's settings reach dom0 as /etc/gntmap/fuzz.env in the
# image; the suite (@kernels none: in no check) sources it.
FUZZ_SECONDS ?= 600
SEED ?=
FUZZ_DOM0 ?= pv
FUZZ_DEVICE ?= gntmap
FUZZ_ARGS ?=
FZ_PROFILE_pv := stock
FZ_PROFILE_pvh := pvh-stock
FZ_LIST_pv := 90-fuzz-long.list
FZ_LIST_pvh := 90-fuzz-long-pvh.list

fuzz:
	@case "$(FUZZ_DOM0)" in pv|pvh) ;; *) echo "make fuzz: FUZZ_DOM0 is pv or pvh" >&2; exit 2 ;; esac
	@case "$(FUZZ_DEVICE)" in gntmap|stock|diff) ;; *) echo "make fuzz: FUZZ_DEVICE is gntmap, stock or diff" >&2; exit 2 ;; esac
	@mkdir -p $(FZ_DOM0)/etc/gntmap
	@seed="$(SEED)"; [ -n "$$seed" ] || seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	{ echo "FUZZ_SECONDS=$(FUZZ_SECONDS)"; echo "FUZZ_SEED=$$seed"; \
	  echo "FUZZ_DEVICE=$(FUZZ_DEVICE)"; echo "FUZZ_ARGS='$(FUZZ_ARGS)'"; } \
		>$(FZ_DOM0)/etc/gntmap/fuzz.env; \
	echo "== make fuzz: $(FUZZ_DEVICE) on a $(FUZZ_DOM0) dom0 ($(PLATFORM_NAME)), seed $$seed, $(FUZZ_SECONDS) s =="
	@$(MAKE) --no-print-directory images
	@mkdir -p $(RESULTS)
	@$(VM_ENV) $(HARNESS)/run-vm.sh -P $(PLATFORM_NAME) -p $(FZ_PROFILE_$(FUZZ_DOM0)) \
		-t $$(( $(FUZZ_SECONDS) + 1500 )) --stage fuzz-$(PLATFORM_NAME)-$(FUZZ_DOM0) \
		$(FZ_LIST_$(FUZZ_DOM0))

# make fuzz-selfcheck [FUZZ_BREAKS="partial-munmap page-ref no-lock"]
#                     [FUZZ_SELFCHECK_SECONDS=120] [SEED=1]
# The fuzzer's self-check (docs/gntfuzz.md): gntmap broken on purpose by
# each tests/vm/fuzz/BREAK.patch, one boot each, gntfuzz until its first
# finding.  Passes only if every break was caught.  In make check-all.
FUZZ_BREAKS ?= partial-munmap page-ref no-lock
FUZZ_SELFCHECK_SECONDS ?= 120
FZ_BREAK_BUILD = $(PLATFORM_BUILD)/$(KVER)/fuzz-breaks
FZ_BREAK_MODS = $(FZ_DOM0)/lib/modules/gntmap-breaks

.PHONY: fuzz-breaks fuzz-selfcheck
check-extra: fuzz-selfcheck
# A copy of drivers/ per break, the patch applied, core and gntmap built.
fuzz-breaks:
	@for b in $(FUZZ_BREAKS); do \
		d=$(FZ_BREAK_BUILD)/$$b; rm -rf $$d && mkdir -p $$d && \
		cp -r drivers/. $$d/ && \
		patch -s -p2 -d $$d <$(FZ_SRC)/$$b.patch && \
		$(MAKE) -s -C $(KDIR) M=$$d modules >/dev/null && \
		mkdir -p $(FZ_BREAK_MODS)/$$b/core $(FZ_BREAK_MODS)/$$b/gntmap && \
		cp $$d/core/itn_core.ko $(FZ_BREAK_MODS)/$$b/core/ && \
		cp $$d/gntmap/gntmap.ko $(FZ_BREAK_MODS)/$$b/gntmap/ || exit 1; \
		echo "  BREAK   gntmap with $$b.patch"; \
	done

fuzz-selfcheck: vm-deps
ifneq ($(PLATFORM_BUILDROOT),)
	@$(call in-buildroot,fuzz-breaks)
else
	@$(MAKE) --no-print-directory fuzz-breaks
endif
	@mkdir -p $(RESULTS) $(FZ_DOM0)/etc/gntmap
	@t=$(RESULTS)/fuzz-selfcheck-$(PLATFORM_NAME).tap; rc=0; \
	$(VM_ENV) FUZZ_ENV=$(FZ_DOM0)/etc/gntmap/fuzz.env \
		$(FZ_SRC)/selfcheck.sh $(PLATFORM_NAME) \
		$(FUZZ_SELFCHECK_SECONDS) $(or $(SEED),1) $(FUZZ_BREAKS) \
		>$$t || rc=1; cat $$t; exit $$rc
