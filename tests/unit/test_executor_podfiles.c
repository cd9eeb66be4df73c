/*
 * podfiles.c: a pod's resolv.conf, hosts and hostname as the kubelet
 * makes them, for each dnsPolicy, with dnsConfig merged, the limits, the
 * hostname rules and both kinds of /etc/hosts.
 */
#include <stdint.h>

#include "pod.h"
#include "tap.h"
#include "../../workers/executor/podfiles.h"

#define HOST_RESOLV	"# generated\nnameserver 192.0.2.53\n" \
			"nameserver 192.0.2.54\nsearch corp.example. lab.example\n" \
			"options timeout:2 attempts:3\n"
#define CDNS		"10.96.0.10"
#define CDOM		"cluster.local"
#define LOCALHOST	"# Kubernetes-managed hosts file.\n" \
			"127.0.0.1\tlocalhost\n" \
			"::1\tlocalhost ip6-localhost ip6-loopback\n" \
			"fe00::0\tip6-localnet\n" \
			"fe00::0\tip6-mcastprefix\n" \
			"fe00::1\tip6-allnodes\n" \
			"fe00::2\tip6-allrouters\n"

static char *
sdup(const char *s)
{
	char *d;

	REQUIRE((d = strdup(s)) != NULL);
	return d;
}

static void
mkpod(struct pod *p, const char *name, uint8_t policy)
{
	pod_init(p);
	p->namespace = sdup("team-a");
	p->name = sdup(name);
	p->uid = sdup("u1");
	p->dns_policy = policy;
}

static void
add_option(struct pod *p, const char *name, const char *value)
{
	struct pod_dns_config *d = &p->dns_config;

	REQUIRE((d->options = reallocarray(d->options, d->n_options + 1,
	    sizeof(*d->options))) != NULL);
	d->options[d->n_options].key = sdup(name);
	d->options[d->n_options].value = sdup(value);
	d->n_options++;
}

static char *
resolv(const struct pod *p, const char *cdns, char *warn, size_t len)
{
	char *t = podfiles_resolv_conf(p, cdns, CDOM, HOST_RESOLV, warn, len);

	REQUIRE(t != NULL);
	return t;
}

TEST(test_cluster_first_with_cluster_dns)
{
	struct pod p;
	char warn[512], *t;
	int missing;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	CHECK(podfiles_dns_type(&p, 1, &missing) == PODFILES_DNS_CLUSTER);
	CHECK(missing == 0);
	t = resolv(&p, CDNS ",10.96.0.11", warn, sizeof(warn));
	CHECK_STR(t, "search team-a.svc.cluster.local svc.cluster.local "
	    "cluster.local corp.example lab.example\n"
	    "nameserver 10.96.0.10\nnameserver 10.96.0.11\n"
	    "options ndots:5\n");
	CHECK_STR(warn, "");
	free(t);
	pod_free(&p);
}

TEST(test_cluster_first_without_cluster_dns_is_default)
{
	struct pod p;
	char warn[512], *t;
	int missing;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	CHECK(podfiles_dns_type(&p, 0, &missing) == PODFILES_DNS_HOST);
	CHECK(missing == 1);
	t = resolv(&p, "", warn, sizeof(warn));
	CHECK_STR(t, "search corp.example lab.example\n"
	    "nameserver 192.0.2.53\nnameserver 192.0.2.54\n"
	    "options timeout:2 attempts:3\n");
	free(t);
	/* ClusterFirstWithHostNet falls back the same way */
	p.dns_policy = DNS_CLUSTER_FIRST_HOST_NET;
	CHECK(podfiles_dns_type(&p, 0, &missing) == PODFILES_DNS_HOST);
	CHECK(missing == 1);
	pod_free(&p);
}

TEST(test_host_network_cluster_first_is_default)
{
	struct pod p;
	char warn[512], *t;
	int missing;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	p.host_network = 1;
	/* no fallback warning: this is the policy's meaning, not a lack */
	CHECK(podfiles_dns_type(&p, 1, &missing) == PODFILES_DNS_HOST);
	CHECK(missing == 0);
	t = resolv(&p, CDNS, warn, sizeof(warn));
	CHECK(strncmp(t, "search corp.example lab.example\n", 32) == 0);
	free(t);
	p.dns_policy = DNS_CLUSTER_FIRST_HOST_NET;
	CHECK(podfiles_dns_type(&p, 1, &missing) == PODFILES_DNS_CLUSTER);
	t = resolv(&p, CDNS, warn, sizeof(warn));
	CHECK(strstr(t, "nameserver 10.96.0.10\n") != NULL);
	CHECK(strstr(t, "192.0.2.53") == NULL);
	free(t);
	pod_free(&p);
}

