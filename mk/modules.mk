# Out-of-tree build of drivers/ for one Debian kernel.  Kbuild builds in the
# source directory, so each kernel gets its own copy of drivers/ under
# build/<release>/ and the objects of two kernels never mix.  A platform of
# another Debian release than the host's is built in that release's build
# root (tests/harness/buildroot.sh), with its own compiler.
# On a real dom0: make modules KVER=$(uname -r) KDIR=/lib/modules/$(uname -r)/build
# The checking kernel (deb12-debug, deb12-kasan) is built here, not packaged.
ifneq ($(PLATFORM_KDIR),)
KDIR ?= $(PLATFORM_KDIR)
endif
KDIR ?= /usr/src/linux-headers-$(KVER)
MOD_BUILD := $(BUILD)/$(KVER)/drivers

# in-buildroot TARGETS...: make TARGETS in the platform's build root, with
# this make's resolution of the platform (docs/build.md).
in-buildroot = tests/harness/buildroot.sh --run $(PLATFORM_NAME) \
	make --no-print-directory -C $(TOP) PLATFORM=$(PLATFORM_NAME) \
	CACHE=$(CACHE) BUILD=$(PLATFORM_BUILD) $(if $(C),C=$(C)) $(1)

.PHONY: modules modules-all
ifneq ($(PLATFORM_BUILDROOT),)
modules:
	@$(call in-buildroot,modules)
else
modules:
ifneq ($(PLATFORM_KDIR),)
	@CACHE=$(CACHE) tests/harness/debug-kernel.sh \
		-f $$(tests/harness/platform.sh flavour $(PLATFORM_NAME)) build
endif
	@test -d $(KDIR) || tests/harness/deps.sh host
	@mkdir -p $(MOD_BUILD)
	@cp -r --preserve=timestamps -u drivers/. $(MOD_BUILD)/
	$(MAKE) -C $(KDIR) M=$(MOD_BUILD) $(if $(C),C=$(C)) modules
endif

modules-all:
	@for p in $$(tests/harness/platform.sh list); do \
		$(MAKE) --no-print-directory modules PLATFORM=$$p || exit 1; \
	done
