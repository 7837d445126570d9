/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler.h - small compiler helpers shared by every Ferry library.
 *
 * Lock annotations map to clang's thread-safety analysis (built with
 * -Wthread-safety in the clang CI build) and vanish under gcc.  Nothing here
 * knows about any Ferry module; util/ sits below all of them.
 */
#ifndef FERRY_UTIL_COMPILER_H
#define FERRY_UTIL_COMPILER_H

#include <stddef.h>

/*
 * DPDK's headers define some of the same helpers with the same meaning; the
 * guards let a file include both in either order.
 */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

/*
 * Each argument is evaluated exactly once: an argument may read guest memory
 * (an avail index the guest changes under us), and reading it twice once let
 * a guest overflow a burst array.  Statement expressions are a GNU extension
 * both gcc and clang accept in C11 mode.
 */
/* __COUNTER__ gives every expansion its own temporaries, so MIN(MIN(..)) nests. */
#define FERRY_MINMAX_(a, b, op, n)                          \
	__extension__({                                     \
		__typeof__(a) mm_a_##n = (a);               \
		__typeof__(b) mm_b_##n = (b);               \
		mm_a_##n op mm_b_##n ? mm_a_##n : mm_b_##n; \
	})
#define FERRY_MINMAX(a, b, op, n) FERRY_MINMAX_(a, b, op, n)
#ifndef MIN
#define MIN(a, b) FERRY_MINMAX(a, b, <, __COUNTER__)
#endif
#ifndef MAX
#define MAX(a, b) FERRY_MINMAX(a, b, >, __COUNTER__)
#endif
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define IS_POW2(x) ((x) != 0 && (((x) & ((x)-1)) == 0))

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define FERRY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FERRY_UNUSED __attribute__((unused))
#define FERRY_PACKED __attribute__((packed))

#if defined(__clang__)
#define FERRY_TSA(x) __attribute__((x))
#else
#define FERRY_TSA(x)
#endif

/*
 * clang thread-safety annotations (docs/contributing.md).  In C, clang
 * cannot name a sibling struct member in an attribute, so struct fields use
 * GUARDED ("some lock must be held", as OVS_GUARDED does) and functions name
 * the exact lock with REQUIRES(obj->lock).  Locks are util/lock.h types.
 */
#define CAPABILITY(x) FERRY_TSA(capability(x))
#define GUARDED FERRY_TSA(guarded_var)
#define GUARDED_BY(x) FERRY_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) FERRY_TSA(pt_guarded_by(x))
#define REQUIRES(...) FERRY_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) FERRY_TSA(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) FERRY_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) FERRY_TSA(release_generic_capability(__VA_ARGS__))
#define ACQUIRE(...) FERRY_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) FERRY_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) FERRY_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) FERRY_TSA(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS FERRY_TSA(no_thread_safety_analysis)

#endif
