/*
 * A pod's /etc/resolv.conf, /etc/hosts and hostname as the kubelet makes
 * them (podfiles.h).  The resolver configuration is built the kubelet's
 * way -- a base (cluster, host or none), spec.dnsConfig appended with
 * duplicates dropped, then the limits -- and written in the form CRI
 * runtimes give it (containerd's parseDNSOptions): "search", then one
 * "nameserver" line per server, then "options".
 *
 * Two choices where the kubelet leaves the result to chance or to a
 * nil pointer the model does not keep: merged options keep the order in
 * which their names first appear (the kubelet's come out of a Go map in
 * random order), and spec.dnsConfig is merged when it holds anything
 * (an empty "dnsConfig: {}" changes nothing here; in the kubelet it
 * drops duplicate host nameservers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "podfiles.h"
#include "strbuf.h"

#define PF_LIST_MAX		1024	/* entries of a node's resolv.conf */
#define PF_DNS_SERVERS		3	/* validation.MaxDNSNameservers */
#define PF_DNS_SEARCHES		32	/* MaxDNSSearchPaths (expanded) */
#define PF_DNS_SEARCH_CHARS	2048	/* MaxDNSSearchListChars */
#define PF_DNS_SEARCH_ONE	253	/* DNS1123SubdomainMaxLength */

static const char hosts_header[] = "# Kubernetes-managed hosts file.\n";
static const char hosts_header_hostnet[] =
    "# Kubernetes-managed hosts file (host network).\n";

/* ---- the resolver configuration ---- */

struct dnscfg {
	struct strlist	 servers;
	struct strlist	 searches;
	struct strlist	 options;	/* "name" or "name:value" */
	int		 err;
};

static void
dc_add(struct dnscfg *d, struct strlist *l, const char *s, size_t n)
{
	char *tmp;

	if (d->err)
		return;
	if ((tmp = strndup(s, n)) == NULL || strlist_add(l, tmp,
	    PF_LIST_MAX) == -1)
		d->err = 1;
	free(tmp);
}

static int
has(const struct strlist *l, const char *s)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* omitDuplicates over a list and what is appended to it */
static void
dc_add_unique(struct dnscfg *d, struct strlist *l, const char *s)
{
	if (!has(l, s))
		dc_add(d, l, s, strlen(s));
}

static void
dc_free(struct dnscfg *d)
{
	strlist_free(&d->servers);
	strlist_free(&d->searches);
	strlist_free(&d->options);
}

/* the next whitespace-separated field of [*p, end) */
static int
next_field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\v' || *s == '\f'))
		s++;
	if (s == end) {
		*p = s;
		return 0;
	}
	*f = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r' &&
	    *s != '\v' && *s != '\f')
		s++;
	*n = (size_t)(s - *f);
	*p = s;
	return 1;
}

static int
keyword(const char *f, size_t n, const char *kw)
{
	return n == strlen(kw) && memcmp(f, kw, n) == 0;
}

/*
 * parseResolvConf: "nameserver" lines accumulate, the last "search" and
 * the last "options" line win, a search path loses a trailing dot.
 */
static void
parse_line(struct dnscfg *d, const char *p, const char *end)
{
	const char *f;
	size_t n;

	if (!next_field(&p, end, &f, &n) || *f == '#')
		return;
	if (keyword(f, n, "nameserver")) {
		if (next_field(&p, end, &f, &n))
			dc_add(d, &d->servers, f, n);
	} else if (keyword(f, n, "search")) {
		strlist_free(&d->searches);
		while (next_field(&p, end, &f, &n))
			dc_add(d, &d->searches, f, f[n - 1] == '.' ? n - 1 :
			    n);
	} else if (keyword(f, n, "options")) {
		strlist_free(&d->options);
		while (next_field(&p, end, &f, &n))
			dc_add(d, &d->options, f, n);
	}
}

static void
parse_resolv(struct dnscfg *d, const char *text)
{
	const char *p = text, *nl;

	while (p != NULL && *p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		parse_line(d, p, nl);
		p = *nl ? nl + 1 : nl;
	}
}

