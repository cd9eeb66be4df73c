/*
 * Handlers and probes: the field tables of v1.ExecAction, HTTPGetAction,
 * TCPSocketAction, GRPCAction (a handler: what a probe or a lifecycle hook runs) and
 * of v1.Probe, converted into struct handler and struct probe with the
 * API server's defaults and validation (pkg/apis/core/validation
 * validateProbe, validateHandler; SetDefaults_Probe, _HTTPGetAction).
 *
 * The handler functions take a struct handler * as their argument, so
 * that a probe's table and a lifecycle hook's table share them: each sets
 * the handler's kind, and a second kind in one handler is refused.
 * What depends on the whole container (a port given by name must name one
 * of its ports) is checked by handler_check once the container is parsed.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

#define PORT_MAX		65535

/* ---- the handlers ---- */

static int
handler_kind(struct walk *w, struct handler *h, uint8_t kind)
{
	if (h->kind != HANDLER_NONE)
		return fail(w, "may not specify more than 1 handler type "
		    "(%s given already)", pod_handler_kind_name(h->kind));
	h->kind = kind;
	return 0;
}

static int
exec_command(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;
	struct strings_walk sw = { &h->exec_command, POD_MAX_ARGS,
	    POD_MAX_ARG - 1, NULL, NULL };

	return walk_strings(w, v, &sw);
}

static const struct field_rule exec_rules[] = {
	MAP("command", exec_command),
	{ NULL, 0, NULL, NULL }
};

int
handler_exec(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (handler_kind(w, h, HANDLER_EXEC) == -1 ||
	    walk_object(w, v, exec_rules, h) == -1)
		return -1;
	if (h->exec_command.n == 0)
		return require_field(w, NULL, "command", "the command to run");
	return 0;
}

/*
 * IntOrString: a number of 1 to 65535, kept as its decimal string, or an
 * IANA_SVC_NAME that handler_check looks up in the container's ports.
 */
static int
take_port(struct walk *w, const cJSON *v, char **dst)
{
	char qb[QUOTE_BUF], num[8];
	int64_t n;

	if (cJSON_IsNumber(v)) {
		if (get_int(w, v, 1, PORT_MAX, &n) == -1)
			return -1;
		snprintf(num, sizeof(num), "%lld", (long long)n);
		if ((*dst = strdup(num)) == NULL)
			return fail_nomem(w);
		return 0;
	}
	if (!cJSON_IsString(v))
		return fail(w, "expected a port number or name, got %s",
		    type_name(v));
	if (take_string(w, v, PORT_NAME_MAX, dst) == -1)
		return -1;
	if (!port_name_ok(*dst))
		return fail(w, "invalid port name %s: must be a number between "
		    "1 and 65535 or an IANA_SVC_NAME (at most 15 lowercase "
		    "alphanumeric characters or '-', with at least one letter)",
		    quote(qb, sizeof(qb), *dst));
	return 0;
}

/*
 * Only an address: the prober connects from inside the pod's network
 * namespace and never resolves names (the kubelet resolves a host name
 * from the node, outside the pod).
 */
static int
take_host(struct walk *w, const cJSON *v, char **dst)
{
	unsigned char addr[sizeof(struct in6_addr)];
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		return 0;	/* "": the pod's address */
	if (strlen(s) > POD_MAX_HANDLER_HOST ||
	    (inet_pton(AF_INET, s, addr) != 1 &&
	    inet_pton(AF_INET6, s, addr) != 1))
		return fail(w, "must be an IP address (host names are not "
		    "resolved: the probe connects from inside the pod)");
	return take_string(w, v, POD_MAX_HANDLER_HOST, dst);
}

static int
http_host(struct walk *w, const cJSON *v, void *arg)
{
	return take_host(w, v, &((struct handler *)arg)->http_host);
}

static int
http_port(struct walk *w, const cJSON *v, void *arg)
{
	return take_port(w, v, &((struct handler *)arg)->http_port);
}

/* it goes into the request line as it is: printable, no space */
static int
http_path(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;
	const char *s, *p;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		return 0;	/* the kubelet asks for "/" */
	if (s[0] != '/')
		return fail(w, "must be an absolute path (start with '/')");
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return fail(w, "must not contain spaces, control or "
			    "non-ASCII characters (escape them as %%XX)");
	return take_string(w, v, POD_MAX_HTTP_PATH, &h->http_path);
}

static int
http_scheme(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "HTTP") == 0)
		h->http_scheme = SCHEME_HTTP;
	else if (strcmp(s, "HTTPS") == 0)
		h->http_scheme = SCHEME_HTTPS;
	else
		return fail(w, "unsupported value: must be HTTP or HTTPS");
	return 0;
}

/* RFC 7230 token characters */
static int
header_name_ok(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_alnum((unsigned char)*s) && strchr(tchar, *s) == NULL)
			return 0;
	return 1;
}

