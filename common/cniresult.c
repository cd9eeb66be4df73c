/*
 * A CNI plugin's result (include/cninet.h): decoded in agentd-netparse
 * only, checked again field by field where the executor receives it, and
 * written back as canonical JSON for the next plugin's prevResult.  The
 * decoder keeps what the spec's result types have (interfaces, ips,
 * routes, dns) within the CNI_MAX_* bounds and refuses anything else
 * malformed: a plugin's stdout is an untrusted input.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cninet.h"

static int
res_err(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -1;
}

/* "" for an absent member; -1 for a non-string or one too long */
static int
res_str(const cJSON *o, const char *key, char *dst, size_t len, int need)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	dst[0] = '\0';
	if (v == NULL)
		return need ? -1 : 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len ||
	    (need && v->valuestring[0] == '\0'))
		return -1;
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int
addr_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* "10.1.2.3/24", "fd00::5/64": an address, a prefix in range */
static int
cidr_ok(const char *s)
{
	char a[CNI_MAX_ADDR + 1], *slash, *end;
	unsigned char buf[16];
	long pfx;
	int v6;

	if (strlen(s) >= sizeof(a))
		return 0;
	memcpy(a, s, strlen(s) + 1);
	if ((slash = strchr(a, '/')) == NULL || slash[1] == '\0')
		return 0;
	*slash++ = '\0';
	v6 = strchr(a, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, buf) != 1 ||
	    slash[0] < '0' || slash[0] > '9')
		return 0;
	pfx = strtol(slash, &end, 10);
	return *end == '\0' && pfx >= 0 && pfx <= (v6 ? 128 : 32) &&
	    strlen(slash) <= 3;
}

/* printable, no quote or backslash: safe in any log line or file */
static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
res_list(const cJSON *o, const char *key, const cJSON **arr, uint32_t max)
{
	*arr = cJSON_GetObjectItemCaseSensitive(o, key);
	if (*arr == NULL)
		return 0;
	if (!cJSON_IsArray(*arr) || cJSON_GetArraySize(*arr) > (int)max)
		return -1;
	return cJSON_GetArraySize(*arr);
}

static int
res_ifaces(const cJSON *o, struct cni_result *r)
{
	const cJSON *arr, *e;
	int n;

	if ((n = res_list(o, "interfaces", &arr, CNI_MAX_IFACES)) <= 0)
		return n;
	cJSON_ArrayForEach(e, arr) {
		struct cni_iface *f = &r->ifaces[r->n_ifaces++];

		if (!cJSON_IsObject(e) ||
		    res_str(e, "name", f->name, sizeof(f->name), 1) == -1 ||
		    res_str(e, "mac", f->mac, sizeof(f->mac), 0) == -1 ||
		    res_str(e, "sandbox", f->sandbox, sizeof(f->sandbox),
		    0) == -1)
			return -1;
	}
	return 0;
}

static int
res_ips(const cJSON *o, struct cni_result *r)
{
	const cJSON *arr, *e, *ifc;
	int n;

	if ((n = res_list(o, "ips", &arr, CNI_MAX_IPS)) <= 0)
		return n;
	cJSON_ArrayForEach(e, arr) {
		struct cni_ip *ip = &r->ips[r->n_ips++];

		if (!cJSON_IsObject(e) || res_str(e, "address", ip->address,
		    sizeof(ip->address), 1) == -1 || res_str(e, "gateway",
		    ip->gateway, sizeof(ip->gateway), 0) == -1)
			return -1;
		ip->iface = -1;
		if ((ifc = cJSON_GetObjectItemCaseSensitive(e,
		    "interface")) != NULL) {
			if (!cJSON_IsNumber(ifc) || ifc->valuedouble < 0 ||
			    ifc->valuedouble >= CNI_MAX_IFACES ||
			    ifc->valuedouble != (int)ifc->valuedouble)
				return -1;
			ip->iface = (int32_t)ifc->valuedouble;
		}
	}
	return 0;
}

static int
res_routes(const cJSON *o, struct cni_result *r)
{
	const cJSON *arr, *e;
	int n;

	if ((n = res_list(o, "routes", &arr, CNI_MAX_ROUTES)) <= 0)
		return n;
	cJSON_ArrayForEach(e, arr) {
		struct cni_route *rt = &r->routes[r->n_routes++];

		if (!cJSON_IsObject(e) || res_str(e, "dst", rt->dst,
		    sizeof(rt->dst), 1) == -1 || res_str(e, "gw", rt->gw,
		    sizeof(rt->gw), 0) == -1)
			return -1;
	}
	return 0;
}