enum podfiles_dns
podfiles_dns_type(const struct pod *p, int have_cluster_dns, int *missing)
{
	enum podfiles_dns t;

	if (missing != NULL)
		*missing = 0;
	switch (p->dns_policy) {
	case DNS_NONE:
		return PODFILES_DNS_NONE;
	case DNS_DEFAULT:
		return PODFILES_DNS_HOST;
	case DNS_CLUSTER_FIRST:
		/* ClusterFirst on the host's network is Default */
		t = p->host_network ? PODFILES_DNS_HOST : PODFILES_DNS_CLUSTER;
		break;
	default:	/* ClusterFirstWithHostNet */
		t = PODFILES_DNS_CLUSTER;
		break;
	}
	if (t == PODFILES_DNS_CLUSTER && !have_cluster_dns) {
		if (missing != NULL)
			*missing = 1;
		return PODFILES_DNS_HOST;
	}
	return t;
}

/* the cluster's base: its servers, its searches before the host's */
static void
cluster_base(struct dnscfg *d, const struct pod *p, const char *cluster_dns,
    const char *domain)
{
	struct strlist host = d->searches;
	char s[PODFILES_DOMAIN_MAX + 1];
	const char *c, *e;
	uint32_t i;

	strlist_free(&d->servers);
	for (c = cluster_dns; *c != '\0'; c = *e ? e + 1 : e) {
		if ((e = strchr(c, ',')) == NULL)
			e = c + strlen(c);
		dc_add(d, &d->servers, c, (size_t)(e - c));
	}
	memset(&d->searches, 0, sizeof(d->searches));
	if (domain[0] != '\0') {
		snprintf(s, sizeof(s), "%s.svc.%s", p->namespace ?
		    p->namespace : "default", domain);
		dc_add_unique(d, &d->searches, s);
		snprintf(s, sizeof(s), "svc.%s", domain);
		dc_add_unique(d, &d->searches, s);
		dc_add_unique(d, &d->searches, domain);
	}
	for (i = 0; i < host.n; i++)
		if (domain[0] != '\0')
			dc_add_unique(d, &d->searches, host.v[i]);
		else
			dc_add(d, &d->searches, host.v[i], strlen(host.v[i]));
	strlist_free(&host);
	strlist_free(&d->options);
	dc_add(d, &d->options, "ndots:5", 7);
}

/* mergeDNSOptions: a name given again takes the later value */
static void
merge_option(struct dnscfg *d, const char *name, const char *value)
{
	char opt[2 * POD_MAX_DNS_OPTION + 2], *old;
	size_t n = strlen(name);
	uint32_t i;

	snprintf(opt, sizeof(opt), "%s%s%s", name, value[0] ? ":" : "",
	    value);
	for (i = 0; i < d->options.n; i++) {
		old = d->options.v[i];
		if (strncmp(old, name, n) == 0 && (old[n] == '\0' ||
		    old[n] == ':')) {
			if ((d->options.v[i] = strdup(opt)) == NULL) {
				d->options.v[i] = old;
				d->err = 1;
				return;
			}
			free(old);
			return;
		}
	}
	dc_add(d, &d->options, opt, strlen(opt));
}

/* the host's or the cluster's options as a map first: dedup by name */
static void
dedup_options(struct dnscfg *d)
{
	struct strlist old = d->options;
	char name[2 * POD_MAX_DNS_OPTION + 2], *colon;
	uint32_t i;

	memset(&d->options, 0, sizeof(d->options));
	for (i = 0; i < old.n; i++) {
		snprintf(name, sizeof(name), "%s", old.v[i]);
		if ((colon = strchr(name, ':')) != NULL)
			*colon++ = '\0';
		merge_option(d, name, colon ? colon : "");
	}
	strlist_free(&old);
}

/* appendDNSConfig */
static void
append_dns_config(struct dnscfg *d, const struct pod_dns_config *c)
{
	struct strlist s = d->servers, q = d->searches;
	uint32_t i;

	if (c->nameservers.n == 0 && c->searches.n == 0 && c->n_options == 0)
		return;
	memset(&d->servers, 0, sizeof(d->servers));
	memset(&d->searches, 0, sizeof(d->searches));
	for (i = 0; i < s.n; i++)
		dc_add_unique(d, &d->servers, s.v[i]);
	for (i = 0; i < c->nameservers.n; i++)
		dc_add_unique(d, &d->servers, c->nameservers.v[i]);
	for (i = 0; i < q.n; i++)
		dc_add_unique(d, &d->searches, q.v[i]);
	for (i = 0; i < c->searches.n; i++)
		dc_add_unique(d, &d->searches, c->searches.v[i]);
	strlist_free(&s);
	strlist_free(&q);
	dedup_options(d);
	for (i = 0; i < c->n_options; i++)
		merge_option(d, c->options[i].key, c->options[i].value ?
		    c->options[i].value : "");
}

