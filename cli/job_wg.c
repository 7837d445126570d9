/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_wg.c - the WireGuard tunnel of one `ferry run` (vswitch/wg.h): brought
 * up from the config's "wireguard" after the overlay, before the tenants (an
 * encrypted tenant's VTEPs must be routed into it); the peers the control
 * socket adds and removes; what `ferryctl wg` and the run summary show.
 *
 * Keys are read from their files here (wireguard/keyfile.h: a file others
 * can read is refused), handed to the switch and wiped; no key is ever
 * logged or shown but public ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli/job.h"
#include "util/log.h"
#include "vswitch/wg.h"
#include "wireguard/crypto.h"
#include "wireguard/keyfile.h"

static void wg_addr(const struct config_addr *c, struct vsw_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = c->family;
	memcpy(a->a, c->a, sizeof(a->a));
}

/* Peer @p (config path @where) into the switch. */
static int job_wg_peer(struct job *j, const struct config_wg_peer *p, const char *where,
		       struct config_error *err)
{
	struct vsw_prefix allowed[VSW_WG_MAX_ALLOWED];
	struct vsw_wg_peer_opts o = { .allowed = allowed,
				      .n_allowed = p->n_allowed_ips,
				      .persistent_keepalive_s = (uint16_t)p->persistent_keepalive };
	char msg[256], key[WG_KEY_B64_LEN + 1];
	int ret = 0;

	memcpy(o.public_key, p->public_key, sizeof(o.public_key));
	for (unsigned int i = 0; i < p->n_allowed_ips && i < VSW_WG_MAX_ALLOWED; i++) {
		memset(&allowed[i], 0, sizeof(allowed[i]));
		allowed[i].addr.family = p->allowed_ips[i].family;
		memcpy(allowed[i].addr.a, p->allowed_ips[i].a, 16);
		allowed[i].plen = p->allowed_ips[i].plen;
	}
	if (p->endpoint.addr.family) {
		wg_addr(&p->endpoint.addr, &o.endpoint);
		o.endpoint_port = (uint16_t)p->endpoint.port;
	}
	if (p->preshared_key_file) {
		ret = wg_keyfile_read(p->preshared_key_file, o.psk, msg, sizeof(msg));
		o.has_psk = ret == 0;
		if (ret)
			snprintf(err->msg, sizeof(err->msg), "%s.preshared_key_file: %s", where,
				 msg);
	}
	if (!ret) {
		ret = vsw_wg_peer_add(j->sw, &o);
		wg_key_to_base64(key, p->public_key);
		if (ret)
			snprintf(err->msg, sizeof(err->msg), "%s: cannot add peer %s: %s", where,
				 key,
				 ret == -EINVAL ? "this host's own key, or a key of small order" :
						  strerror(-ret));
	}
	wg_wipe(&o, sizeof(o));
	return ret;
}

