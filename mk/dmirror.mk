# SPDX-License-Identifier: GPL-2.0
#
# dmirror's test programs for the dom0 image (docs/dmirror.md):
#   - hmm-tests, the upstream selftest, compiled from Debian's
#     linux-source-6.1 at build time with the build-time patch of
#     tests/vm/dmirror/patch-hmm-tests.sh (never copied into the repo);
#   - dmirror-inval, the project's invalidation-range tests;
#   - dmirror-life, close, exit and mm-teardown races of a mirror;
#   - dmirror-grant, a mirror of a domU grant mapped by gntmap;
#   - dmirror-run and dmirror-agree, the suite's drivers.
# The modules themselves (dmirror.ko, dmirror_kern.ko) are built with the
# rest of drivers/ by mk/modules.mk.

DM_SRC := $(TOP)/tests/vm/dmirror
DM_OBJ := $(BUILD)/dmirror
DM_BIN := $(BUILD)/$(KVER)/vm/dom0/opt/gntmap/bin
DM_CFLAGS := -O2 -g -Wall -D_GNU_SOURCE
# hmm-tests includes <mm/gup_test.h> from the kernel tree, which the shared
# linux-source extraction does not take; it is tiny, so take it here.
DM_KSRC := $(CACHE)/dmirror-ksrc
DM_GUP_H := $(DM_KSRC)/linux-source-6.1/mm/gup_test.h
DM_SELFTESTS := $(LINUX_SRC)/tools/testing/selftests

DM_PROGS := hmm-tests dmirror-inval dmirror-grant dmirror-life
DM_SCRIPTS := dmirror-run dmirror-agree
DM_INSTALLED := $(addprefix $(DM_BIN)/,$(DM_PROGS) $(DM_SCRIPTS))

VM_DOM0_DEPS += $(DM_INSTALLED)

.PHONY: dmirror-tests
dmirror-tests: $(DM_INSTALLED)

$(DM_GUP_H):
	@mkdir -p $(DM_KSRC)
	@echo "  EXTRACT linux-source-6.1 mm/gup_test.h"
	@tar -xJf $(LINUX_SRC_TAR) -C $(DM_KSRC) linux-source-6.1/mm/gup_test.h
	@touch $@

$(DM_OBJ)/hmm-tests.c: $(LINUX_SRC_STAMP) $(DM_SRC)/patch-hmm-tests.sh
	@mkdir -p $(dir $@)
	@echo "  PATCH   hmm-tests.c (DEVICE_PRIVATE and hugetlb SKIPs)"
	@$(DM_SRC)/patch-hmm-tests.sh $(DM_SELFTESTS)/vm/hmm-tests.c $@

# "../kselftest_harness.h" resolves through the -I of the original
# directory; <lib/test_hmm_uapi.h> is the upstream ABI header on purpose:
# the selftest must see the ABI the driver claims, not the driver's copy.
$(DM_OBJ)/hmm-tests: $(DM_OBJ)/hmm-tests.c $(DM_GUP_H)
	$(CC) $(DM_CFLAGS) -I$(DM_SELFTESTS)/vm -I$(LINUX_SRC) \
		-I$(DM_KSRC)/linux-source-6.1 -o $@ $< -lpthread

$(DM_OBJ)/dmirror-inval: $(DM_SRC)/dmirror-inval.c $(DM_OBJ)/vmopt.o \
		$(TOP)/drivers/dmirror/dmirror_uapi.h
	@mkdir -p $(dir $@)
	$(CC) $(DM_CFLAGS) -Wextra -Werror -I$(TOP)/drivers/dmirror \
		-I$(TOP)/tests/vm/lib -o $@ $< $(DM_OBJ)/vmopt.o

$(DM_OBJ)/dmirror-life: $(DM_SRC)/dmirror-life.c $(DM_OBJ)/vmopt.o \
		$(TOP)/drivers/dmirror/dmirror_uapi.h
	@mkdir -p $(dir $@)
	$(CC) $(DM_CFLAGS) -Wextra -Werror -I$(TOP)/drivers/dmirror \
		-I$(TOP)/tests/vm/lib -o $@ $< $(DM_OBJ)/vmopt.o -lpthread

# Static pattern rules: the bin directory is shared with other parts.
# The testdom library, compiled here: mk/vmtests.mk, which names it, is
# read after this file, so its variables are not set yet.
$(DM_OBJ)/testdom.o: $(TOP)/tests/vm/lib/testdom.c $(TOP)/tests/vm/lib/testdom.h
	@mkdir -p $(dir $@)
	$(CC) $(DM_CFLAGS) -I$(TOP)/tests/vm/lib -c -o $@ $<

$(DM_OBJ)/vmopt.o: $(TOP)/tests/vm/lib/vmopt.c $(TOP)/tests/vm/lib/vmopt.h \
		$(TOP)/tests/vm/lib/cli.h
	@mkdir -p $(dir $@)
	$(CC) $(DM_CFLAGS) -Wextra -Werror -I$(TOP)/tests/vm/lib -c -o $@ $<

$(DM_OBJ)/dmirror-grant: $(DM_SRC)/dmirror-grant.c $(DM_OBJ)/testdom.o \
		$(DM_OBJ)/vmopt.o $(TOP)/drivers/dmirror/dmirror_uapi.h
	$(CC) $(DM_CFLAGS) -Wextra -Werror -I$(TOP)/drivers/dmirror \
		-I$(TOP)/tests/vm/lib -o $@ $< $(DM_OBJ)/testdom.o \
		$(DM_OBJ)/vmopt.o -lxenstore

$(addprefix $(DM_BIN)/,$(DM_PROGS)): $(DM_BIN)/%: $(DM_OBJ)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(addprefix $(DM_BIN)/,$(DM_SCRIPTS)): $(DM_BIN)/%: $(DM_SRC)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

.SECONDARY: $(addprefix $(DM_OBJ)/,$(DM_PROGS) hmm-tests.c)
