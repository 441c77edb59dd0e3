# checkpatch and sparse over every kernel source, for both kernels.
LINT_KERNELS ?= 6.1 6.12

.PHONY: lint lint-check
lint: linux-source
	tests/lint.sh $(LINUX_SRC)/scripts $(LINT_KERNELS)

check-host: lint-check
lint-check: linux-source
	@mkdir -p $(RESULTS)
	@echo host-lint >> $(RESULTS)/expected-stages
	@echo "  LINT    checkpatch + sparse ($(LINT_KERNELS))"
	-@tests/lint.sh $(LINUX_SRC)/scripts $(LINT_KERNELS) > $(RESULTS)/host-lint.tap
