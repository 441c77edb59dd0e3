// SPDX-License-Identifier: GPL-2.0
/* dmirror_kern.ko: the same driver on the kernel's mmu_interval_notifier. */
#include "mirror.c"
