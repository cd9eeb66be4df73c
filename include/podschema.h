/*
 * The pod model's schema: one table per struct of pod.h that a pod is
 * made of (the pod, its containers, their ports, resources and security
 * contexts, the pod security context) and that the executor's report is
 * made of (the report, its containers, their last termination).  A row
 * names a member and says
 * everything the generic code needs to know about it:
 *
 *	name	the Kubernetes JSON name, relative to the struct's object
 *		("capabilities.add" nests one level)
 *	tag	its wire tag, unique in the table and never reused
 *	type	how it is stored (below)
 *	bound	max bytes of a string, max count of a list, range of an int
 *	def	its default: what pod_init sets and a missing field keeps
 *
 * podwire's encoding, decoding and freeing of pods and reports, pod_init,
 * pod_report_init and the reporter's spec JSON are driven by these tables, so that a new pod field
 * is one row here plus its parsing in the watcher and its use.  What a
 * field means (validation beyond a range, defaults the API server applies
 * at render time, quantities) stays code, keyed off the row's fmt.
 *
 * The wire format (podwire.c has the details) is a sequence of
 * {u32 tag, u32 length, value} fields: a decoder skips a tag it does not
 * know, a missing field keeps its default, and the encoder leaves out
 * every field at its default.
 */
#ifndef AGENTD_PODSCHEMA_H
#define AGENTD_PODSCHEMA_H

#include <stddef.h>
#include <stdint.h>


enum ps_type {
	PS_BOOL = 1,	/* uint8_t, 0 or 1 */
	PS_ENUM,	/* uint8_t, 0 to max; JSON: enum_name() */
	PS_TRI,		/* int8_t, TRI_UNSET, 0 or 1 */
	PS_U32,		/* uint32_t, min to max */
	PS_I32,		/* int32_t, min to max (a u32 on the wire) */
	PS_I64,		/* int64_t, min to max (or -1 with PSF_UNSET) */
	PS_STR,		/* char *, at most max bytes; "" is NULL */
	PS_STRLIST,	/* struct strlist: max strings of elem_max bytes */
	PS_KVLIST,	/* struct kv * and a uint32_t count at count_off:
			   max pairs, keys of key_max, values of elem_max */
	PS_STRUCT,	/* an embedded struct described by sub */
	PS_LIST		/* an array of sub structs, count at count_off */
};

/* flags */
#define PSF_REQUIRED	0x01	/* must be on the wire; a string non-empty,
				   a list not empty */
#define PSF_UNSET	0x02	/* PS_I64: -1 (unset) is valid beside the range */
#define PSF_KEY		0x04	/* PS_STR: unique within its list (the
				   executor keys containers by name) */
#define PSF_JSON_OMIT	0x08	/* JSON: left out at its default (omitempty) */
#define PSF_JSON_INLINE	0x10	/* PS_STRUCT: its rows in the parent's object
				   (v1.Probe's inlined ProbeHandler) */

/* where a pod-level field goes in the v1.Pod JSON */
enum ps_where {
	PSW_HERE = 0,	/* in the struct's own object (spec for the pod) */
	PSW_META_ID,	/* metadata, before the timestamps */
	PSW_META,	/* metadata, after them */
	PSW_NONE	/* not in the JSON (agentd's own bookkeeping) */
};

/* how a value is rendered in JSON beyond its type */
enum ps_fmt {
	PSJ_PLAIN = 0,
	PSJ_CPU,	/* millicores as a quantity: "2", "500m" */
	PSJ_MEM,	/* bytes as a quantity: "64Mi" */
	PSJ_MAP,	/* a kv list as an object (labels) */
	PSJ_NAMEVALUE,	/* a kv list as [{name, value}] (env) */
	PSJ_INTORSTR	/* a string, a number when it is all digits (a
			   port: IntOrString) */
};

#define PODSCHEMA_MAX_FIELDS	64	/* a decoder's seen-mask is 64 bits */
#define PODSCHEMA_TAG_TEST	0xffffu	/* the test layout's unknown field */

struct podschema;

struct podfield {
	const char		*name;
	uint16_t		 tag;
	uint8_t			 type;		/* enum ps_type */
	uint8_t			 flags;
	uint8_t			 where;		/* enum ps_where */
	uint8_t			 fmt;		/* enum ps_fmt */
	size_t			 off;
	size_t			 count_off;	/* PS_KVLIST, PS_LIST */
	int64_t			 min;		/* ints */
	int64_t			 max;		/* ints; bytes; count */
	uint32_t		 key_max;	/* PS_KVLIST key bytes */
	uint32_t		 elem_max;	/* element or value bytes */
	int64_t			 def;		/* ints, enums, bools, tris */
	const struct podschema	*sub;		/* PS_STRUCT, PS_LIST */
	const char		*(*enum_name)(uint8_t);
};

struct podschema {
	const char		*name;		/* "pod", "container" */
	size_t			 size;		/* sizeof the struct */
	const struct podfield	*fields;	/* in v1 JSON order */
	size_t			 nfields;
};

extern const struct podschema podschema_pod;
extern const struct podschema podschema_container;
extern const struct podschema podschema_port;
extern const struct podschema podschema_resources;
extern const struct podschema podschema_security_context;
extern const struct podschema podschema_pod_security_context;
extern const struct podschema podschema_host_alias;
extern const struct podschema podschema_dns_config;
extern const struct podschema podschema_handler;
extern const struct podschema podschema_probe;
extern const struct podschema podschema_lifecycle;
extern const struct podschema podschema_env_var;
extern const struct podschema podschema_env_field_ref;
extern const struct podschema podschema_env_resource_ref;
extern const struct podschema podschema_volume;
extern const struct podschema podschema_volume_mount;
/* the executor's observed state: encoded the same way, never rendered
   from the table (the status is rules: workers/reporter/podstatus.c) */
extern const struct podschema podschema_report;
extern const struct podschema podschema_container_report;
extern const struct podschema podschema_container_term;

/* every table reachable from the pod's, for walks and tests */
extern const struct podschema *const podschema_all[];
extern const size_t podschema_nall;

/* the defaults of every row (memset first: pointers NULL, counts 0) */
void	podschema_init(const struct podschema *, void *);
/* frees what the struct owns and sets it to its defaults again */
void	podschema_free(const struct podschema *, void *);
/* the field is at its default: left out on the wire (and omitempty) */
int	podschema_is_default(const struct podfield *, const void *);
/* a field's member */
#define PODSCHEMA_MEMBER(type, obj, f)	\
	((type *)(void *)((char *)(obj) + (f)->off))
#define PODSCHEMA_CMEMBER(type, obj, f)	\
	((const type *)(const void *)((const char *)(obj) + (f)->off))
int	podschema_is_int(const struct podfield *);	/* u8, u32, i32, i64 */
uint32_t podschema_count(const struct podfield *, const void *);	/* lists */
uint32_t *podschema_count_ref(const struct podfield *, void *);
int64_t	podschema_int(const struct podfield *, const void *);	/* ints */
void	podschema_set_int(const struct podfield *, void *, int64_t);

/* the tables' own consistency: tags and names unique, counts bounded */
int	podschema_check(const struct podschema *, const char **why);

#endif