TEST(test_default_with_dns_config_merged)
{
	struct pod p;
	char warn[512], *t;

	mkpod(&p, "web", DNS_DEFAULT);
	REQUIRE(strlist_add(&p.dns_config.nameservers, "192.0.2.53", 3) == 0);
	REQUIRE(strlist_add(&p.dns_config.nameservers, "198.51.100.1", 3) ==
	    0);
	REQUIRE(strlist_add(&p.dns_config.searches, "lab.example", 32) == 0);
	REQUIRE(strlist_add(&p.dns_config.searches, "extra.example", 32) ==
	    0);
	add_option(&p, "timeout", "5");
	add_option(&p, "edns0", "");
	t = resolv(&p, CDNS, warn, sizeof(warn));
	/* duplicates dropped, a repeated option takes the pod's value */
	CHECK_STR(t, "search corp.example lab.example extra.example\n"
	    "nameserver 192.0.2.53\nnameserver 192.0.2.54\n"
	    "nameserver 198.51.100.1\n"
	    "options timeout:5 attempts:3 edns0\n");
	CHECK_STR(warn, "");
	free(t);
	pod_free(&p);
}

TEST(test_none_is_dns_config_only)
{
	struct pod p;
	char warn[512], *t;
	int missing;

	mkpod(&p, "web", DNS_NONE);
	CHECK(podfiles_dns_type(&p, 0, &missing) == PODFILES_DNS_NONE);
	CHECK(missing == 0);
	REQUIRE(strlist_add(&p.dns_config.nameservers, "1.1.1.1", 3) == 0);
	REQUIRE(strlist_add(&p.dns_config.searches, "my.example", 32) == 0);
	add_option(&p, "ndots", "2");
	t = resolv(&p, CDNS, warn, sizeof(warn));
	CHECK_STR(t, "search my.example\nnameserver 1.1.1.1\n"
	    "options ndots:2\n");
	free(t);
	pod_free(&p);
}

TEST(test_cluster_first_merges_dns_config)
{
	struct pod p;
	char warn[512], *t;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	REQUIRE(strlist_add(&p.dns_config.searches, "svc.cluster.local", 32) ==
	    0);
	REQUIRE(strlist_add(&p.dns_config.searches, "my.example", 32) == 0);
	add_option(&p, "ndots", "2");
	add_option(&p, "single-request", "");
	t = resolv(&p, CDNS, warn, sizeof(warn));
	CHECK_STR(t, "search team-a.svc.cluster.local svc.cluster.local "
	    "cluster.local corp.example lab.example my.example\n"
	    "nameserver 10.96.0.10\n"
	    "options ndots:2 single-request\n");
	free(t);
	pod_free(&p);
}

TEST(test_limits_cut_with_warning)
{
	struct pod p;
	char warn[512], name[64], *t;
	int i;

	/* 2 host servers + 2 of the pod's: the fourth is dropped */
	mkpod(&p, "web", DNS_DEFAULT);
	REQUIRE(strlist_add(&p.dns_config.nameservers, "198.51.100.1", 3) ==
	    0);
	REQUIRE(strlist_add(&p.dns_config.nameservers, "198.51.100.2", 3) ==
	    0);
	t = resolv(&p, "", warn, sizeof(warn));
	CHECK(strstr(t, "198.51.100.2") == NULL);
	CHECK(strstr(t, "nameserver 198.51.100.1\n") != NULL);
	CHECK(strstr(warn, "Nameserver limits were exceeded") != NULL);
	CHECK(strstr(warn, "192.0.2.53 192.0.2.54 198.51.100.1") != NULL);
	free(t);
	pod_free(&p);
	/* cluster's 3 + host's 2 + 30 of the pod's: 32 stay */
	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "s%d.example", i);
		REQUIRE(strlist_add(&p.dns_config.searches, name, 32) == 0);
	}
	t = resolv(&p, CDNS, warn, sizeof(warn));
	CHECK(strstr(t, " s26.example\n") != NULL);
	CHECK(strstr(t, "s27.example") == NULL);
	CHECK(strstr(warn, "Search Line limits were exceeded") != NULL);
	free(t);
	pod_free(&p);
}

