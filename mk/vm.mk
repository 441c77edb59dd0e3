# SPDX-License-Identifier: GPL-2.0
#
# Xen under QEMU: the VM images and the runs (docs/harness.md).
#
#   make deps                          host packages, and the VM packages of
#                                      every kernel of CHECK_KERNELS
#   make images [KERNEL=6.12]          dom0 + test-domU initramfs for KERNEL
#   make check-vm [KERNEL=6.12]        every suite, once per kernel of
#                                      CHECK_KERNELS (default: KERNEL if
#                                      given, else 6.1 6.12), one boot per
#                                      profile
#   make vm-run SUITES="a.list b.list" [KERNEL=6.12]   chosen suites only
#   make vm-shell [PROFILE=dropin]     interactive dom0 shell (serial on stdio)
#   make check-harness                 the runner's self-checks (not in check)

# "make check KERNEL=6.12" runs the 6.12 pass alone; plain "make check"
# runs every kernel.
ifeq ($(origin KERNEL),command line)
CHECK_KERNELS ?= $(KERNEL)
else
CHECK_KERNELS ?= 6.1 6.12
endif
PROFILE ?= stock
SUITES ?=
HARNESS := tests/harness
VM_ENV = CACHE=$(CACHE) BUILD=$(BUILD) RESULTS=$(RESULTS)

.PHONY: deps images vm-deps check-vm vm-check vm-check-kernel vm-run vm-shell \
	check-harness harness-selftest-deps

check-vm: vm-check

deps:
	@$(HARNESS)/deps.sh host
	@for k in $(CHECK_KERNELS); do $(HARNESS)/deps.sh vm $$k || exit 1; done

# The parts' in-VM programs and modules first (VM_DOM0_DEPS/VM_DOMU_DEPS
# are expanded in the recipe, when every mk/*.mk has been read).
vm-deps:
	@$(HARNESS)/deps.sh host
	@$(MAKE) --no-print-directory modules
	$(if $(strip $(VM_DOM0_DEPS) $(VM_DOMU_DEPS)),@$(MAKE) -s --no-print-directory $(VM_DOM0_DEPS) $(VM_DOMU_DEPS))

images: vm-deps
	@$(VM_ENV) $(HARNESS)/images.sh $(KERNEL)

# Name every stage of every kernel before building anything, so that a
# kernel whose images or boot fail still counts as failed.
vm-check:
	@mkdir -p $(RESULTS)
	@for k in $(CHECK_KERNELS); do \
		$(HARNESS)/plan.sh $$k | while read -r p rest; do \
			grep -qx "vm-$$k-$$p" $(RESULTS)/expected-stages 2>/dev/null || \
			echo "vm-$$k-$$p" >>$(RESULTS)/expected-stages; \
		done; \
	done
	@rc=0; for k in $(CHECK_KERNELS); do \
		$(MAKE) --no-print-directory vm-check-kernel KERNEL=$$k || rc=1; \
	done; exit $$rc

vm-check-kernel vm-run: images
	@mkdir -p $(RESULTS)
	@rc=0; $(HARNESS)/plan.sh $(KERNEL) $(SUITES) >$(BUILD)/vm-plan-$(KERNEL); \
	while read -r p suites; do \
		$(VM_ENV) $(HARNESS)/run-vm.sh -k $(KERNEL) -p $$p $$suites || rc=1; \
	done <$(BUILD)/vm-plan-$(KERNEL); exit $$rc

vm-shell: images
	@$(VM_ENV) $(HARNESS)/run-vm.sh --shell -k $(KERNEL) -p $(PROFILE)

# The self-checks: a failing test, a hanging one and a module that WARNs
# must each come out as "not ok"; check-harness passes only if they do.
HS_KVER := $(KVER)
HS_BUILD = $(BUILD)/$(HS_KVER)/harness-selftest
HS_KO = $(BUILD)/$(HS_KVER)/vm/dom0/lib/modules/gntmap-selftest/harness_warn.ko
HS_MODS := harness_stall harness_oob harness_lockdep harness_leak
HS_SRC = $(addprefix $(HARNESS)/selftest/,harness_warn.c \
	$(addsuffix .c,$(HS_MODS)) Kbuild)

$(HS_KO): $(HS_SRC)
	@mkdir -p $(HS_BUILD) $(dir $@)
	@cp --preserve=timestamps $^ $(HS_BUILD)/
	$(MAKE) -C $(KDIR) M=$(HS_BUILD) modules
	cp $(addprefix $(HS_BUILD)/,$(addsuffix .ko,$(HS_MODS))) $(dir $@)
	cp $(HS_BUILD)/harness_warn.ko $@

check-harness: vm-deps $(HS_KO)
	@$(VM_ENV) $(HARNESS)/images.sh $(KERNEL)
	@$(VM_ENV) $(HARNESS)/selftest/check.sh $(KERNEL)