static int
res_strlist(const cJSON *o, const char *key, char *dst, size_t width,
    uint32_t *n)
{
	const cJSON *arr, *e;
	int cnt;

	if ((cnt = res_list(o, key, &arr, CNI_MAX_DNS)) <= 0)
		return cnt;
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || strlen(e->valuestring) >= width)
			return -1;
		memcpy(dst + (*n)++ * width, e->valuestring,
		    strlen(e->valuestring) + 1);
	}
	return 0;
}

static int
res_dns(const cJSON *o, struct cni_result *r)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "dns");

	if (d == NULL)
		return 0;
	if (!cJSON_IsObject(d) ||
	    res_strlist(d, "nameservers", &r->nameservers[0][0],
	    sizeof(r->nameservers[0]), &r->n_ns) == -1 ||
	    res_str(d, "domain", r->domain, sizeof(r->domain), 0) == -1 ||
	    res_strlist(d, "search", &r->search[0][0], sizeof(r->search[0]),
	    &r->n_search) == -1 ||
	    res_strlist(d, "options", &r->options[0][0],
	    sizeof(r->options[0]), &r->n_opts) == -1)
		return -1;
	return 0;
}

/* the spec's error object: {"cniVersion", "code", "msg", "details"} */
static int
res_error(const cJSON *o, struct cni_result *r)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "msg");
	size_t n;

	if (!cJSON_IsNumber(code) || code->valuedouble < 0 ||
	    code->valuedouble > UINT32_MAX)
		return -1;
	r->is_error = 1;
	r->err_code = (uint32_t)code->valuedouble;
	if (cJSON_IsString(msg)) {
		/* a long message is cut, not refused: it is what we report */
		n = strlen(msg->valuestring);
		if (n >= sizeof(r->err_msg))
			n = sizeof(r->err_msg) - 1;
		memcpy(r->err_msg, msg->valuestring, n);
		r->err_msg[n] = '\0';
		while (n > 0 && ((unsigned char)r->err_msg[n] & 0xc0) == 0x80)
			r->err_msg[--n] = '\0';	/* no cut UTF-8 sequence */
		if (n > 0 && (unsigned char)r->err_msg[n - 1] >= 0xc0)
			r->err_msg[--n] = '\0';
		for (n = 0; r->err_msg[n] != '\0'; n++)
			if ((unsigned char)r->err_msg[n] < 0x20)
				r->err_msg[n] = ' ';
	}
	return 0;
}

int
cni_result_parse(const char *buf, size_t len, struct cni_result *r,
    char *why, size_t wlen)
{
	cJSON *o;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (len > CNI_RESULT_MAX)
		return res_err(why, wlen, "result longer than 64 KiB");
	if ((o = cJSON_ParseWithLength(buf, len)) == NULL ||
	    !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return res_err(why, wlen, "result is not a JSON object");
	}
	if (res_str(o, "cniVersion", r->version, sizeof(r->version), 0) == -1)
		ret = res_err(why, wlen, "bad cniVersion");
	else if (cJSON_GetObjectItemCaseSensitive(o, "code") != NULL) {
		if (res_error(o, r) == -1)
			ret = res_err(why, wlen, "bad error object");
	} else if (res_ifaces(o, r) == -1 || res_ips(o, r) == -1 ||
	    res_routes(o, r) == -1 || res_dns(o, r) == -1)
		ret = res_err(why, wlen, "malformed result");
	cJSON_Delete(o);
	if (ret == 0 && !cni_result_check(r)) {
		memset(r, 0, sizeof(*r));
		ret = res_err(why, wlen, "a malformed address or name");
	}
	return ret;
}