TEST(test_hostname_rules)
{
	char host[PODFILES_HOSTNAME_MAX + 1], dom[PODFILES_DOMAIN_MAX + 1];
	char node[PODFILES_FQDN_MAX + 1], why[PODFILES_WHY_MAX];
	struct pod p;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	REQUIRE(podfiles_hostname(&p, CDOM, host, dom, node, why) == 0);
	CHECK_STR(host, "web");
	CHECK_STR(dom, "");
	CHECK_STR(node, "web");
	p.hostname = sdup("box");
	p.subdomain = sdup("grp");
	REQUIRE(podfiles_hostname(&p, CDOM, host, dom, node, why) == 0);
	CHECK_STR(host, "box");
	CHECK_STR(dom, "grp.team-a.svc.cluster.local");
	CHECK_STR(node, "box");
	p.set_hostname_fqdn = 1;
	REQUIRE(podfiles_hostname(&p, CDOM, host, dom, node, why) == 0);
	CHECK_STR(node, "box.grp.team-a.svc.cluster.local");
	/* the FQDN must fit the kernel's 64 */
	free(p.hostname);
	p.hostname = sdup("a-very-long-hostname-that-makes-the-fqdn-too-long");
	CHECK(podfiles_hostname(&p, CDOM, host, dom, node, why) == -1);
	CHECK(strstr(why, "is too long (64 characters is the max") != NULL);
	pod_free(&p);
	/* the name truncated to 63, a trailing '-' or '.' trimmed */
	mkpod(&p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "-bbbb", DNS_CLUSTER_FIRST);
	REQUIRE(podfiles_hostname(&p, CDOM, host, dom, node, why) == 0);
	CHECK_EQ_INT(strlen(host), 62);
	CHECK(host[61] == 'a');
	pod_free(&p);
}

TEST(test_hosts_managed)
{
	struct pod p;
	char *t;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	/* no pod IP yet: no line for the pod */
	REQUIRE((t = podfiles_hosts(&p, NULL, "web", "", NULL)) != NULL);
	CHECK_STR(t, LOCALHOST);
	free(t);
	REQUIRE((t = podfiles_hosts(&p, "10.0.0.5,fd00::5", "web", "", NULL)) !=
	    NULL);
	CHECK_STR(t, LOCALHOST "10.0.0.5\tweb\nfd00::5\tweb\n");
	free(t);
	REQUIRE((p.host_aliases = calloc(2, sizeof(*p.host_aliases))) != NULL);
	p.n_host_aliases = 2;
	p.host_aliases[0].ip = sdup("192.0.2.7");
	REQUIRE(strlist_add(&p.host_aliases[0].hostnames, "foo.local", 8) == 0);
	REQUIRE(strlist_add(&p.host_aliases[0].hostnames, "bar", 8) == 0);
	p.host_aliases[1].ip = sdup("fd00::7");
	REQUIRE(strlist_add(&p.host_aliases[1].hostnames, "six", 8) == 0);
	REQUIRE((t = podfiles_hosts(&p, "10.0.0.5", "box",
	    "grp.team-a.svc.cluster.local", NULL)) != NULL);
	CHECK_STR(t, LOCALHOST
	    "10.0.0.5\tbox.grp.team-a.svc.cluster.local\tbox\n"
	    "\n# Entries added by HostAliases.\n"
	    "192.0.2.7\tfoo.local\tbar\nfd00::7\tsix\n");
	free(t);
	pod_free(&p);
}

TEST(test_hosts_host_network)
{
	struct pod p;
	char *t;

	mkpod(&p, "web", DNS_CLUSTER_FIRST);
	p.host_network = 1;
	REQUIRE((t = podfiles_hosts(&p, NULL, "web", "",
	    "127.0.0.1 localhost\n10.1.1.1 node1\n")) != NULL);
	CHECK_STR(t, "# Kubernetes-managed hosts file (host network).\n"
	    "127.0.0.1 localhost\n10.1.1.1 node1\n");
	free(t);
	REQUIRE((p.host_aliases = calloc(1, sizeof(*p.host_aliases))) != NULL);
	p.n_host_aliases = 1;
	p.host_aliases[0].ip = sdup("192.0.2.7");
	REQUIRE(strlist_add(&p.host_aliases[0].hostnames, "foo", 8) == 0);
	REQUIRE((t = podfiles_hosts(&p, NULL, "web", "",
	    "127.0.0.1 localhost\n")) != NULL);
	CHECK_STR(t, "# Kubernetes-managed hosts file (host network).\n"
	    "127.0.0.1 localhost\n"
	    "\n# Entries added by HostAliases.\n192.0.2.7\tfoo\n");
	free(t);
	pod_free(&p);
}
