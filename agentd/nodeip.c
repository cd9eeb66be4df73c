/*
 * The node's addresses, for status.hostIP/hostIPs and the hostNetwork
 * pods' pod IPs: nodeIP from agentd.yaml, else the addresses of the
 * interfaces that carry the default routes (/proc/net/route for IPv4,
 * /proc/net/ipv6_route for IPv6; the lowest metric wins), IPv4 first.
 * agentd resolves them once at start and hands them to the workers in
 * the binary configuration (node_ips), so that no worker needs a socket.
 * Nothing is sent anywhere: the kernel's tables are read, and
 * getifaddrs(3) asks the kernel over netlink.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "log.h"

#define ROUTE_LINE_MAX	512

/* the interface of the IPv4 default route (Destination and Mask 0) */
static int
default_if4(char ifname[IF_NAMESIZE])
{
	char line[ROUTE_LINE_MAX], name[IF_NAMESIZE];
	unsigned long dst, mask, metric, best = (unsigned long)-1;
	unsigned int flags;
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask */
		if (sscanf(line, "%15s %lx %*x %x %*d %*d %lu %lx", name, &dst,
		    &flags, &metric, &mask) != 5)
			continue;
		if (dst != 0 || mask != 0 || !(flags & 0x1) || metric >= best)
			continue;	/* RTF_UP */
		best = metric;
		memcpy(ifname, name, IF_NAMESIZE);
		found = 1;
	}
	fclose(f);
	return found;
}

/* the interface of the IPv6 default route (::/0) */
static int
default_if6(char ifname[IF_NAMESIZE])
{
	char line[ROUTE_LINE_MAX], dst[33], name[IF_NAMESIZE];
	unsigned long plen, metric, best = (unsigned long)-1, flags;
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/net/ipv6_route", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* dst plen src splen nexthop metric refcnt use flags iface */
		if (sscanf(line, "%32s %lx %*s %*x %*s %lx %*x %*x %lx %15s",
		    dst, &plen, &metric, &flags, name) != 5)
			continue;
		if (plen != 0 || strspn(dst, "0") != 32 ||
		    strcmp(name, "lo") == 0 || !(flags & 0x1) ||
		    metric >= best)
			continue;	/* RTF_UP; "lo" holds the unreachable */
		best = metric;
		memcpy(ifname, name, IF_NAMESIZE);
		found = 1;
	}
	fclose(f);
	return found;
}

/* a link-local IPv6 address is no use to anyone off the link */
static int
usable6(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a);
}

/* the first address of family on ifname, as text */
static int
if_addr(const char *ifname, int family, char *out, size_t len)
{
	struct ifaddrs *ifa, *i;
	const void *a;
	int found = 0;

	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return 0;
	}
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (family == AF_INET)
			a = &((struct sockaddr_in *)(void *)i->ifa_addr)->
			    sin_addr;
		else {
			a = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->
			    sin6_addr;
			if (!usable6(a))
				continue;
		}
		found = inet_ntop(family, a, out, (socklen_t)len) != NULL;
	}
	freeifaddrs(ifa);
	return found;
}

void
nodeip_resolve(struct agentd_config *c)
{
	char ifname[IF_NAMESIZE], v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	int have4 = 0, have6 = 0;

	if (c->node_ip[0] != '\0') {
		snprintf(c->node_ips, sizeof(c->node_ips), "%s", c->node_ip);
		return;
	}
	if (default_if4(ifname))
		have4 = if_addr(ifname, AF_INET, v4, sizeof(v4));
	if (default_if6(ifname))
		have6 = if_addr(ifname, AF_INET6, v6, sizeof(v6));
	snprintf(c->node_ips, sizeof(c->node_ips), "%s%s%s",
	    have4 ? v4 : "", have4 && have6 ? "," : "", have6 ? v6 : "");
	if (!have4 && !have6)
		log_warnx("nodeIP: no default route with an address found; "
		    "pods get no status.hostIP (set nodeIP in %s)", c->path);
	else
		log_info("node IPs %s (from the default routes)", c->node_ips);
}
