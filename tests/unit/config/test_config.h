/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.h - helpers shared by the config/ unit tests (test_*.c in this folder): JSON
 * written with single quotes so C strings stay readable, loading with exact error checks, and
 * the source tree's location (FERRY_SOURCE_ROOT, set by meson) for the committed files.
 */
#ifndef FERRY_TESTS_UNIT_CONFIG_TEST_CONFIG_H
#define FERRY_TESTS_UNIT_CONFIG_TEST_CONFIG_H

#include <CUnit/CUnit.h>

#include "config/config.h"

/* A copy of @s with every ' turned into ": test inputs never need a literal apostrophe. */
char *tc_sq(const char *s);
/* Parse single-quoted JSON @sq (relative paths kept as written). */
struct ferry_config *tc_load(const char *sq, struct config_error *err);
/* Loading @sq must fail with exactly @msg; returns true if it did (and reports otherwise). */
bool tc_fails_with(const char *sq, const char *msg);
/* A whole file, NUL-terminated (NULL if unreadable); malloc'd. */
char *tc_read(const char *path);
/* Write @text to @name in a new directory made from the mkdtemp template @dir; path in @path. */
bool tc_temp_file(char *dir, const char *name, const char *text, char *path, size_t len);
void tc_temp_remove(const char *dir, const char *path);
/* FERRY_SOURCE_ROOT "/" @rel in a static buffer. */
const char *tc_src(const char *rel);
/* dump(a) == dump(b). */
bool tc_same_config(const struct ferry_config *a, const struct ferry_config *b);
/* dump -> parse -> dump gives the same JSON. */
bool tc_round_trips(const struct ferry_config *cfg);

extern CU_TestInfo tc_valid_tests[];
extern CU_TestInfo tc_error_tests[];
extern CU_TestInfo tc_control_tests[];
extern CU_TestInfo tc_value_tests[];
extern CU_TestInfo tc_sync_tests[];
extern CU_TestInfo tc_fuzz_tests[];

#endif
