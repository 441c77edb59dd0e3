// SPDX-License-Identifier: GPL-2.0
/* The same recipe, built against the kernel back end (itn_kern_*). */
#define ITN_BACKEND_KERNEL
#include "range_fault.c"
