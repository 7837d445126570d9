/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h - Ferry's logging: control-plane and data-plane messages go through
 * separate types so the data path can be silenced or rate-limited on its own
 * (docs/contributing.md).  Every message names its module.
 *
 * Data-path callers use LOG_RL(), which keeps a function-local limiter so a
 * hostile guest cannot flood the log.
 */
#ifndef FERRY_UTIL_LOG_H
#define FERRY_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* A rate limiter: at most @burst messages per second; the rest are counted. */
struct log_ratelimit {
	uint64_t window_ns; /* start of the current one-second window */
	unsigned int printed; /* messages printed in this window */
	unsigned int burst; /* messages allowed per window */
	unsigned long suppressed; /* messages dropped since the last print */
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Mirror every message into @fd as well as stderr (-1 to stop). */
void log_set_mirror_fd(int fd);

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...) FERRY_PRINTF(3, 4);
bool log_ratelimit_ok(struct log_ratelimit *rl);

#define LOG_ERR(mod, ...) log_msg(LOG_LVL_ERR, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...) log_msg(LOG_LVL_WARN, mod, __VA_ARGS__)
#define LOG_INFO(mod, ...) log_msg(LOG_LVL_INFO, mod, __VA_ARGS__)
#define LOG_DEBUG(mod, ...)                                       \
	do {                                                      \
		if (log_get_level() >= LOG_LVL_DEBUG)             \
			log_msg(LOG_LVL_DEBUG, mod, __VA_ARGS__); \
	} while (0)

/* Rate-limited logging for paths a guest or peer can trigger at will. */
#define LOG_RL(lvl, mod, ...)                                      \
	do {                                                       \
		static struct log_ratelimit rl_ = { .burst = 10 }; \
		if (log_ratelimit_ok(&rl_))                        \
			log_msg(lvl, mod, __VA_ARGS__);            \
	} while (0)

#endif