static int
header_name(struct walk *w, const cJSON *v, void *arg)
{
	struct kv *kv = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_HTTP_HEADER_NAME, &kv->key) == -1)
		return -1;
	if (!header_name_ok(kv->key))
		return fail(w, "invalid HTTP header name %s: must be a token "
		    "(letters, digits and !#$%%&'*+-.^_`|~)",
		    quote(qb, sizeof(qb), kv->key));
	return 0;
}

/* a value with a CR or LF would be a second header: refused */
static int
header_value(struct walk *w, const cJSON *v, void *arg)
{
	struct kv *kv = arg;
	const char *p;

	if (take_string(w, v, POD_MAX_HTTP_HEADER_VALUE, &kv->value) == -1)
		return -1;
	for (p = kv->value; *p != '\0'; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return fail(w, "must not contain control characters");
	return 0;
}

static const struct field_rule header_rules[] = {
	MAP("name", header_name),
	MAP("value", header_value),
	{ NULL, 0, NULL, NULL }
};

static int
header_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct handler *h = arg;
	struct kv *kv = &h->http_headers[i];

	if (walk_object(w, item, header_rules, kv) == -1)
		return -1;
	if (kv->key == NULL)
		return require_field(w, NULL, "name", NULL);
	return 0;
}

static int
http_headers(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;
	int n;

	if ((n = list_size(w, v, "httpHeaders", POD_MAX_HTTP_HEADERS)) <= 0)
		return n;
	if ((h->http_headers = calloc(n, sizeof(*h->http_headers))) == NULL)
		return fail_nomem(w);
	h->n_http_headers = n;
	return walk_items(w, v, header_item, h);
}

static const struct field_rule http_get_rules[] = {
	MAP("path", http_path),
	MAP("port", http_port),
	MAP("host", http_host),
	MAP("scheme", http_scheme),
	MAP("httpHeaders", http_headers),
	{ NULL, 0, NULL, NULL }
};

int
handler_http_get(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (handler_kind(w, h, HANDLER_HTTP_GET) == -1 ||
	    walk_object(w, v, http_get_rules, h) == -1)
		return -1;
	return require_field(w, h->http_port, "port", NULL);
}

static int
tcp_host(struct walk *w, const cJSON *v, void *arg)
{
	return take_host(w, v, &((struct handler *)arg)->tcp_host);
}

static int
tcp_port(struct walk *w, const cJSON *v, void *arg)
{
	return take_port(w, v, &((struct handler *)arg)->tcp_port);
}

static const struct field_rule tcp_socket_rules[] = {
	MAP("port", tcp_port),
	MAP("host", tcp_host),
	{ NULL, 0, NULL, NULL }
};

int
handler_tcp_socket(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (handler_kind(w, h, HANDLER_TCP_SOCKET) == -1 ||
	    walk_object(w, v, tcp_socket_rules, h) == -1)
		return -1;
	return require_field(w, h->tcp_port, "port", NULL);
}

static int
grpc_port(struct walk *w, const cJSON *v, void *arg)
{
	int64_t n;

	if (get_int(w, v, 1, PORT_MAX, &n) == -1)
		return -1;
	((struct handler *)arg)->grpc_port = (uint32_t)n;
	return 0;
}