static size_t
joined_len(const struct strlist *l)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + (i > 0);
	return n;
}

static void
truncate_list(struct strlist *l, uint32_t n)
{
	while (l->n > n)
		free(l->v[--l->n]);
}

static void
join(char *buf, size_t len, const struct strlist *l)
{
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < l->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", l->v[i]);
}

/* formDNSSearchFitsLimits: 1 if anything was cut */
static int
fit_searches(struct strlist *l)
{
	uint32_t i, k = 0;
	int cut = 0;

	if (l->n > PF_DNS_SEARCHES) {
		truncate_list(l, PF_DNS_SEARCHES);
		cut = 1;
	}
	/* glibc 2.28 aborts on a search path over 255 characters */
	for (i = 0; i < l->n; i++) {
		if (strlen(l->v[i]) > PF_DNS_SEARCH_ONE) {
			free(l->v[i]);
			cut = 1;
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
	while (l->n > 0 && joined_len(l) > PF_DNS_SEARCH_CHARS) {
		truncate_list(l, l->n - 1);
		cut = 1;
	}
	return cut;
}

static void
fit_limits(struct dnscfg *d, char *warn, size_t warnlen)
{
	char line[PF_DNS_SEARCH_CHARS + 64];

	if (warnlen > 0)
		warn[0] = '\0';
	if (d->servers.n > PF_DNS_SERVERS) {
		truncate_list(&d->servers, PF_DNS_SERVERS);
		join(line, sizeof(line), &d->servers);
		snprintf(warn, warnlen, "Nameserver limits were exceeded, some "
		    "nameservers have been omitted, the applied nameserver "
		    "line is: %s", line);
	}
	if (fit_searches(&d->searches)) {
		join(line, sizeof(line), &d->searches);
		snprintf(warn, warnlen, "Search Line limits were exceeded, "
		    "some search paths have been omitted, the applied search "
		    "line is: %s", line);
	}
}

static void
put_list(struct strbuf *b, const char *kw, const struct strlist *l)
{
	uint32_t i;

	if (l->n == 0)
		return;
	strbuf_str(b, kw);
	for (i = 0; i < l->n; i++) {
		strbuf_str(b, " ");
		strbuf_str(b, l->v[i]);
	}
	strbuf_str(b, "\n");
}

char *
podfiles_resolv_conf(const struct pod *p, const char *cluster_dns,
    const char *cluster_domain, const char *host, char *warn,
    size_t warnlen)
{
	struct dnscfg d;
	struct strbuf b = { 0 };
	uint32_t i;

	memset(&d, 0, sizeof(d));
	if (cluster_dns == NULL)
		cluster_dns = "";
	switch (podfiles_dns_type(p, cluster_dns[0] != '\0', NULL)) {
	case PODFILES_DNS_NONE:
		break;
	case PODFILES_DNS_CLUSTER:
		parse_resolv(&d, host);
		cluster_base(&d, p, cluster_dns, cluster_domain ?
		    cluster_domain : "");
		break;
	case PODFILES_DNS_HOST:
		parse_resolv(&d, host);
		break;
	}
	append_dns_config(&d, &p->dns_config);
	fit_limits(&d, warn, warnlen);
	if (d.err) {
		dc_free(&d);
		return NULL;
	}
	put_list(&b, "search", &d.searches);
	for (i = 0; i < d.servers.n; i++) {
		strbuf_str(&b, "nameserver ");
		strbuf_str(&b, d.servers.v[i]);
		strbuf_str(&b, "\n");
	}
	put_list(&b, "options", &d.options);
	dc_free(&d);
	return strbuf_finish(&b);
}

/* ---- the hostname ---- */

int
podfiles_hostname(const struct pod *p, const char *cluster_domain,
    char host[PODFILES_HOSTNAME_MAX + 1], char domain[PODFILES_DOMAIN_MAX + 1],
    char nodename[PODFILES_FQDN_MAX + 1], char why[PODFILES_WHY_MAX])
{
	const char *src = p->hostname != NULL && p->hostname[0] != '\0' ?
	    p->hostname : p->name != NULL ? p->name : "";
	char fqdn[PODFILES_HOSTNAME_MAX + PODFILES_DOMAIN_MAX + 2];
	size_t n = strlen(src);

	host[0] = domain[0] = nodename[0] = '\0';
	/* truncatePodHostnameIfNeeded: 63, without a trailing '-' or '.' */
	if (n > PODFILES_HOSTNAME_MAX)
		n = PODFILES_HOSTNAME_MAX;
	while (n > 0 && (src[n - 1] == '-' || src[n - 1] == '.'))
		n--;
	if (n == 0) {
		snprintf(why, PODFILES_WHY_MAX, "hostname for pod %s was "
		    "invalid", p->name ? p->name : "");
		return -1;
	}
	memcpy(host, src, n);
	host[n] = '\0';
	if (p->subdomain != NULL && p->subdomain[0] != '\0')
		snprintf(domain, PODFILES_DOMAIN_MAX + 1, "%s.%s.svc.%s",
		    p->subdomain, p->namespace ? p->namespace : "default",
		    cluster_domain ? cluster_domain : "");
	/* GetNodenameForKernel */
	if (!p->set_hostname_fqdn || domain[0] == '\0') {
		memcpy(nodename, host, n + 1);
		return 0;
	}
	snprintf(fqdn, sizeof(fqdn), "%s.%s", host, domain);
	if (strlen(fqdn) > PODFILES_FQDN_MAX) {
		snprintf(why, PODFILES_WHY_MAX, "failed to construct FQDN from "
		    "pod hostname and cluster domain, FQDN %.100s is too long "
		    "(%d characters is the max, %zu characters requested)",
		    fqdn, PODFILES_FQDN_MAX, strlen(fqdn));
		return -1;
	}
	memcpy(nodename, fqdn, strlen(fqdn) + 1);
	return 0;
}

/* ---- /etc/hosts ---- */

/* hostsEntriesFromHostAliases: one line per alias, names tab-separated */
static void
put_aliases(struct strbuf *b, const struct pod *p)
{
	const struct host_alias *a;
	uint32_t i, j;

	if (p->n_host_aliases == 0)
		return;
	strbuf_str(b, "\n# Entries added by HostAliases.\n");
	for (i = 0; i < p->n_host_aliases; i++) {
		a = &p->host_aliases[i];
		strbuf_str(b, a->ip ? a->ip : "");
		strbuf_str(b, "\t");
		for (j = 0; j < a->hostnames.n; j++) {
			if (j > 0)
				strbuf_str(b, "\t");
			strbuf_str(b, a->hostnames.v[j]);
		}
		strbuf_str(b, "\n");
	}
}

/* "<ip>\t<host>.<domain>\t<host>" or "<ip>\t<host>" per pod IP */
static void
put_pod_ips(struct strbuf *b, const char *ips, const char *host,
    const char *domain)
{
	const char *c, *e;

	for (c = ips; c != NULL && *c != '\0'; c = *e ? e + 1 : e) {
		if ((e = strchr(c, ',')) == NULL)
			e = c + strlen(c);
		strbuf_add(b, c, (size_t)(e - c));
		strbuf_str(b, "\t");
		if (domain != NULL && domain[0] != '\0') {
			strbuf_str(b, host);
			strbuf_str(b, ".");
			strbuf_str(b, domain);
			strbuf_str(b, "\t");
		}
		strbuf_str(b, host);
		strbuf_str(b, "\n");
	}
}

char *
podfiles_hosts(const struct pod *p, const char *pod_ips, const char *hostname,
    const char *domain, const char *node_hosts)
{
	struct strbuf b = { 0 };

	if (p->host_network) {
		strbuf_str(&b, hosts_header_hostnet);
		strbuf_str(&b, node_hosts ? node_hosts : "");
	} else {
		strbuf_str(&b, hosts_header);
		strbuf_str(&b, "127.0.0.1\tlocalhost\n"
		    "::1\tlocalhost ip6-localhost ip6-loopback\n"
		    "fe00::0\tip6-localnet\n"
		    "fe00::0\tip6-mcastprefix\n"
		    "fe00::1\tip6-allnodes\n"
		    "fe00::2\tip6-allrouters\n");
		put_pod_ips(&b, pod_ips, hostname, domain);
	}
	put_aliases(&b, p);
	return strbuf_finish(&b);
}
