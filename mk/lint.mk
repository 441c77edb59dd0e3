# checkpatch and sparse over every kernel source, for every platform's
# kernel (the Debian 13 ones in their build root).
LINT_PLATFORMS ?= $(shell tests/harness/platform.sh list)

.PHONY: lint lint-check
lint: linux-source
	tests/lint.sh $(LINUX_SRC)/scripts $(LINT_PLATFORMS)

check-host: lint-check
lint-check: linux-source
	@mkdir -p $(RESULTS)
	@echo host-lint >> $(RESULTS)/expected-stages
	@echo "  LINT    checkpatch + sparse ($(LINT_PLATFORMS))"
	-@tests/lint.sh $(LINUX_SRC)/scripts $(LINT_PLATFORMS) > $(RESULTS)/host-lint.tap
