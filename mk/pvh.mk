# SPDX-License-Identifier: GPL-2.0
#
# The PVH dom0 pass (docs/gntmap.md, "The two dom0 paths"): the self-grant
# test program.  The suite is tests/vm/suites/35-gntmap-pvh.list; the boot
# is the pvh-dropin profile (tests/harness/run-vm.sh).

PVH_BIN := $(BUILD)/$(KVER)/vm/dom0/opt/gntmap/bin
VM_DOM0_DEPS += $(PVH_BIN)/gntmap-selfgrant

$(BUILD)/gntmap-user/gntmap-selfgrant: $(TOP)/tests/vm/gntmap/gntmap-selfgrant.c \
		$(BUILD)/gntmap-user/gmtest.o $(GM_TESTDOM) $(GM_OPT)
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -o $@ $(filter %.c %.o,$^) -lxengnttab -lxenstore

$(PVH_BIN)/gntmap-selfgrant: $(BUILD)/gntmap-user/gntmap-selfgrant
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# The CPU-model stability probe (tests/harness/selftest/pvh-fs.list).
VM_DOM0_DEPS += $(PVH_BIN)/fsbase-probe

$(BUILD)/harness-user/fsbase-probe: $(TOP)/tests/harness/selftest/fsbase-probe.c \
		$(TOP)/tests/vm/lib/vmopt.c $(TOP)/tests/vm/lib/vmopt.h \
		$(TOP)/tests/vm/lib/cli.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -pthread \
		-I$(TOP)/tests/vm/lib -o $@ $(filter %.c,$^)

$(PVH_BIN)/fsbase-probe: $(BUILD)/harness-user/fsbase-probe
	@mkdir -p $(dir $@)
	install -m 0755 $< $@
