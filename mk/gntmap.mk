# SPDX-License-Identifier: GPL-2.0
#
# gntmap's userspace (docs/gntmap.md):
#   - tools/gntmap (CLI: counters, map) and tools/gntmap-demo;
#   - tests/vm/gntmap/: gntmap-abi (one body against stock xen-gntdev and
#     gntmap), gntmap-upstream (upstream's fixes after 6.1, the same
#     way), gntmap-stress (concurrency), gntmap-teardown (pinned
#     pages, OOM reaper, dead domain), gntmap-refault (no SIGBUS after
#     the kernel's own invalidations; unload refused while pinned),
#     gntmap-who (the listing of who holds which grants, the CLI on it,
#     a zombie domain), gntmap-load;
#   - make demo: boot Xen under QEMU and run the demo in dom0.
# The module itself is built with the rest of drivers/ by mk/modules.mk.

GM_SRC := $(TOP)/tests/vm/gntmap
GM_OBJ := $(BUILD)/gntmap-user
GM_BIN := $(BUILD)/$(KVER)/vm/dom0/opt/gntmap/bin
GM_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-I$(TOP)/tests/vm/lib -I$(TOP)/tests/vm/stock -I$(GM_SRC)
GM_TESTDOM := $(GM_OBJ)/testdom.o $(GM_OBJ)/tap.o
# Headers that are all of a helper: a change must rebuild their users.
GM_CLI := $(TOP)/tests/vm/lib/cli.h
# The option table every test program parses its options with.
GM_OPT := $(GM_OBJ)/vmopt.o

GM_PROGS := gntmap gntmap-demo gntmap-abi gntmap-stress gntmap-vsp \
	gntmap-teardown gntmap-refault gntmap-upstream gntmap-who
GM_SCRIPTS := gntmap-load
GM_INSTALLED := $(addprefix $(GM_BIN)/,$(GM_PROGS) $(GM_SCRIPTS))

# The domU end of gntmap-vsp: Xen's vchan-socket-proxy, vsp-echo, a hook.
GM_DOMU := $(BUILD)/$(KVER)/vm/domu
GM_VSP = $(PLATFORM_VMROOT)/usr/lib/xen-$(PLATFORM_XENVER)/bin/vchan-socket-proxy
GM_DOMU_INSTALLED := $(GM_DOMU)/opt/gntmap/bin/vsp-echo \
	$(GM_DOMU)/opt/gntmap/bin/vchan-socket-proxy \
	$(GM_DOMU)/etc/gntmap/domu.d/55-gntmap-vsp

VM_DOM0_DEPS += $(GM_INSTALLED)
VM_DOMU_DEPS += $(GM_DOMU_INSTALLED)

.PHONY: gntmap-user demo
gntmap-user: $(GM_INSTALLED) $(GM_DOMU_INSTALLED)

$(GM_OBJ)/testdom.o: $(TOP)/tests/vm/lib/testdom.c \
		$(TOP)/tests/vm/lib/testdom.h $(TOP)/tests/vm/lib/testdom_pattern.h
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -c -o $@ $<

$(GM_OBJ)/tap.o: $(TOP)/tests/vm/stock/tap.c $(TOP)/tests/vm/stock/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -c -o $@ $<

$(GM_OPT): $(TOP)/tests/vm/lib/vmopt.c $(TOP)/tests/vm/lib/vmopt.h $(GM_CLI)
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -c -o $@ $<

$(GM_OBJ)/gmtest.o: $(GM_SRC)/gmtest.c $(GM_SRC)/gmtest.h
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -c -o $@ $<

$(GM_OBJ)/gmrun.o: $(GM_SRC)/gmrun.c $(GM_SRC)/gmrun.h $(GM_SRC)/gmtest.h \
		$(TOP)/tests/vm/lib/vmopt.h
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -c -o $@ $<

$(GM_OBJ)/gntmap: $(TOP)/tools/gntmap.c
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -o $@ $<

$(GM_OBJ)/gntmap-demo: $(TOP)/tools/gntmap-demo.c $(GM_OBJ)/testdom.o $(GM_CLI)
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -o $@ $(filter %.c %.o,$^) -lxenstore

