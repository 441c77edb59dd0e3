// SPDX-License-Identifier: GPL-2.0
/* The self-test client on the kernel back end (itn_kern_*). */
#define ITN_BACKEND_KERNEL
#include "selftest.c"
