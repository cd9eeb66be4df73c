/*
 * What the pieces of the manifest parser share (manifest.c the entry
 * points, load.c bytes to a checked cJSON tree, walk.c errors, paths and
 * the table walker, k8sname.c name rules, fields.c and ctrfields.c the
 * field tables, staticpod.c static pod identity).  Not for other users:
 * manifest.h is the interface.
 */
#ifndef AGENTD_MANIFEST_INT_H
#define AGENTD_MANIFEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "pod.h"

#define QUOTE_MAX		48	/* user text quoted in a reason */
#define QUOTE_BUF		(QUOTE_MAX + 8)
#define PORT_NAME_MAX		15	/* IANA_SVC_NAME */

/* the config.hash, config.source and config.seen annotations of a
   static pod (staticpod.c, the watcher) */
#define STATIC_ANNOTATIONS	3

#define DNS_SUBDOMAIN_MSG	"must be a lowercase RFC 1123 subdomain: " \
	"lowercase alphanumeric characters, '-' or '.', starting and " \
	"ending with an alphanumeric character"
#define DNS_LABEL_MSG		"must be a lowercase RFC 1123 label: " \
	"lowercase alphanumeric characters or '-', starting and ending " \
	"with an alphanumeric character"

#define MANIFEST_FIELD_MAX	sizeof(((struct manifest_error *)0)->field)

struct walk {
	struct manifest_error	*err;
	char			 path[MANIFEST_FIELD_MAX];
	size_t			 pathlen;
	int			 is_static;
	int			 has_dns_config;	/* spec.dnsConfig given */
};

/* field tables: one row per field of a Kubernetes object type */
enum rule_kind {
	RULE_MAP,	/* handled by fn */
	RULE_IGNORE,	/* accepted, no behaviour depends on it */
	RULE_REJECT	/* refused with reason unless unset */
};

typedef int (*field_fn)(struct walk *, const cJSON *, void *);

struct field_rule {
	const char	*name;
	enum rule_kind	 kind;
	field_fn	 fn;
	const char	*reason;
};

/* a RULE_REJECT row may have fn: it fails with a reason of its own (one
   that depends on the walk, such as the pod's source) */
#define MAP(n, f)	{ n, RULE_MAP, f, NULL }
#define IGNORE(n)	{ n, RULE_IGNORE, NULL, NULL }
#define REJECT(n, r)	{ n, RULE_REJECT, NULL, r }

