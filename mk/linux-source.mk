# Upstream files the project compiles or runs, but never copies into the
# repo: the kernel's rbtree and interval tree (userspace core build), the
# hmm selftest and its uapi header, and checkpatch.pl.  Taken from Debian's
# linux-source-6.1 package and cached.
LINUX_SRC_TAR := /usr/src/linux-source-6.1.tar.xz
LINUX_SRC := $(CACHE)/linux-source-6.1
LINUX_SRC_STAMP := $(LINUX_SRC)/.extracted
LINUX_SRC_MEMBERS := \
	tools/lib/rbtree.c 'tools/include/*' lib/interval_tree.c \
	include/linux/interval_tree.h include/linux/interval_tree_generic.h \
	lib/test_hmm_uapi.h 'tools/testing/selftests/vm/*' \
	'tools/testing/selftests/kselftest*' scripts/checkpatch.pl \
	scripts/spelling.txt scripts/const_structs.checkpatch

.PHONY: linux-source
linux-source: $(LINUX_SRC_STAMP)

$(LINUX_SRC_STAMP): mk/linux-source.mk
	@test -f $(LINUX_SRC_TAR) || tests/harness/deps.sh host
	@mkdir -p $(CACHE)
	@echo "  EXTRACT linux-source-6.1 (rbtree, interval tree, hmm-tests, checkpatch)"
	@tar -xJf $(LINUX_SRC_TAR) -C $(CACHE) --wildcards \
		$(addprefix linux-source-6.1/,$(LINUX_SRC_MEMBERS))
	@touch $@
