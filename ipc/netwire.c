/*
 * struct cni_result on the wire (MSG_NET_RESULT, include/cninet.h): the
 * counts, then every string of every item, each within its CNI_MAX_*
 * bound.  The receiver is the root executor and the sender the sandboxed
 * netparse, so the decoder trusts nothing: bounds, then
 * cni_result_check() on the whole, the same check netparse made.
 */
#include <stdint.h>
#include <string.h>

#include "cninet.h"
#include "ipc.h"
#include "msgschema.h"

#define GETS(m, buf)	(ipc_get_str((m), (buf), sizeof(buf)) == -1)

int
netwire_put_result(struct ipc_msg *m, const struct cni_result *r)
{
	uint32_t i;

	ipc_put_u32(m, r->is_error);
	ipc_put_u32(m, r->err_code);
	ipc_put_str(m, r->err_msg);
	ipc_put_str(m, r->version);
	ipc_put_u32(m, r->n_ifaces);
	for (i = 0; i < r->n_ifaces; i++) {
		ipc_put_str(m, r->ifaces[i].name);
		ipc_put_str(m, r->ifaces[i].mac);
		ipc_put_str(m, r->ifaces[i].sandbox);
	}
	ipc_put_u32(m, r->n_ips);
	for (i = 0; i < r->n_ips; i++) {
		ipc_put_str(m, r->ips[i].address);
		ipc_put_str(m, r->ips[i].gateway);
		ipc_put_u32(m, (uint32_t)r->ips[i].iface);
	}
	ipc_put_u32(m, r->n_routes);
	for (i = 0; i < r->n_routes; i++) {
		ipc_put_str(m, r->routes[i].dst);
		ipc_put_str(m, r->routes[i].gw);
	}
	ipc_put_u32(m, r->n_ns);
	for (i = 0; i < r->n_ns; i++)
		ipc_put_str(m, r->nameservers[i]);
	ipc_put_str(m, r->domain);
	ipc_put_u32(m, r->n_search);
	for (i = 0; i < r->n_search; i++)
		ipc_put_str(m, r->search[i]);
	ipc_put_u32(m, r->n_opts);
	for (i = 0; i < r->n_opts; i++)
		ipc_put_str(m, r->options[i]);
	/* the puts record a failure in m; the send refuses it */
	return 0;
}

static int
get_lists(struct ipc_msg *m, struct cni_result *r)
{
	uint32_t i, u;

	if (ipc_get_count(m, &r->n_ifaces, CNI_MAX_IFACES) == -1)
		return -1;
	for (i = 0; i < r->n_ifaces; i++)
		if (GETS(m, r->ifaces[i].name) || GETS(m, r->ifaces[i].mac) ||
		    GETS(m, r->ifaces[i].sandbox))
			return -1;
	if (ipc_get_count(m, &r->n_ips, CNI_MAX_IPS) == -1)
		return -1;
	for (i = 0; i < r->n_ips; i++) {
		if (GETS(m, r->ips[i].address) || GETS(m, r->ips[i].gateway) ||
		    ipc_get_u32(m, &u) == -1)
			return -1;
		r->ips[i].iface = (int32_t)u;
	}
	if (ipc_get_count(m, &r->n_routes, CNI_MAX_ROUTES) == -1)
		return -1;
	for (i = 0; i < r->n_routes; i++)
		if (GETS(m, r->routes[i].dst) || GETS(m, r->routes[i].gw))
			return -1;
	return 0;
}

int
netwire_get_result(struct ipc_msg *m, struct cni_result *r)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	if (ipc_get_u32(m, &r->is_error) == -1 ||
	    ipc_get_u32(m, &r->err_code) == -1 || GETS(m, r->err_msg) ||
	    GETS(m, r->version) || get_lists(m, r) == -1 ||
	    ipc_get_count(m, &r->n_ns, CNI_MAX_DNS) == -1)
		goto bad;
	for (i = 0; i < r->n_ns; i++)
		if (GETS(m, r->nameservers[i]))
			goto bad;
	if (GETS(m, r->domain) ||
	    ipc_get_count(m, &r->n_search, CNI_MAX_DNS) == -1)
		goto bad;
	for (i = 0; i < r->n_search; i++)
		if (GETS(m, r->search[i]))
			goto bad;
	if (ipc_get_count(m, &r->n_opts, CNI_MAX_DNS) == -1)
		goto bad;
	for (i = 0; i < r->n_opts; i++)
		if (GETS(m, r->options[i]))
			goto bad;
	if (cni_result_check(r))
		return 0;
bad:
	memset(r, 0, sizeof(*r));
	return -1;
}