int job_wg_start(struct job *j)
{
	const struct config_wireguard *c = &j->cfg->wireguard;
	struct vsw_wg_opts o = { .listen_port = (uint16_t)c->listen_port,
				 .time_scale =
					 1.0 / (c->test_timer_divisor ? c->test_timer_divisor : 1),
				 .rekey_after_messages = c->test_rekey_after_messages };
	struct config_error err = { 0 };
	char msg[256], where[48];
	int ret;

	if (!c->private_key_file)
		return 0;
	wg_addr(&c->address, &o.address);
	ret = wg_keyfile_read(c->private_key_file, o.private_key, msg, sizeof(msg));
	if (ret) {
		LOG_ERR("cli", "wireguard.private_key_file: %s", msg);
		return ret;
	}
	ret = vsw_wg_enable(j->sw, &o);
	wg_wipe(o.private_key, sizeof(o.private_key));
	if (ret) {
		LOG_ERR("cli", "wireguard: cannot start the tunnel: %s", strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; !ret && i < c->n_peers; i++) {
		snprintf(where, sizeof(where), "wireguard.peers[%u]", i);
		ret = job_wg_peer(j, &c->peers[i], where, &err);
		if (ret)
			LOG_ERR("cli", "%s", err.msg);
	}
	return ret;
}

int job_wg_peer_add(struct job *j, json_t *peer, struct config_error *err)
{
	struct config_wireguard *c = &j->cfg->wireguard;
	int ret = config_wg_peer_add(j->cfg, peer, "peer", err);

	if (ret)
		return ret;
	ret = job_wg_peer(j, &c->peers[c->n_peers - 1], "peer", err);
	if (ret)
		config_wg_peer_remove(j->cfg, c->peers[c->n_peers - 1].public_key);
	return ret;
}

int job_wg_peer_remove(struct job *j, const char *public_key, struct config_error *err)
{
	uint8_t key[WG_KEY_LEN];
	int ret;

	if (!public_key || wg_key_from_base64(key, public_key)) {
		snprintf(err->msg, sizeof(err->msg), "public_key: %s",
			 public_key ? "not a key (44 characters of base64)" : "required");
		return -EINVAL;
	}
	ret = vsw_wg_peer_remove(j->sw, key);
	if (ret == 0)
		config_wg_peer_remove(j->cfg, key);
	else
		snprintf(err->msg, sizeof(err->msg), "public_key: %s",
			 ret == -ENOENT ? "no such peer" : strerror(-ret));
	return ret;
}

static json_t *wg_key_json(const uint8_t *k)
{
	char buf[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(buf, k);
	return json_string(buf);
}

static json_t *wg_addr_json(const struct vsw_addr *a)
{
	char buf[VSW_ADDR_STRLEN];

	return json_string(vsw_addr_str(a, buf, sizeof(buf)));
}

static json_t *wg_peer_json(const struct vsw_wg_peer_stats *p)
{
	char ep[VSW_ADDR_STRLEN + 16], a[VSW_ADDR_STRLEN];
	json_t *allowed = json_array(), *o;

	for (unsigned int i = 0; i < p->n_allowed; i++) {
		snprintf(ep, sizeof(ep), "%s/%u", vsw_addr_str(&p->allowed[i].addr, a, sizeof(a)),
			 p->allowed[i].plen);
		json_array_append_new(allowed, json_string(ep));
	}
	if (p->endpoint.family)
		snprintf(ep, sizeof(ep), p->endpoint.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 vsw_addr_str(&p->endpoint, a, sizeof(a)), p->endpoint_port);
	o = json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:I}", "public_key",
		      wg_key_json(p->public_key), "allowed_ips", allowed, "latest_handshake",
		      (json_int_t)p->last_handshake_s, "handshakes", (json_int_t)p->handshakes,
		      "rx_bytes", (json_int_t)p->rx_bytes, "tx_bytes", (json_int_t)p->tx_bytes,
		      "rx_packets", (json_int_t)p->rx_packets, "tx_packets",
		      (json_int_t)p->tx_packets, "persistent_keepalive",
		      (int)p->persistent_keepalive_s, "session", p->session, "staged",
		      (json_int_t)p->staged);
	if (o && p->endpoint.family)
		json_object_set_new(o, "endpoint", json_string(ep));
	return o;
}

json_t *job_wg_json(struct job *j)
{
	static struct vsw_wg_peer_stats peers[VSW_WG_MAX_PEERS];
	json_t *ctr, *a, *o;
	struct vsw_wg_stats st;
	unsigned int n;

	if (!j->sw || vsw_wg_stats(j->sw, &st) || !st.enabled)
		return json_pack("{s:b}", "enabled", 0);
	ctr = json_object();
	a = json_array();
	for (unsigned int i = 0; i < VSW_WG_CTR_MAX; i++)
		json_object_set_new(ctr, vsw_wg_ctr_name((enum vsw_wg_ctr)i),
				    json_integer((json_int_t)st.ctr[i]));
	n = vsw_wg_peers(j->sw, peers, VSW_WG_MAX_PEERS);
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(a, wg_peer_json(&peers[i]));
	o = json_pack("{s:b, s:o, s:i, s:o, s:b, s:o, s:o, s:I}", "enabled", 1, "public_key",
		      wg_key_json(st.public_key), "listen_port", (int)st.listen_port, "address",
		      wg_addr_json(&st.address), "under_load", st.under_load, "counters", ctr,
		      "peers", a, "now", (json_int_t)time(NULL));
	return o;
}

void job_print_wg(struct job *j)
{
	static struct vsw_wg_peer_stats peers[VSW_WG_MAX_PEERS];
	char key[WG_KEY_B64_LEN + 1];
	struct vsw_wg_stats st;
	unsigned int n;

	if (!j->sw || vsw_wg_stats(j->sw, &st) || !st.enabled)
		return;
	n = vsw_wg_peers(j->sw, peers, VSW_WG_MAX_PEERS);
	printf("\n%-45s %10s %12s %12s\n", "wireguard peer", "handshakes", "received", "sent");
	for (unsigned int i = 0; i < n; i++) {
		wg_key_to_base64(key, peers[i].public_key);
		printf("%-45s %10llu %12llu %12llu\n", key, (unsigned long long)peers[i].handshakes,
		       (unsigned long long)peers[i].rx_bytes,
		       (unsigned long long)peers[i].tx_bytes);
	}
	printf("wireguard:");
	for (unsigned int i = 0; i < VSW_WG_CTR_MAX; i++)
		if (st.ctr[i])
			printf(" %s %llu", vsw_wg_ctr_name((enum vsw_wg_ctr)i),
			       (unsigned long long)st.ctr[i]);
	printf("\n");
}
