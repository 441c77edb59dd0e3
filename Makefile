# SPDX-License-Identifier: GPL-2.0
#
# gntmap: entry points.  Each part keeps its rules in mk/<part>.mk; this file
# only ties them together.  See docs/build.md.
#
#   make check            host core tests, then the Xen/QEMU run of every
#                         platform (what fits CI's hour)
#   make check-all        the same and the stages marked @check-all
#   make demo             boot Xen under QEMU and show gntmap at work
#   make bench            side-by-side benchmarks
#   make modules          the kernel modules for PLATFORM (docs/build.md)
#   make lint             checkpatch.pl and sparse on the kernel sources
#   make vm-shell         interactive dom0 shell on the test images

TOP := $(abspath .)
CACHE ?= $(TOP)/.cache
BUILD ?= $(TOP)/build

# The dom0 platform (tests/harness/platform.sh): deb12 (default),
# deb12-6.12, deb13, deb13-bpo.  KERNEL=6.1 and KERNEL=6.12 still name the
# two Debian 12 ones.  Its kernel release (KVER), Xen version and trees come
# from Debian's packages, resolved once and cached; inside a build root the
# caller's resolution is read back.  Given KVER (a real dom0's uname -r),
# nothing is resolved.
ifeq ($(origin KERNEL),command line)
PLATFORM ?= $(KERNEL)
endif
PLATFORM ?= deb12
ifeq ($(origin KVER),undefined)
ifeq ($(GNTMAP_BUILDROOT),)
PLATFORM_MK := $(shell CACHE=$(CACHE) BUILD=$(BUILD) \
	tests/harness/platform.sh makefile $(PLATFORM))
ifeq ($(PLATFORM_MK),)
$(error cannot resolve PLATFORM=$(PLATFORM); see the message above)
endif
else
PLATFORM_MK := $(CACHE)/platforms/$(PLATFORM).mk
endif
include $(PLATFORM_MK)
KVER := $(PLATFORM_KVER)
endif
ifneq ($(GNTMAP_BUILDROOT),)
PLATFORM_BUILD := $(BUILD)
PLATFORM_BUILDROOT :=
endif
RESULTS := $(BUILD)/results

.PHONY: all check check-all check-host check-vm check-extra demo bench \
	modules lint clean distclean
all: modules

include mk/linux-source.mk
include $(sort $(filter-out mk/linux-source.mk,$(wildcard mk/*.mk)))

# Every test stage appends TAP files under $(RESULTS); one summary closes
# the run, so a failed stage never hides the ones after it.
check:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory check-host
	-@$(MAKE) --no-print-directory check-vm
	@tests/summarize.sh $(RESULTS)

# make check-all: what make check runs, plus the suites' @check-all
# platforms and the parts' own long stages (check-extra's prerequisites,
# added by mk/*.mk).  README says which is which.
check-all:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory check-host
	-@CHECK_SCOPE=all $(MAKE) --no-print-directory check-vm
	-@$(MAKE) --no-print-directory check-extra
	@tests/summarize.sh $(RESULTS)

check-extra:

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(CACHE)
