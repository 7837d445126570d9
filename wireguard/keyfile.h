/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyfile.h - private and preshared keys read from files, in the text form
 * wireguard-tools writes (`wg genkey > key`, `wg genpsk > psk`): one base64
 * key, surrounding whitespace allowed.
 *
 * A key file that anyone but its owner and group can read (or that its
 * group can write) is refused, as is anything but a regular file: a secret
 * that leaked through its file is no secret.  The checks are made on the
 * open file, not on its name, so a rename between them changes nothing.
 */
#ifndef FERRY_WIREGUARD_KEYFILE_H
#define FERRY_WIREGUARD_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "wireguard/crypto.h"

/*
 * Read the key in @path into @key.  On failure returns a negative errno
 * (-EPERM for unsafe permissions, -EINVAL for a text that is not one key)
 * and writes a sentence naming the file and what is wrong into @err.
 */
int wg_keyfile_read(const char *path, uint8_t key[WG_KEY_LEN], char *err, size_t errlen);

#endif
