# SPDX-License-Identifier: GPL-2.0
#
# Xen under QEMU: the VM images and the runs (docs/harness.md).
#
#   make deps                            host packages, and the VM packages
#                                        and build roots of every platform
#                                        of CHECK_PLATFORMS
#   make images [PLATFORM=deb13]         dom0 + test-domU initramfs
#   make check-vm [PLATFORM=deb13]       every suite, once per platform of
#                                        CHECK_PLATFORMS (default: PLATFORM
#                                        if given, else every platform),
#                                        one boot per profile, VM_JOBS boots
#                                        at once (default: the cores, <= 4)
#   make vm-run SUITES="a.list b.list" [PLATFORM=deb13]   chosen suites only
#   make vm-shell [PROFILE=dropin]       interactive dom0 shell (serial on stdio)
#   make check-harness                   the runner's self-checks (not in check)
#   make check-debug                     check-vm's stages on the checking
#                                        kernel (PLATFORM=deb12-debug) and
#                                        its KASAN flavour (deb12-kasan)

# "make check PLATFORM=deb13" (or KERNEL=6.12) runs that platform alone;
# plain "make check" runs every platform.
ifneq ($(filter command line,$(origin PLATFORM) $(origin KERNEL)),)
CHECK_PLATFORMS ?= $(PLATFORM_NAME)
else
CHECK_PLATFORMS ?= $(shell tests/harness/platform.sh list)
endif
PROFILE ?= stock
SUITES ?=
HARNESS := tests/harness
VM_ENV = CACHE=$(CACHE) BUILD=$(BUILD) RESULTS=$(RESULTS)

.PHONY: deps images vm-deps vm-deps-domu vm-progs check-vm vm-check vm-check-platform \
	vm-run vm-shell check-harness harness-selftest-deps check-debug

check-vm: vm-check

deps:
	@$(HARNESS)/deps.sh host
	@for p in $(CHECK_PLATFORMS); do \
		$(HARNESS)/deps.sh vm $$p && $(HARNESS)/buildroot.sh $$p || exit 1; \
	done

# The parts' in-VM programs and modules (VM_DOM0_DEPS/VM_DOMU_DEPS are
# expanded in the recipe, when every mk/*.mk has been read), in the
# platform's build root where it has one.  What they take from the host
# (the release's packages, the linux-source members) is fetched first.
vm-deps:
	@$(HARNESS)/deps.sh host
	@$(HARNESS)/deps.sh vm $(PLATFORM_NAME)
	@$(MAKE) --no-print-directory linux-source
ifneq ($(PLATFORM_BUILDROOT),)
	@$(call in-buildroot,vm-progs)
else
	@$(MAKE) --no-print-directory vm-progs
endif

vm-progs:
	@$(MAKE) --no-print-directory modules
	$(if $(strip $(VM_DOM0_DEPS) $(VM_DOMU_DEPS)),@$(MAKE) -s --no-print-directory $(VM_DOM0_DEPS) $(VM_DOMU_DEPS))

# Test domains booting another platform's kernel (platform.sh domu) take
# that platform's domU tree.
vm-deps-domu:
ifneq ($(PLATFORM_DOMU),$(PLATFORM_NAME))
	@$(MAKE) --no-print-directory vm-deps PLATFORM=$(PLATFORM_DOMU)
endif

images: vm-deps vm-deps-domu
	@$(VM_ENV) $(HARNESS)/images.sh $(PLATFORM_NAME)

# Name every stage of every platform before building anything, so that a
# platform whose images or boot fail still counts as failed.
vm-check:
	@mkdir -p $(RESULTS)
	@for k in $(CHECK_PLATFORMS); do \
		$(HARNESS)/plan.sh $$k | while read -r p rest; do \
			grep -qx "vm-$$k-$$p" $(RESULTS)/expected-stages 2>/dev/null || \
			echo "vm-$$k-$$p" >>$(RESULTS)/expected-stages; \
		done; \
	done
	@rc=0; : >$(BUILD)/vm-plan; for k in $(CHECK_PLATFORMS); do \
		if $(MAKE) --no-print-directory images PLATFORM=$$k; then \
			$(HARNESS)/plan.sh $$k | sed "s/^/$$k /" >>$(BUILD)/vm-plan; \
		else rc=1; fi; \
	done; \
	$(VM_ENV) $(HARNESS)/stages.sh <$(BUILD)/vm-plan || rc=1; exit $$rc

# The plan file is the run's own: two runs of one platform may overlap.
vm-check-platform vm-run: images
	@mkdir -p $(RESULTS)
	@rc=0; f=$(BUILD)/vm-plan-$(PLATFORM_NAME).$$$$; \
	$(HARNESS)/plan.sh $(PLATFORM_NAME) $(SUITES) >$$f || { rm -f $$f; exit 1; }; \
	while read -r p suites; do \
		$(VM_ENV) $(HARNESS)/run-vm.sh -P $(PLATFORM_NAME) -p $$p $$suites || rc=1; \
	done <$$f; rm -f $$f; exit $$rc

# The checking kernel's stages (docs/harness.md, "The checking kernel"):
# not in make check, whose hour its build alone would take on a fresh
# machine.
check-debug:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory check-vm PLATFORM=deb12-debug \
		CHECK_PLATFORMS="deb12-debug deb12-kasan"
	@tests/summarize.sh $(RESULTS)

vm-shell: images
	@$(VM_ENV) $(HARNESS)/run-vm.sh --shell -P $(PLATFORM_NAME) -p $(PROFILE)

# The self-checks: a failing test, a hanging one and a module that WARNs
# must each come out as "not ok"; check-harness passes only if they do.
HS_KVER := $(KVER)
HS_BUILD = $(PLATFORM_BUILD)/$(HS_KVER)/harness-selftest
HS_KO = $(PLATFORM_BUILD)/$(HS_KVER)/vm/dom0/lib/modules/gntmap-selftest/harness_warn.ko
HS_MODS := harness_stall
# The checking kernel's self-checks: a report of each checker it has.
ifneq ($(PLATFORM_KDIR),)
HS_MODS += harness_oob harness_kfence harness_lockdep harness_leak
endif
HS_SRC = $(addprefix $(HARNESS)/selftest/,harness_warn.c \
	$(addsuffix .c,$(HS_MODS)) Kbuild)

$(HS_KO): $(HS_SRC)
	@mkdir -p $(HS_BUILD) $(dir $@)
	@cp --preserve=timestamps $^ $(HS_BUILD)/
	$(MAKE) -C $(KDIR) M=$(HS_BUILD) \
		$(if $(PLATFORM_KDIR),HS_CHECKERS=m) modules
	cp $(addprefix $(HS_BUILD)/,$(addsuffix .ko,$(HS_MODS))) $(dir $@)
	cp $(HS_BUILD)/harness_warn.ko $@

check-harness: vm-deps vm-deps-domu
ifneq ($(PLATFORM_BUILDROOT),)
	@$(call in-buildroot,$(HS_KO))
else
	@$(MAKE) --no-print-directory $(HS_KO)
endif
	@$(VM_ENV) $(HARNESS)/images.sh $(PLATFORM_NAME)
	@$(VM_ENV) $(HARNESS)/selftest/check.sh $(PLATFORM_NAME)
