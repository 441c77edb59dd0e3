/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Figure 8 of `make bench` (docs/performance.md): how qdiskbench (dom0)
 * asks fio-peer (the bench test domU) for one fio run over the domU's
 * qdisk-served disk, through the domU's own xenstore directory:
 *
 *   data/fio-peer  "ready" once the peer listens
 *   data/fio-req   "SEQ MB SECS", written by dom0: run the FIO_JOBS over
 *                  the first MB MiB of the disk, each job for at most SECS
 *                  seconds
 *   data/fio-res   "SEQ ok BW0 IO0 BW1 IO1 BW2 IO2 BW3 IO3" (bytes per
 *                  second and bytes moved of each job, in FIO_JOBS order)
 *                  or "SEQ error WHY", written by the peer
 */
#ifndef FIO_PROTO_H
#define FIO_PROTO_H

#define FIO_NODE_READY	"data/fio-peer"
#define FIO_NODE_REQ	"data/fio-req"
#define FIO_NODE_RES	"data/fio-res"

struct fio_job {
	const char *name;	/* fio job name and figure 8's entry name */
	const char *rw;		/* fio's rw= */
	unsigned int bs;	/* block size, bytes */
	int write;		/* its figures are in fio's "write" part */
};

#define FIO_NJOBS	4

static const struct fio_job fio_jobs[FIO_NJOBS] = {
	{ "seq-read-1m", "read", 1 << 20, 0 },
	{ "seq-write-1m", "write", 1 << 20, 1 },
	{ "rand-read-4k", "randread", 4096, 0 },
	{ "rand-write-4k", "randwrite", 4096, 1 },
};

#endif /* FIO_PROTO_H */
