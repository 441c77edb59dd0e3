# Out-of-tree build of drivers/ for one Debian kernel.  Kbuild builds in the
# source directory, so each kernel gets its own copy of drivers/ under
# build/<release>/ and 6.1 and 6.12 objects never mix.
# On a real dom0: make modules KVER=$(uname -r) KDIR=/lib/modules/$(uname -r)/build
ifeq ($(origin KVER),undefined)
KVER := $(shell tests/harness/kver.sh $(KERNEL))
endif
# The checking kernel is built here, not packaged (debug-kernel.sh).
ifneq ($(filter %-debug,$(KERNEL)),)
KDIR ?= $(shell tests/harness/debug-kernel.sh kdir)
endif
KDIR ?= /usr/src/linux-headers-$(KVER)
MOD_BUILD := $(BUILD)/$(KVER)/drivers

.PHONY: modules modules-all
modules:
	@test -d $(KDIR) || tests/harness/deps.sh host
	@mkdir -p $(MOD_BUILD)
	@cp -r --preserve=timestamps -u drivers/. $(MOD_BUILD)/
	$(MAKE) -C $(KDIR) M=$(MOD_BUILD) $(if $(C),C=$(C)) modules

modules-all:
	$(MAKE) modules KERNEL=6.1
	$(MAKE) modules KERNEL=6.12