/* the HealthCheckRequest's service: printable, bounded */
static int
grpc_service(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;
	const char *p;

	if (take_string(w, v, POD_MAX_GRPC_SERVICE, &h->grpc_service) == -1)
		return -1;
	for (p = h->grpc_service; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			return fail(w, "must be printable ASCII");
	return 0;
}

static const struct field_rule grpc_rules[] = {
	MAP("port", grpc_port),
	MAP("service", grpc_service),
	{ NULL, 0, NULL, NULL }
};

/* v1.GRPCAction: the port is a number, the host always the pod's */
int
handler_grpc(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (handler_kind(w, h, HANDLER_GRPC) == -1 ||
	    walk_object(w, v, grpc_rules, h) == -1)
		return -1;
	if (h->grpc_port == 0)
		return require_field(w, NULL, "port", NULL);
	return 0;
}

/*
 * After the whole container: a handler is there, and a port by name names
 * one of the container's ports.  field is the handler's path below the
 * container ("livenessProbe", "lifecycle.preStop").
 */
int
handler_check(struct walk *w, const char *field, const struct handler *h,
    const struct container_spec *c)
{
	const char *port = NULL, *sub = NULL;
	char qb[QUOTE_BUF];
	size_t mark;

	if (h->kind == HANDLER_HTTP_GET) {
		port = h->http_port;
		sub = "httpGet.port";
	} else if (h->kind == HANDLER_TCP_SOCKET) {
		port = h->tcp_port;
		sub = "tcpSocket.port";
	}
	if (port == NULL || pod_handler_port(port, c) != -1)
		return 0;
	mark = path_key(w, field);
	path_key(w, sub);
	fail(w, "%s names no port of the container (spec.containers[].ports"
	    "[].name)", quote(qb, sizeof(qb), port));
	path_pop(w, mark);
	return -1;
}

/* ---- probes ---- */

struct probe_walk {
	struct probe	*p;
	int		 type;		/* enum probe_type */
};

static int
p_exec(struct walk *w, const cJSON *v, void *arg)
{
	return handler_exec(w, v, &((struct probe_walk *)arg)->p->h);
}

static int
p_http_get(struct walk *w, const cJSON *v, void *arg)
{
	return handler_http_get(w, v, &((struct probe_walk *)arg)->p->h);
}

static int
p_tcp_socket(struct walk *w, const cJSON *v, void *arg)
{
	return handler_tcp_socket(w, v, &((struct probe_walk *)arg)->p->h);
}

static int
p_grpc(struct walk *w, const cJSON *v, void *arg)
{
	return handler_grpc(w, v, &((struct probe_walk *)arg)->p->h);
}

/* validateProbe: non-negative; SetDefaults_Probe: 0 is the default */
static int
probe_seconds(struct walk *w, const cJSON *v, int32_t *dst)
{
	int64_t n;

	if (cJSON_IsNumber(v) && v->valuedouble < 0)
		return fail(w, "must be greater than or equal to 0");
	if (get_int(w, v, 0, POD_MAX_PROBE_SECONDS, &n) == -1)
		return -1;
	if (n != 0)
		*dst = (int32_t)n;
	return 0;
}

#define PROBE_INT(fn, member)						\
static int								\
fn(struct walk *w, const cJSON *v, void *arg)				\
{									\
	return probe_seconds(w, v,					\
	    &((struct probe_walk *)arg)->p->member);			\
}
PROBE_INT(p_initial_delay, initial_delay_s)
PROBE_INT(p_timeout, timeout_s)
PROBE_INT(p_period, period_s)
PROBE_INT(p_success, success_threshold)
PROBE_INT(p_failure, failure_threshold)
#undef PROBE_INT

static int
p_grace(struct walk *w, const cJSON *v, void *arg)
{
	struct probe_walk *pw = arg;
	int64_t n;

	if (pw->type == PROBE_READINESS)
		return fail(w, "must not be set for readinessProbes");
	if (cJSON_IsNumber(v) && v->valuedouble <= 0)
		return fail(w, "must be greater than 0");
	if (get_int(w, v, 1, INT32_MAX, &n) == -1)
		return -1;
	pw->p->termination_grace_s = n;
	return 0;
}

static const struct field_rule probe_rules[] = {
	MAP("exec", p_exec),
	MAP("httpGet", p_http_get),
	MAP("tcpSocket", p_tcp_socket),
	MAP("grpc", p_grpc),
	MAP("initialDelaySeconds", p_initial_delay),
	MAP("timeoutSeconds", p_timeout),
	MAP("periodSeconds", p_period),
	MAP("successThreshold", p_success),
	MAP("failureThreshold", p_failure),
	MAP("terminationGracePeriodSeconds", p_grace),
	{ NULL, 0, NULL, NULL }
};

static int
walk_probe(struct walk *w, const cJSON *v, struct probe *p, int type)
{
	struct probe_walk pw = { p, type };
	size_t mark;

	if (walk_object(w, v, probe_rules, &pw) == -1)
		return -1;
	if (p->h.kind == HANDLER_NONE)
		return fail(w, "must specify a handler type (exec, httpGet, "
		    "tcpSocket or grpc)");
	if (type != PROBE_READINESS && p->success_threshold != 1) {
		mark = path_key(w, "successThreshold");
		fail(w, "must be 1 for %ss", pod_probe_name(type));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

int
c_liveness_probe(struct walk *w, const cJSON *v, struct container_spec *c)
{
	return walk_probe(w, v, &c->liveness, PROBE_LIVENESS);
}

int
c_readiness_probe(struct walk *w, const cJSON *v, struct container_spec *c)
{
	return walk_probe(w, v, &c->readiness, PROBE_READINESS);
}

int
c_startup_probe(struct walk *w, const cJSON *v, struct container_spec *c)
{
	return walk_probe(w, v, &c->startup, PROBE_STARTUP);
}

/* after the container: what its probes name of it */
int
container_probes_check(struct walk *w, const struct container_spec *c)
{
	const struct probe *p;
	int t;

	for (t = 0; t < PROBE_NTYPES; t++)
		if ((p = pod_probe(c, t)) != NULL &&
		    handler_check(w, pod_probe_name(t), &p->h, c) == -1)
			return -1;
	return 0;
}
