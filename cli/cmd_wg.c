/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_wg.c - `ferry wg genkey | pubkey | genpsk`: WireGuard keys in the text
 * form of wireguard-tools, so keys move between Ferry and `wg` unchanged
 * (`ferry wg genkey | wg pubkey` and `wg genkey | ferry wg pubkey` agree).
 * The private key comes from OpenSSL's random generator, clamped as
 * Curve25519 wants; nothing but the key itself is written.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "wireguard/crypto.h"

/* As wg does: a secret about to land in a file anyone can read deserves a warning. */
static void warn_if_exposed(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fprintf(stderr, "Warning: writing to world accessible file.\n"
				"Consider setting the umask to 077 and trying again.\n");
}

static int wg_print(const uint8_t key[WG_KEY_LEN])
{
	char text[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(text, key);
	printf("%s\n", text);
	wg_wipe(text, sizeof(text));
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

static int wg_pubkey_cmd(const struct cli_cmd *cmd)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char line[128];
	size_t n = fread(line, 1, sizeof(line) - 1, stdin);
	int ret;

	line[n] = '\0';
	ret = wg_key_from_base64(priv, line);
	wg_wipe(line, sizeof(line));
	if (ret) {
		wg_wipe(priv, sizeof(priv));
		fprintf(stderr, "ferry %s: standard input is not a key (44 characters of base64)\n",
			cmd->name);
		return CLI_EXIT_ERROR;
	}
	ret = wg_pubkey(pub, priv);
	wg_wipe(priv, sizeof(priv));
	return ret ? CLI_EXIT_ERROR : wg_print(pub);
}

int cmd_wg(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("wg");
	uint8_t key[WG_KEY_LEN];
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(cmd);
		return CLI_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(cmd, "expected genkey, pubkey or genpsk");
	if (wg_crypto_init()) {
		fprintf(stderr, "ferry wg: OpenSSL lacks X25519, BLAKE2s or ChaCha20-Poly1305\n");
		return CLI_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "pubkey"))
		return wg_pubkey_cmd(cmd);
	if (strcmp(argv[1], "genkey") && strcmp(argv[1], "genpsk"))
		return cli_usage_error(cmd, "unknown subcommand '%s'", argv[1]);
	warn_if_exposed();
	/* A preshared key is 32 random bytes; a private key is clamped too. */
	ret = !strcmp(argv[1], "genkey") ? wg_genkey(key) : wg_random(key, sizeof(key));
	ret = ret ? CLI_EXIT_ERROR : wg_print(key);
	wg_wipe(key, sizeof(key));
	return ret;
}
