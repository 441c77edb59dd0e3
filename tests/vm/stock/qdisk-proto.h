/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The disk check between domu-qdisk (in the qdisk test domain) and
 * stock-qdisk (dom0); see docs/testdom.md.  The domU writes
 * testdom_pattern(seed, i, off) over @bytes of its disk at @offset, reads it
 * back past its page cache, and publishes
 *     data/QDISK_NODE = "<seed> <offset> <bytes> <bad blocks>"
 * or "error <errno>"; dom0 then reads the same bytes from the image file.
 */
#ifndef QDISK_PROTO_H
#define QDISK_PROTO_H

#include "testdom_pattern.h"

#define QDISK_NODE	"gntmap-qdisk"
/* Past the 64 KiB the domU init itself writes at the start of the disk. */
#define QDISK_OFFSET	(1u << 20)
#define QDISK_BYTES	(1u << 20)

#endif /* QDISK_PROTO_H */
