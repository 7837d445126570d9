/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usock.c - listening Unix sockets created with their final mode (usock.h).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/usock.h"

/* @tmpl: "<dir of path>/.ferry-sock-XXXXXX", the private directory to bind in. */
static int usock_tmpl(const char *path, char *tmpl, size_t len)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, strlen(path) + 1);
	n = snprintf(tmpl, len, "%s/.ferry-sock-XXXXXX", dirname(copy));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int usock_bind_private(int fd, const char *dir, mode_t mode, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/s", dir);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || chmod(sa->sun_path, mode))
		return -errno;
	return 0;
}

/* 0 if @path is free or a stale socket; -EADDRINUSE if someone listens; -EEXIST if no socket. */
static int usock_check_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ret == 0 ? -EADDRINUSE : 0;
}

int usock_listen(const char *path, mode_t mode, int backlog, int type_flags)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	int fd, ret;

	ret = usock_tmpl(path, dir, sizeof(dir));
	if (!ret)
		ret = usock_check_path(path);
	if (ret)
		return ret;
	if (!mkdtemp(dir)) /* mode 0700: only we may enter it */
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
	if (fd < 0) {
		ret = -errno;
		goto out_rmdir;
	}
	ret = usock_bind_private(fd, dir, mode, &sa);
	if (!ret && (listen(fd, backlog) || rename(sa.sun_path, path)))
		ret = -errno;
	if (ret) {
		unlink(sa.sun_path);
		close(fd);
	}
out_rmdir:
	rmdir(dir);
	return ret ? ret : fd;
}
