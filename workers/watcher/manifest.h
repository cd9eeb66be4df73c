/*
 * The watcher's Kubernetes Pod parser: a static manifest file (YAML or
 * JSON) or a Pod object from the API server (JSON) becomes a struct pod.
 * What the pod model cannot express is refused with the field that asked
 * for it and why; docs/manifest-fields.md lists every field and its fate.
 */
#ifndef AGENTD_MANIFEST_H
#define AGENTD_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"	/* MANIFEST_MAX_BYTES */
#include "pod.h"

#define MANIFEST_MAX_DEPTH	64	/* nested maps/lists, root = 1 */
#define MANIFEST_MAX_NODES	16384	/* values in a document */
#define QUANTITY_MAX_LEN	64	/* longest quantity string accepted */

/*
 * field: where the problem is, in Kubernetes' path style
 * ("spec.containers[1].name"); empty when it concerns the whole input
 * (syntax, size, encoding).  reason: what is wrong, for a human.
 */
struct manifest_error {
	char	field[256];
	char	reason[512];
};

/*
 * Parse one static pod file read from source_path (the full path: it is
 * recorded as pod->source = "file:<source_path>" and enters the uid).
 * The pod is renamed "<name>-<node_name>"; its uid is metadata.uid when
 * the file has one, else the hex MD5 of the decoded pod (its non-default
 * fields through the pod schema), "host:<node_name>" and
 * "file:<source_path>", so that a comment or a reformatting changes
 * nothing and any change of the pod gives a new uid; spec.nodeName is
 * set to node_name, as the kubelet does.
 * Returns 0 and fills *out (the caller pod_free()s it), or -1 with err
 * filled and *out empty.
 */
int	manifest_parse_static(const char *source_path, const uint8_t *buf,
	    size_t len, const char *node_name, struct pod *out,
	    struct manifest_error *err);

/*
 * The kubernetes.io/config.seen annotation of a parsed static pod: the
 * time this uid was first seen (manifest_seen_now, RFC 3339 with
 * nanoseconds, UTC), which the caller keeps for as long as the uid stays.
 * Room for it was kept by manifest_parse_static; -1 only without memory.
 */
int	manifest_static_seen(struct pod *, const char *seen);
const char *manifest_static_seen_get(const struct pod *);
#define MANIFEST_SEEN_MAX	40	/* "2006-01-02T15:04:05.999999999Z" */
int	manifest_seen_now(char *buf, size_t len);

/*
 * Parse a Pod object (JSON text, as the API server serves it): no static
 * renaming; metadata.uid is required and kept; pod->source = "api";
 * pod->node_name = spec.nodeName or "".
 */
int	manifest_parse_pod_json(const uint8_t *buf, size_t len,
	    struct pod *out, struct manifest_error *err);

/*
 * The same for a Pod object inside a larger JSON document already loaded
 * (a watch event's "object", a PodList's item: apiwatch.c).  The object
 * is held to a manifest's bounds on its own (values, depth, unique keys)
 * so that a Pod is accepted or refused alike however it arrives.
 */
struct cJSON;
int	manifest_parse_pod_object(const struct cJSON *obj, struct pod *out,
	    struct manifest_error *err);

/*
 * Kubernetes quantities (k8s.io/apimachinery resource.Quantity syntax):
 * [+-]digits[.digits] with a suffix n u m k M G T P E, Ki Mi Gi Ti Pi Ei,
 * or a decimal exponent e<int>/E<int>.  Values are rounded up (away from
 * zero) to whole millis / whole bytes, as Quantity.MilliValue()/Value() do.
 * Return 0, or -1 with errno EINVAL (not a quantity) or ERANGE (does not
 * fit in an int64).
 */
int	quantity_parse_milli(const char *s, int64_t *milli);
int	quantity_parse_bytes(const char *s, int64_t *bytes);
/*
 * A resourceFieldRef's divisor in the resource's unit (millicores for
 * cpu, bytes otherwise): 0; or -1 with errno EINVAL (not a quantity) or
 * EDOM (not a divisor the API server allows for the resource).
 */
int	quantity_divisor(const char *s, int cpu, int64_t *units);

#endif
