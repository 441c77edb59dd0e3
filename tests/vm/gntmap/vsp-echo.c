// SPDX-License-Identifier: GPL-2.0
/*
 * vsp-echo: the domU end of gntmap-vsp.  Listens on a UNIX socket that
 * vchan-socket-proxy (server mode) connects to for each vchan connection,
 * and sends back every byte XORed with 0x5a, so a plain loopback cannot
 * pass the test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void serve(int c)
{
	unsigned char buf[4096];
	ssize_t n, i, done;

	while ((n = read(c, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			buf[i] ^= 0x5a;
		for (done = 0; done < n; done += i) {
			i = write(c, buf + done, n - done);
			if (i <= 0)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, c;

	if (argc != 2 || !strcmp(argv[1], "--help") ||
	    strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"usage: vsp-echo SOCKET-PATH\n"
			"Echo every connection's bytes XORed with 0x5a.\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s, 4)) {
		fprintf(stderr, "vsp-echo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
}
