// SPDX-License-Identifier: GPL-2.0
/* core-tests: every host test of drivers/core, TAP on stdout. */
#include "tap.h"

int main(int argc, char **argv)
{
	return tap_main(argc, argv);
}
