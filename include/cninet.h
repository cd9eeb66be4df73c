/*
 * The pod network as CNI describes it: the network configuration an
 * administrator puts in cniConfDir (common/cniconf.c, trusted like
 * agentd.yaml) and the result a plugin prints (common/cniresult.c,
 * untrusted: only agentd-netparse decodes it; the executor gets the typed
 * struct cni_result over IPC, ipc/netwire.c, and builds every prevResult
 * from it, so no plugin's bytes reach another plugin or the executor's
 * JSON parser).
 */
#ifndef AGENTD_CNINET_H
#define AGENTD_CNINET_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* a network configuration file, as libcni bounds none: ours are small */
#define CNI_CONF_MAX_BYTES	(256 * 1024)
#define CNI_CONF_MAX_FILES	1024	/* entries looked at in the dir */
#define CNI_MAX_PLUGINS		16
#define CNI_MAX_NAME		127	/* network name, plugin type */

/* a plugin's stdout: at most this many bytes go to agentd-netparse */
#define CNI_RESULT_MAX		(64 * 1024)
#define CNI_MAX_IFACES		8
#define CNI_MAX_IPS		8
#define CNI_MAX_ROUTES		16
#define CNI_MAX_DNS		8	/* nameservers, search, options each */
#define CNI_MAX_VERSION		15
#define CNI_MAX_IFNAME		15	/* IFNAMSIZ - 1 */
#define CNI_MAX_MAC		31
#define CNI_MAX_SANDBOX		255
#define CNI_MAX_ADDR		63	/* an address or CIDR, textual */
#define CNI_MAX_DNSNAME		253
#define CNI_MAX_DNSOPT		63
#define CNI_MAX_ERRMSG		511

struct cni_conf {
	char		 path[PATH_MAX];	/* the file it came from */
	char		 name[CNI_MAX_NAME + 1];
	char		 version[CNI_MAX_VERSION + 1];
	cJSON		*plugins[CNI_MAX_PLUGINS];	/* into list */
	char		 types[CNI_MAX_PLUGINS][CNI_MAX_NAME + 1];
	int		 portmap[CNI_MAX_PLUGINS];	/* capabilities */
	int		 disable_check;	/* the list's disableCheck */
	int		 disable_gc;	/* the list's disableGC */
	size_t		 nplugins;
	cJSON		*list;		/* owns plugins[] */
};

struct cni_iface {
	char		 name[CNI_MAX_IFNAME + 1];
	char		 mac[CNI_MAX_MAC + 1];
	char		 sandbox[CNI_MAX_SANDBOX + 1];
};

struct cni_ip {
	char		 address[CNI_MAX_ADDR + 1];	/* CIDR */
	char		 gateway[CNI_MAX_ADDR + 1];	/* "" none */
	int32_t		 iface;		/* index into ifaces, -1 none */
};

struct cni_route {
	char		 dst[CNI_MAX_ADDR + 1];		/* CIDR */
	char		 gw[CNI_MAX_ADDR + 1];		/* "" none */
};

/* a success result, or the error object a failing plugin prints */
struct cni_result {
	uint32_t	 is_error;
	uint32_t	 err_code;
	char		 err_msg[CNI_MAX_ERRMSG + 1];
	char		 version[CNI_MAX_VERSION + 1];
	uint32_t	 n_ifaces, n_ips, n_routes, n_ns, n_search, n_opts;
	struct cni_iface ifaces[CNI_MAX_IFACES];
	struct cni_ip	 ips[CNI_MAX_IPS];
	struct cni_route routes[CNI_MAX_ROUTES];
	char		 nameservers[CNI_MAX_DNS][CNI_MAX_ADDR + 1];
	char		 domain[CNI_MAX_DNSNAME + 1];
	char		 search[CNI_MAX_DNS][CNI_MAX_DNSNAME + 1];
	char		 options[CNI_MAX_DNS][CNI_MAX_DNSOPT + 1];
};

/*
 * The network of dir: the first *.conflist, *.conf or *.json in lexical
 * order that is a valid configuration (a .conf or .json is a chain of its
 * one plugin), as libcni's ConfFiles and LoadConfList.  Invalid files are
 * skipped with a warning (unless quiet).  0 and *c filled, or -1 with why
 * set ("" when the directory has no candidate at all).
 */
int	 cni_conf_load(const char *dir, int quiet, struct cni_conf *,
	    char *why, size_t);
/* the same, every skipped file (and why) to skip() instead of the log */
typedef void	(*cni_skip_fn)(const char *path, const char *why, void *arg);
int	 cni_conf_load_cb(const char *dir, cni_skip_fn skip, void *arg,
	    struct cni_conf *, char *why, size_t);
/* one configuration from its bytes; ext "conflist" or anything else */
int	 cni_conf_parse(const char *buf, size_t len, int is_list,
	    struct cni_conf *, char *why, size_t);
void	 cni_conf_free(struct cni_conf *);

/*
 * v >= min as libcni's version.GreaterThanOrEqualTo ("" is 0.1.0); 0 when
 * either cannot be parsed.  CHECK needs "0.4.0", GC "1.1.0".
 */
int	 cni_version_ge(const char *v, const char *min);

/* an attachment the runtime still has, for GC (containerID, ifname) */
struct cni_attachment {
	char		 id[CNI_MAX_NAME + 1];
	char		 ifname[CNI_MAX_IFNAME + 1];
};
#define CNI_GC_VALID_KEY	"cni.dev/valid-attachments"
#define CNI_GC_OLD_KEY		"cni.dev/attachments"
/* one plugin's GC stdin (malloc'd), or NULL when out of memory */
char	*cni_gc_conf(const cJSON *plugin, const char *name,
	    const char *version, const struct cni_attachment *, size_t);

/* a plugin's stdout; -1 with why if it is neither a result nor an error */
int	 cni_result_parse(const char *buf, size_t len, struct cni_result *,
	    char *why, size_t);
/* is every field well formed (the IPC decoder's check of netparse) */
int	 cni_result_check(const struct cni_result *);
/* the canonical JSON of a success result: the next plugin's prevResult */
cJSON	*cni_result_json(const struct cni_result *);

#endif
