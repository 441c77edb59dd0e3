# SPDX-License-Identifier: GPL-2.0
#
# Debian packages and the full Debian dom0 (docs/package.md):
#
#   make deb             gntmap-dkms and gntmap-tools into build/deb/,
#                        lintian's output in build/deb/lintian.txt
#   make deb-deps        the host packages they need (debhelper, dh-dkms,
#                        lintian, mmdebstrap), from Debian's apt
#   make check-fulldom0  a Debian 13 dom0 disk image with both packages
#                        installed by apt, booted twice under Xen in QEMU
#                        (gntmap drop-in, then stock after apt remove)
#   make check-all       make check, the @check-all suites, then check-fulldom0
#
# The stage needs the harness's test domain (make images PLATFORM=deb12).

DEB_OUT := $(BUILD)/deb
DEB_VERSION = $(shell debian-pkg/version.sh)
DEB_HOST_PKGS := debhelper dh-dkms lintian mmdebstrap dpkg-dev fakeroot \
	libxen-dev
FULLDOM0_PLATFORM ?= deb12
# lintian refuses to be trusted as root ("not recommended"): as root it
# runs as nobody, on copies in a world-readable temporary folder (the
# checkout may be under a home nobody cannot enter).
DEB_LINTIAN := $(if $(filter 0,$(shell id -u)),HOME=/tmp setpriv --reuid=nobody \
	--regid=nogroup --clear-groups) lintian

.PHONY: deb deb-deps deb-check check-fulldom0

deb-deps:
	@miss=; for p in $(DEB_HOST_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed$$' || miss="$$miss $$p"; \
	done; [ -z "$$miss" ] || { echo "deb-deps: installing$$miss"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $$miss >/dev/null; }

# The source tree of both packages, assembled fresh each time: the DKMS
# sources (core/ and gntmap/ under the package's Kbuild), the CLI, its man
# page, the modprobe.d file and debian/ with a changelog of this version.
deb: deb-deps
	@v=$(DEB_VERSION); src=$(DEB_OUT)/src/gntmap-$$v; \
	rm -rf $(DEB_OUT) && mkdir -p $$src/drivers && \
	cp -r drivers/core drivers/gntmap drivers/kern_variant.mk debian-pkg/Kbuild \
		$$src/drivers/ && \
	cp tools/gntmap.c tests/vm/lib/gntmap_counters.h debian-pkg/gntmap.1 \
		debian-pkg/gntmap.conf $$src/ && \
	cp -r debian-pkg/debian $$src/ && \
	printf '%s\n' "gntmap ($$v) unstable; urgency=medium" "" \
		"  * Built from $$(git rev-parse --short HEAD) by make deb." "" \
		" -- $$(sed -n 's/^Maintainer: //p' debian-pkg/debian/control)  $$(date -R)" \
		>$$src/debian/changelog && \
	echo "  DEB     gntmap $$v" && \
	(cd $$src && dpkg-buildpackage -us -uc -b >../build.log 2>&1) || \
		{ tail -n 30 $(DEB_OUT)/src/build.log; exit 1; }; \
	mv $(DEB_OUT)/src/*.deb $(DEB_OUT)/src/*.changes $(DEB_OUT)/src/*.buildinfo $(DEB_OUT)/ && \
	echo "  LINTIAN" && \
	lt=$$(mktemp -d) && chmod 755 $$lt && \
	cp $(DEB_OUT)/*.changes $(DEB_OUT)/*.buildinfo $(DEB_OUT)/*.deb $$lt/ && \
	chmod 644 $$lt/* && \
	(cd $$lt && $(DEB_LINTIAN) --info --display-info --pedantic *.changes) \
		>$(DEB_OUT)/lintian.txt 2>&1; \
	rm -rf $$lt; cat $(DEB_OUT)/lintian.txt; ls -1 $(DEB_OUT)/*.deb

check-fulldom0: deb
	@$(MAKE) --no-print-directory images PLATFORM=$(FULLDOM0_PLATFORM)
	@mkdir -p $(RESULTS)
	CACHE=$(CACHE) BUILD=$(BUILD) RESULTS=$(RESULTS) \
		tests/fulldom0/run.sh $(DEB_OUT) $(FULLDOM0_PLATFORM)

# make check-all (Makefile) runs it after make check's stages.
check-extra: check-fulldom0

# make check builds the packages and their DKMS tree (tests/deb-check.sh);
# make deps brings what that needs.
deps: deb-deps
check-host: deb-check
deb-check: deb-deps
	@mkdir -p $(RESULTS)
	@echo host-deb >> $(RESULTS)/expected-stages
	@echo "  TEST    host-deb"
	-@tests/deb-check.sh $(DEB_OUT) $(KDIR) > $(RESULTS)/host-deb.tap
