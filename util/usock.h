/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usock.h - Unix stream sockets that listen with the right mode from the start.
 *
 * bind() creates the socket file with the process umask, and a chmod()
 * after it leaves a moment in which anyone the umask lets in may connect
 * (to the control socket: drive the daemon; to a vhost-user socket: map a
 * guest's memory).  So the socket is bound inside a fresh directory only
 * its owner can enter, given its mode there, and only then renamed into
 * place: nobody can reach it until it has the mode it keeps.
 */
#ifndef FERRY_UTIL_USOCK_H
#define FERRY_UTIL_USOCK_H

#include <sys/types.h>

/*
 * A listening socket at @path with mode @mode, @backlog deep, SOCK_CLOEXEC
 * plus @type_flags (e.g. SOCK_NONBLOCK).  A stale socket file at @path (one
 * nobody listens on, left by a run that died) is replaced; a socket someone
 * still listens on is refused (-EADDRINUSE), and so is any other file
 * (-EEXIST).  The fd, or -errno (-ENAMETOOLONG when the path, or the
 * temporary name beside it, would not fit sun_path).
 */
int usock_listen(const char *path, mode_t mode, int backlog, int type_flags);

#endif