$(GM_OBJ)/gntmap-abi: $(GM_SRC)/gntmap-abi.c $(GM_OPT) $(GM_OBJ)/gmtest.o \
		$(GM_OBJ)/gmrun.o $(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $^ -lxenevtchn -lxenstore

$(GM_OBJ)/gntmap-upstream: $(GM_SRC)/gntmap-upstream.c $(GM_OPT) \
		$(GM_OBJ)/gmtest.o $(GM_OBJ)/gmrun.o $(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $^ -lxenstore

$(GM_OBJ)/gntmap-stress: $(GM_SRC)/gntmap-stress.c $(GM_OPT) \
		$(GM_OBJ)/gmtest.o $(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $(filter %.c %.o,$^) -lxenstore -lpthread

$(GM_OBJ)/gntmap-refault: $(GM_SRC)/gntmap-refault.c $(GM_OPT) \
		$(GM_OBJ)/gmtest.o $(GM_OBJ)/gmrun.o $(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $(filter %.c %.o,$^) -lxenstore -lpthread

# gntmap-teardown holds a dying process in the core's self-test device.
$(GM_OBJ)/gntmap-teardown: $(GM_SRC)/gntmap-teardown.c $(GM_OPT) \
		$(GM_OBJ)/gmtest.o $(GM_TESTDOM) $(TOP)/drivers/core/itn_selftest.h
	$(CC) $(GM_CFLAGS) -I$(TOP)/drivers/core -o $@ $(filter %.c %.o,$^) \
		-lxenctrl -lxenevtchn -lxenstore -lpthread

# gntmap-who runs tools/gntmap (installed next to it) and xl.
$(GM_OBJ)/gntmap-who: $(GM_SRC)/gntmap-who.c $(GM_OPT) $(GM_OBJ)/gmtest.o \
		$(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $^ -lxenstore

$(GM_OBJ)/gntmap-vsp: $(GM_SRC)/gntmap-vsp.c $(GM_OPT) $(GM_TESTDOM)
	$(CC) $(GM_CFLAGS) -o $@ $(filter %.c %.o,$^) -lxenstore

$(GM_OBJ)/vsp-echo: $(GM_SRC)/vsp-echo.c
	@mkdir -p $(dir $@)
	$(CC) $(GM_CFLAGS) -o $@ $<

$(GM_DOMU)/opt/gntmap/bin/vsp-echo: $(GM_OBJ)/vsp-echo
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GM_DOMU)/opt/gntmap/bin/vchan-socket-proxy: $(GM_VSP)
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GM_VSP):
	tests/harness/deps.sh vm $(PLATFORM_NAME)

$(GM_DOMU)/etc/gntmap/domu.d/55-gntmap-vsp: $(GM_SRC)/hooks/55-gntmap-vsp
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# Static pattern rules: the bin directory is shared with other parts.
$(addprefix $(GM_BIN)/,$(GM_PROGS)): $(GM_BIN)/%: $(GM_OBJ)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(addprefix $(GM_BIN)/,$(GM_SCRIPTS)): $(GM_BIN)/%: $(GM_SRC)/%
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# make demo: one boot, the sharer domain, tools/gntmap-demo in dom0.  The
# harness prints each step as it happens; its exit status is the verdict.
DEMO_RESULTS := $(BUILD)/demo

demo: images
	@rm -rf $(DEMO_RESULTS) && mkdir -p $(DEMO_RESULTS)
	@echo "== make demo: Xen + dom0 + a test domU under QEMU (about a minute) =="
	@RESULTS=$(DEMO_RESULTS) tests/harness/run-vm.sh -P $(PLATFORM_NAME) \
		--profile stock 30-gntmap-demo.list 2>&1 | \
		sed -n 's/^vm-[^:]*: \(.*\)$$/  \1/p' ; \
	if grep -q '^not ok' $(DEMO_RESULTS)/*.tap 2>/dev/null || \
	   ! grep -q '^ok' $(DEMO_RESULTS)/*.tap 2>/dev/null; then \
		echo "== demo FAILED: see the 'not ok' lines above and" \
			"build/logs/ for the dom0, domU and Xen logs =="; \
		exit 1; \
	fi; \
	echo "== demo passed: gntmap mapped the domU's pages, the notifier" \
		"unmapped the munmapped half, and no grant leaked =="