/* walk.c: errors (each returns -1), field paths, getters, the walker */
const char	*quote(char *, size_t, const char *);
int		 input_error(struct manifest_error *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 field_error(struct manifest_error *, const char *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
int		 fail(struct walk *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 fail_nomem(struct walk *);
size_t		 path_key(struct walk *, const char *);
size_t		 path_index(struct walk *, int);
void		 path_pop(struct walk *, size_t);
const char	*type_name(const cJSON *);
int		 get_string(struct walk *, const cJSON *, const char **);
int		 get_bool(struct walk *, const cJSON *, int8_t *);
int		 get_int(struct walk *, const cJSON *, int64_t, int64_t,
		    int64_t *);
int		 take_string(struct walk *, const cJSON *, size_t, char **);
int		 value_is_unset(const cJSON *);	/* null, false, "", [], {} */
int		 walk_object(struct walk *, const cJSON *,
		    const struct field_rule *, void *);
int		 require_field(struct walk *, const void *, const char *,
		    const char *);
/* lists: the shape and bound (the count, or -1), then each item in turn */
typedef int	(*item_fn)(struct walk *, const cJSON *, int, void *);
int		 list_size(struct walk *, const cJSON *, const char *, int);
int		 walk_items(struct walk *, const cJSON *, item_fn, void *);
/* a list of strings, each at most elem_max long and passing ok (or NULL) */
struct strings_walk {
	struct strlist	*l;
	uint32_t	 max;
	size_t		 elem_max;
	int		(*ok)(const char *);
	const char	*why;
};
int		 walk_strings(struct walk *, const cJSON *,
		    const struct strings_walk *);

/* k8sname.c; the RFC 1123 checks are the ones the executor applies again */
#define dns_subdomain_ok	pod_dns_subdomain_ok
int		 is_alnum(int);
int		 dns_label_ok(const char *);
int		 label_value_chars_ok(const char *, size_t);
const char	*qualified_name_problem(const char *, int);
int		 port_name_ok(const char *);

/* envfields.c: a container's env (issue 14) */
int		 container_env(struct walk *, const cJSON *,
		    struct container_spec *);
int		 reject_api_ref(struct walk *, const cJSON *, void *);
int		 finish_env_refs(struct walk *, const struct pod *);

/* ctrfields.c */
extern const struct field_rule pod_sc_rules[];
/* a quantity: millis (cpu) or bytes; negative refused */
int		 get_quantity(struct walk *, const cJSON *, int milli,
		    int64_t *);
int		 spec_containers(struct walk *, const cJSON *, void *);
int		 spec_init_containers(struct walk *, const cJSON *, void *);
int		 finish_init_containers(struct walk *, struct pod *);
int		 finish_non_root_list(struct walk *, const struct pod *,
		    const struct container_spec *, uint32_t n, const char *what);

/*
 * probefields.c: handlers, shared by probes and lifecycle hooks (each
 * takes a struct handler * as arg and sets its kind: a second kind is
 * refused), and the container's probes.  handler_check after the whole
 * container: field is the handler's path below it ("livenessProbe").
 */
int		 handler_exec(struct walk *, const cJSON *, void *);
int		 handler_http_get(struct walk *, const cJSON *, void *);
int		 handler_tcp_socket(struct walk *, const cJSON *, void *);
int		 handler_grpc(struct walk *, const cJSON *, void *);
int		 handler_check(struct walk *, const char *field,
		    const struct handler *, const struct container_spec *);
/* hookfields.c: the container's lifecycle hooks (the handlers above) */
int		 container_lifecycle(struct walk *, const cJSON *,
		    struct container_spec *);
int		 container_lifecycle_check(struct walk *,
		    const struct container_spec *);
int		 c_liveness_probe(struct walk *, const cJSON *,
		    struct container_spec *);
int		 c_readiness_probe(struct walk *, const cJSON *,
		    struct container_spec *);
int		 c_startup_probe(struct walk *, const cJSON *,
		    struct container_spec *);
int		 container_probes_check(struct walk *,
		    const struct container_spec *);

/* volfields.c: spec.volumes, volumeMounts, and the check across both */
int		 spec_volumes(struct walk *, const cJSON *, void *);
int		 container_volume_mounts(struct walk *, const cJSON *,
		    struct container_spec *);
int		 finish_volumes(struct walk *, struct pod *);

/* fields.c */
int		 walk_pod(const cJSON *, int, struct pod *,
		    struct manifest_error *);

/* load.c: the bounds a loaded tree must keep (a manifest's, or a watch
 * event's and a list's, apiwatch.c) */
struct load_bounds {
	const char	*what;		/* the document, in messages */
	size_t		 bytes;
	unsigned	 nodes;		/* values in the document */
	int		 depth;		/* nested maps/lists, root = 1 */
};
extern const struct load_bounds load_manifest_bounds;
int		 load(const uint8_t *, size_t, int, cJSON **,
		    struct manifest_error *);
int		 load_json(const uint8_t *, size_t, const struct load_bounds *,
		    cJSON **, struct manifest_error *);
int		 load_tree_check(const cJSON *, const struct load_bounds *,
		    struct manifest_error *);
/* depth and value count only (the keys were checked with the whole tree) */
int		 load_tree_bounds(const cJSON *, const struct load_bounds *,
		    struct manifest_error *);

/*
 * manifest.c: manifest_parse_pod_object() for a Pod inside a tree that
 * load_json() loaded (keys unique throughout): only the Pod's own bounds
 * are checked again (a watch event's Pod, apiwatch.c; a third less work)
 */
int		 pod_from_loaded(const cJSON *, struct pod *,
		    struct manifest_error *);

/* staticpod.c */
int		 static_args_check(const char *, const char *,
		    struct manifest_error *);
int		 static_finish(struct pod *, const char *, const char *,
		    struct manifest_error *);

#endif
