/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyfile.c - key files (keyfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wireguard/keyfile.h"

/* A key, a newline and some slack: anything longer is not a key file. */
#define KEYFILE_MAX 128

static int check_mode(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		snprintf(err, errlen,
			 "%s: %s (mode %04o); a key must be private to its owner: chmod 600 %s",
			 path,
			 st.st_mode & S_IRWXO ? "accessible by every user" :
						"writable by its group",
			 (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int wg_keyfile_read(const char *path, uint8_t key[WG_KEY_LEN], char *err, size_t errlen)
{
	char buf[KEYFILE_MAX + 1];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = check_mode(fd, path, err, errlen);
	if (ret < 0)
		goto out;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	if (n > KEYFILE_MAX || strlen(buf) != (size_t)n || wg_key_from_base64(key, buf) < 0) {
		snprintf(err, errlen,
			 "%s: not a key (one base64 key of 32 bytes, as `wg genkey` prints)", path);
		ret = -EINVAL;
	}
out:
	wg_wipe(buf, sizeof(buf));
	close(fd);
	return ret;
}
