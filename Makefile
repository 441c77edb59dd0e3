# SPDX-License-Identifier: GPL-2.0
#
# gntmap: entry points.  Each part keeps its rules in mk/<part>.mk; this file
# only ties them together.  See docs/build.md.
#
#   make check            every test: host core tests, then the Xen/QEMU run
#   make demo             boot Xen under QEMU and show gntmap at work
#   make bench            side-by-side benchmarks
#   make modules          the kernel modules for KERNEL (6.1 default, or 6.12)
#   make lint             checkpatch.pl and sparse on the kernel sources
#   make vm-shell         interactive dom0 shell on the test images

KERNEL ?= 6.1
TOP := $(abspath .)
CACHE := $(TOP)/.cache
BUILD := $(TOP)/build
RESULTS := $(BUILD)/results

.PHONY: all check check-host check-vm demo bench modules lint clean distclean
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

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(CACHE)
