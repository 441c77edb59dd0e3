// SPDX-License-Identifier: GPL-2.0
/* The KTAP self-test on the kernel back end (itn_kern_*). */
#define ITN_BACKEND_KERNEL
#define KT_BACKEND	"kernel"
#include "ktest.c"