static int
nul_in(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

#define STR_OK(s)	(nul_in((s), sizeof(s)) && text_ok(s))

int
cni_result_check(const struct cni_result *r)
{
	uint32_t i;

	if (r->is_error > 1 || !STR_OK(r->err_msg) || !STR_OK(r->version) ||
	    r->n_ifaces > CNI_MAX_IFACES || r->n_ips > CNI_MAX_IPS ||
	    r->n_routes > CNI_MAX_ROUTES || r->n_ns > CNI_MAX_DNS ||
	    r->n_search > CNI_MAX_DNS || r->n_opts > CNI_MAX_DNS ||
	    !STR_OK(r->domain))
		return 0;
	for (i = 0; i < r->n_ifaces; i++)
		if (!STR_OK(r->ifaces[i].name) || r->ifaces[i].name[0] == '\0' ||
		    !STR_OK(r->ifaces[i].mac) || !STR_OK(r->ifaces[i].sandbox))
			return 0;
	for (i = 0; i < r->n_ips; i++)
		if (!nul_in(r->ips[i].address, sizeof(r->ips[i].address)) ||
		    !cidr_ok(r->ips[i].address) ||
		    !nul_in(r->ips[i].gateway, sizeof(r->ips[i].gateway)) ||
		    (r->ips[i].gateway[0] && !addr_ok(r->ips[i].gateway)) ||
		    r->ips[i].iface < -1 ||
		    r->ips[i].iface >= (int32_t)r->n_ifaces)
			return 0;
	for (i = 0; i < r->n_routes; i++)
		if (!nul_in(r->routes[i].dst, sizeof(r->routes[i].dst)) ||
		    !cidr_ok(r->routes[i].dst) ||
		    !nul_in(r->routes[i].gw, sizeof(r->routes[i].gw)) ||
		    (r->routes[i].gw[0] && !addr_ok(r->routes[i].gw)))
			return 0;
	for (i = 0; i < r->n_ns; i++)
		if (!nul_in(r->nameservers[i], sizeof(r->nameservers[i])) ||
		    !addr_ok(r->nameservers[i]))
			return 0;
	for (i = 0; i < r->n_search; i++)
		if (!STR_OK(r->search[i]))
			return 0;
	for (i = 0; i < r->n_opts; i++)
		if (!STR_OK(r->options[i]))
			return 0;
	return 1;
}

static int
add_str(cJSON *o, const char *key, const char *v)
{
	return v[0] == '\0' || cJSON_AddStringToObject(o, key, v) != NULL;
}

static cJSON *
str_array(const char *base, size_t width, uint32_t n)
{
	cJSON *a = cJSON_CreateArray();
	uint32_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(base +
		    i * width))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static int
json_lists(cJSON *o, const struct cni_result *r)
{
	cJSON *a, *e;
	uint32_t i;

	if ((a = cJSON_AddArrayToObject(o, "interfaces")) == NULL)
		return -1;
	for (i = 0; i < r->n_ifaces; i++)
		if ((e = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(a, e) ||
		    !add_str(e, "name", r->ifaces[i].name) ||
		    !add_str(e, "mac", r->ifaces[i].mac) ||
		    !add_str(e, "sandbox", r->ifaces[i].sandbox))
			return -1;
	if ((a = cJSON_AddArrayToObject(o, "ips")) == NULL)
		return -1;
	for (i = 0; i < r->n_ips; i++)
		if ((e = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(a, e) ||
		    !add_str(e, "address", r->ips[i].address) ||
		    !add_str(e, "gateway", r->ips[i].gateway) ||
		    (r->ips[i].iface >= 0 && !cJSON_AddNumberToObject(e,
		    "interface", r->ips[i].iface)))
			return -1;
	if ((a = cJSON_AddArrayToObject(o, "routes")) == NULL)
		return -1;
	for (i = 0; i < r->n_routes; i++)
		if ((e = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(a, e) ||
		    !add_str(e, "dst", r->routes[i].dst) ||
		    !add_str(e, "gw", r->routes[i].gw))
			return -1;
	return 0;
}

cJSON *
cni_result_json(const struct cni_result *r)
{
	cJSON *o = cJSON_CreateObject(), *d;

	if (o == NULL || !add_str(o, "cniVersion", r->version) ||
	    json_lists(o, r) == -1 ||
	    (d = cJSON_AddObjectToObject(o, "dns")) == NULL ||
	    (r->n_ns && !cJSON_AddItemToObject(d, "nameservers",
	    str_array(r->nameservers[0], sizeof(r->nameservers[0]),
	    r->n_ns))) || !add_str(d, "domain", r->domain) ||
	    (r->n_search && !cJSON_AddItemToObject(d, "search",
	    str_array(r->search[0], sizeof(r->search[0]), r->n_search))) ||
	    (r->n_opts && !cJSON_AddItemToObject(d, "options",
	    str_array(r->options[0], sizeof(r->options[0]), r->n_opts)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
