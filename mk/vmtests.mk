# SPDX-License-Identifier: GPL-2.0
#
# The test domains' fixtures and the stock-driver tests (docs/testdom.md):
#   - tests/vm/domu/grantshare.ko, built per kernel like mk/modules.mk does,
#     installed into the domU tree at /lib/modules/gntmap-domu/;
#   - tests/vm/lib/testdom.c, the dom0 library that drives it (libtestdom.a,
#     for every in-VM test that needs a foreign domain's grants);
#   - tests/vm/stock/: dom0 test programs and their domU peers.
#
# Other parts link the library with
#   $(TESTDOM_LIB) $(TESTDOM_LDLIBS), compiled with $(TESTDOM_CFLAGS).

VT_SRC := $(TOP)/tests/vm
VT_OBJ := $(BUILD)/vmtests
VT_KBUILD = $(BUILD)/$(KVER)/tests
VT_DOM0 = $(BUILD)/$(KVER)/vm/dom0
VT_DOMU = $(BUILD)/$(KVER)/vm/domu
VT_CC := gcc
VT_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE

TESTDOM_CFLAGS := -I$(VT_SRC)/lib
TESTDOM_LIB := $(VT_OBJ)/libtestdom.a
TESTDOM_LDLIBS := -lxenstore

# dom0 programs: name -> extra libraries.
VT_DOM0_PROGS := sharer-proto stock-map stock-vchan stock-qdisk
VT_LIBS_stock-map := -lxengnttab
VT_LIBS_sharer-proto := -lxengnttab
VT_LIBS_stock-vchan := -lxenvchan
VT_LIBS_stock-qdisk :=
# domU programs.
VT_DOMU_PROGS := vchan-peer domu-qdisk
VT_LIBS_vchan-peer := -lxenvchan
VT_LIBS_domu-qdisk :=

