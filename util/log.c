/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c - implementation of util/log.h: formats one line per message to
 * stderr (and an optional mirror file), never allocating.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static _Atomic int log_level = LOG_LVL_INFO;
static _Atomic int log_mirror_fd = -1;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level lvl)
{
	atomic_store_explicit(&log_level, lvl, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
	return atomic_load_explicit(&log_level, memory_order_relaxed);
}

void log_set_mirror_fd(int fd)
{
	atomic_store_explicit(&log_mirror_fd, fd, memory_order_relaxed);
}

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, fd;

	if ((int)lvl > (int)log_get_level())
		return;
	n = snprintf(line, sizeof(line), "ferry[%s] %s: ", mod, level_names[lvl]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so lines from different threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
	fd = atomic_load_explicit(&log_mirror_fd, memory_order_relaxed);
	if (fd >= 0 && write(fd, line, (size_t)n) < 0)
		return;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = mono_ns();

	/*
	 * Races between threads sharing a limiter only mis-count a message or
	 * two; that is acceptable for a log throttle and keeps it lock-free.
	 */
	if (now - rl->window_ns >= 1000000000ull) {
		if (rl->suppressed)
			log_msg(LOG_LVL_WARN, "log", "%lu similar messages suppressed",
				rl->suppressed);
		rl->window_ns = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
