/*
 * The text of a pod's /etc/resolv.conf and /etc/hosts and its hostname,
 * as the kubelet makes them (pkg/kubelet/network/dns/dns.go GetPodDNS,
 * kubelet_pods.go makeHostsFile, GeneratePodHostNameAndDomain and
 * GetNodenameForKernel) and a CRI runtime writes them.  Pure: no I/O,
 * the node's files come in as text; infra.c writes the results.  Every
 * string returned is malloc'd, the caller's to free; NULL is out of
 * memory.
 */
#ifndef AGENTD_EXECUTOR_PODFILES_H
#define AGENTD_EXECUTOR_PODFILES_H

#include <stddef.h>

struct pod;

#define PODFILES_HOSTNAME_MAX	63	/* the kubelet's hostnameMaxLen */
#define PODFILES_FQDN_MAX	64	/* the kernel's nodename field */
#define PODFILES_DOMAIN_MAX	320	/* "<sub>.<ns>.svc.<clusterDomain>" */
#define PODFILES_WHY_MAX	256

/* getPodDNSType: where a pod's resolver configuration starts from */
enum podfiles_dns {
	PODFILES_DNS_CLUSTER,	/* clusterDNS and the cluster's searches */
	PODFILES_DNS_HOST,	/* the node's resolv.conf */
	PODFILES_DNS_NONE	/* nothing but spec.dnsConfig */
};

/*
 * The effective type: ClusterFirst on a hostNetwork pod is Default, and
 * a cluster type without clusterDNS falls back to Default with the
 * kubelet's MissingClusterDNS warning (*missing set; may be NULL).
 */
enum podfiles_dns podfiles_dns_type(const struct pod *, int have_cluster_dns,
	    int *missing);

/*
 * resolv.conf: cluster_dns "a,b" ("" none), cluster_domain, host the
 * node's resolv.conf text (NULL: none).  warn gets the kubelet's
 * DNSConfigForming message when limits cut the result, else "" (warn
 * may be NULL with warnlen 0).
 */
char	*podfiles_resolv_conf(const struct pod *, const char *cluster_dns,
	    const char *cluster_domain, const char *host, char *warn,
	    size_t warnlen);

/*
 * The pod's short hostname (spec.hostname or its name, at most 63),
 * its domain ("<subdomain>.<ns>.svc.<clusterDomain>" or "") and the
 * kernel's nodename (the FQDN with setHostnameAsFQDN, else the short
 * name).  -1 with the kubelet's reason in why.
 */
int	 podfiles_hostname(const struct pod *, const char *cluster_domain,
	    char host[PODFILES_HOSTNAME_MAX + 1],
	    char domain[PODFILES_DOMAIN_MAX + 1],
	    char nodename[PODFILES_FQDN_MAX + 1], char why[PODFILES_WHY_MAX]);

/*
 * /etc/hosts.  hostNetwork pods: the node's file (node_hosts) under the
 * kubelet's host-network header.  Others: the managed file, with a
 * "<ip>\t<fqdn>\t<hostname>" line for each of pod_ips ("a,b"; NULL or
 * "" while the pod has no address yet).  hostAliases last, either way.
 */
char	*podfiles_hosts(const struct pod *, const char *pod_ips,
	    const char *hostname, const char *domain, const char *node_hosts);

#endif