VT_DOMU_KO = $(VT_DOMU)/lib/modules/gntmap-domu/grantshare.ko
VT_DOM0_BINS = $(addprefix $(VT_DOM0)/opt/gntmap/bin/,$(VT_DOM0_PROGS))
VT_DOMU_BINS = $(addprefix $(VT_DOMU)/opt/gntmap/bin/,$(VT_DOMU_PROGS))
VT_DOMU_HOOKS = $(patsubst $(VT_SRC)/domu/hooks/%,$(VT_DOMU)/etc/gntmap/domu.d/%,\
	$(wildcard $(VT_SRC)/domu/hooks/*))

# vchan-peer's libxenvchan server needs /dev/xen/evtchn in the domU; the
# domU image does not load xen-evtchn itself, so the hook does, from here.
VT_DOMU_EVTCHN = $(VT_DOMU)/lib/modules/gntmap-domu/xen-evtchn.ko

VM_DOM0_DEPS += $(VT_DOM0_BINS)
VM_DOMU_DEPS += $(VT_DOMU_KO) $(VT_DOMU_BINS) $(VT_DOMU_HOOKS) $(VT_DOMU_EVTCHN)

.PHONY: vmtests vmtests-modules vmtests-modules-all
vmtests: $(VT_DOM0_BINS) $(VT_DOMU_KO) $(VT_DOMU_BINS) $(VT_DOMU_HOOKS) \
	$(VT_DOMU_EVTCHN)

# Debian's module for KVER, from the packages the harness unpacks for the
# images (6.12 ships it xz-compressed; busybox insmod takes either).
$(VT_DOMU_EVTCHN):
	@test -d $(PLATFORM_VMROOT)/lib/modules/$(KVER) || \
		tests/harness/deps.sh vm $(PLATFORM_NAME)
	@mkdir -p $(dir $@)
	@src=$$(ls $(PLATFORM_VMROOT)/lib/modules/$(KVER)/kernel/drivers/xen/xen-evtchn.ko* \
		| head -n1) && test -n "$$src" && \
		if [ "$${src%.xz}" != "$$src" ]; then xz -dc "$$src" >$@; \
		else cp "$$src" $@; fi

# Kbuild builds in the source directory: copy domu/ and the shared pattern
# header (domu/ includes ../lib/testdom_pattern.h) per kernel.
ifneq ($(PLATFORM_BUILDROOT),)
vmtests-modules:
	@$(call in-buildroot,vmtests-modules)
else
vmtests-modules:
	@test -d $(KDIR) || tests/harness/deps.sh host
	@mkdir -p $(VT_KBUILD)/domu $(VT_KBUILD)/lib
	@cp --preserve=timestamps -u $(VT_SRC)/domu/Kbuild $(VT_SRC)/domu/*.c \
		$(VT_KBUILD)/domu/
	@cp --preserve=timestamps -u $(VT_SRC)/lib/testdom_pattern.h \
		$(VT_KBUILD)/lib/
	$(MAKE) -C $(KDIR) M=$(VT_KBUILD)/domu $(if $(C),C=$(C)) modules
endif

vmtests-modules-all:
	@for p in $$(tests/harness/platform.sh list); do \
		$(MAKE) --no-print-directory vmtests-modules PLATFORM=$$p || exit 1; \
	done

$(VT_DOMU_KO): $(VT_SRC)/domu/grantshare.c $(VT_SRC)/domu/Kbuild \
		$(VT_SRC)/lib/testdom_pattern.h
	@$(MAKE) --no-print-directory vmtests-modules
	@mkdir -p $(dir $@)
	cp $(VT_KBUILD)/domu/grantshare.ko $@

$(VT_DOMU)/etc/gntmap/domu.d/%: $(VT_SRC)/domu/hooks/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(VT_OBJ)/testdom.o: $(VT_SRC)/lib/testdom.c $(VT_SRC)/lib/testdom.h \
		$(VT_SRC)/lib/testdom_pattern.h
	@mkdir -p $(dir $@)
	$(VT_CC) $(VT_CFLAGS) $(TESTDOM_CFLAGS) -c -o $@ $<

$(TESTDOM_LIB): $(VT_OBJ)/testdom.o
	rm -f $@ && ar rcs $@ $^

$(VT_OBJ)/tap.o: $(VT_SRC)/stock/tap.c $(VT_SRC)/stock/tap.h
	@mkdir -p $(dir $@)
	$(VT_CC) $(VT_CFLAGS) -c -o $@ $<

$(VT_OBJ)/vmopt.o: $(VT_SRC)/lib/vmopt.c $(VT_SRC)/lib/vmopt.h \
		$(VT_SRC)/lib/cli.h
	@mkdir -p $(dir $@)
	$(VT_CC) $(VT_CFLAGS) $(TESTDOM_CFLAGS) -c -o $@ $<

# Every program is one source file in tests/vm/stock/, plus TAP, the option
# table and testdom.
$(VT_OBJ)/%: $(VT_SRC)/stock/%.c $(VT_OBJ)/tap.o $(VT_OBJ)/vmopt.o \
		$(TESTDOM_LIB) $(VT_SRC)/stock/tap.h $(VT_SRC)/lib/testdom.h \
		$(VT_SRC)/lib/cli.h $(VT_SRC)/stock/vchan-proto.h
	$(VT_CC) $(VT_CFLAGS) $(TESTDOM_CFLAGS) -o $@ $< $(VT_OBJ)/tap.o \
		$(VT_OBJ)/vmopt.o $(TESTDOM_LIB) $(VT_LIBS_$*) $(TESTDOM_LDLIBS)

$(VT_DOM0)/opt/gntmap/bin/%: $(VT_OBJ)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(VT_DOMU)/opt/gntmap/bin/%: $(VT_OBJ)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# Keep the programs in $(VT_OBJ) between runs: make would delete them as
# intermediates of the installed copies.
.SECONDARY: $(addprefix $(VT_OBJ)/,$(VT_DOM0_PROGS) $(VT_DOMU_PROGS))
