/*
 * Probes and their handlers (workers/watcher/probefields.c): the API
 * server's defaults, each validation error naming its field, ports by
 * name against the container's ports, and the round trip over podwire.
 */
#include <stdint.h>

#include "tap.h"
#include "ipc.h"
#include "../../workers/watcher/manifest.h"

#define HEAD	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n" \
		"  containers:\n  - name: app\n    image: nginx:1.25\n" \
		"    ports:\n    - name: http\n      containerPort: 8080\n"
#define C0	"spec.containers[0]."

static int
parse(const char *text, struct pod *p, struct manifest_error *e)
{
	return manifest_parse_static("/etc/agentd/manifests/web.yaml",
	    (const uint8_t *)text, strlen(text), "node-1", p, e);
}

static void
parse_ok(const char *text, struct pod *p)
{
	struct manifest_error e;

	if (parse(text, p, &e) != 0) {
		fprintf(stderr, "rejected: [%s] %s\n", e.field, e.reason);
		exit(1);
	}
}

static void
rejected(int line, const char *text, const char *field, const char *sub)
{
	struct manifest_error e;
	struct pod p;

	if (parse(text, &p, &e) == 0) {
		fprintf(stderr, "line %d: accepted, expected [%s] %s\n", line,
		    field, sub);
		tap_failed_here = 1;
		pod_free(&p);
		return;
	}
	if (strcmp(e.field, field) != 0 || strstr(e.reason, sub) == NULL) {
		fprintf(stderr, "line %d: got [%s] %s\n  expected [%s] %s\n",
		    line, e.field, e.reason, field, sub);
		tap_failed_here = 1;
	}
}
#define REJECTED(t, f, s)	rejected(__LINE__, (t), (f), (s))

TEST(test_probe_defaults)
{
	struct pod p;
	const struct probe *pr;

	parse_ok(HEAD "    livenessProbe:\n      exec:\n"
	    "        command: [cat, /tmp/ok]\n", &p);
	pr = pod_probe(&p.containers[0], PROBE_LIVENESS);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->h.kind, HANDLER_EXEC);
	CHECK_EQ_INT(pr->h.exec_command.n, 2);
	CHECK_STR(pr->h.exec_command.v[1], "/tmp/ok");
	CHECK_EQ_INT(pr->initial_delay_s, 0);
	CHECK_EQ_INT(pr->period_s, 10);
	CHECK_EQ_INT(pr->timeout_s, 1);
	CHECK_EQ_INT(pr->success_threshold, 1);
	CHECK_EQ_INT(pr->failure_threshold, 3);
	CHECK_EQ_INT(pr->termination_grace_s, -1);
	CHECK(pod_probe(&p.containers[0], PROBE_READINESS) == NULL);
	CHECK(pod_probe(&p.containers[0], PROBE_STARTUP) == NULL);
	pod_free(&p);
}

/* SetDefaults_Probe: a 0 is the default, not a 0 */
TEST(test_probe_zero_is_default)
{
	struct pod p;
	const struct probe *pr;

	parse_ok(HEAD "    readinessProbe:\n      tcpSocket:\n"
	    "        port: 8080\n      periodSeconds: 0\n"
	    "      timeoutSeconds: 0\n      successThreshold: 0\n"
	    "      failureThreshold: 0\n", &p);
	pr = pod_probe(&p.containers[0], PROBE_READINESS);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->period_s, 10);
	CHECK_EQ_INT(pr->timeout_s, 1);
	CHECK_EQ_INT(pr->success_threshold, 1);
	CHECK_EQ_INT(pr->failure_threshold, 3);
	pod_free(&p);
}

TEST(test_probe_http_get_fields)
{
	struct pod p;
	const struct probe *pr;

	parse_ok(HEAD "    readinessProbe:\n      httpGet:\n"
	    "        path: /healthz?x=1\n        port: http\n"
	    "        host: 127.0.0.1\n        scheme: HTTPS\n"
	    "        httpHeaders:\n        - name: X-Probe\n"
	    "          value: yes please\n"
	    "      initialDelaySeconds: 3\n      periodSeconds: 2\n"
	    "      successThreshold: 2\n", &p);
	pr = pod_probe(&p.containers[0], PROBE_READINESS);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->h.kind, HANDLER_HTTP_GET);
	CHECK_STR(pr->h.http_path, "/healthz?x=1");
	CHECK_STR(pr->h.http_port, "http");
	CHECK_EQ_INT(pod_handler_port(pr->h.http_port, &p.containers[0]),
	    8080);
	CHECK_STR(pr->h.http_host, "127.0.0.1");
	CHECK_EQ_INT(pr->h.http_scheme, SCHEME_HTTPS);
	CHECK_EQ_INT(pr->h.n_http_headers, 1);
	CHECK_STR(pr->h.http_headers[0].key, "X-Probe");
	CHECK_STR(pr->h.http_headers[0].value, "yes please");
	CHECK_EQ_INT(pr->initial_delay_s, 3);
	CHECK_EQ_INT(pr->period_s, 2);
	CHECK_EQ_INT(pr->success_threshold, 2);
	pod_free(&p);
}

TEST(test_probe_numeric_port_and_grace)
{
	struct pod p;
	const struct probe *pr;

	parse_ok(HEAD "    startupProbe:\n      tcpSocket:\n"
	    "        port: 9000\n      terminationGracePeriodSeconds: 5\n",
	    &p);
	pr = pod_probe(&p.containers[0], PROBE_STARTUP);
	CHECK(pr != NULL);
	CHECK_STR(pr->h.tcp_port, "9000");
	CHECK_EQ_INT(pod_handler_port(pr->h.tcp_port, &p.containers[0]),
	    9000);
	CHECK_EQ_INT(pr->termination_grace_s, 5);
	pod_free(&p);
}

TEST(test_probe_needs_one_handler)
{
	REJECTED(HEAD "    livenessProbe:\n      periodSeconds: 2\n",
	    C0 "livenessProbe", "must specify a handler type");
	REJECTED(HEAD "    livenessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      tcpSocket:\n        port: 80\n",
	    C0 "livenessProbe.tcpSocket",
	    "may not specify more than 1 handler type");
	REJECTED(HEAD "    livenessProbe:\n      exec: {}\n",
	    C0 "livenessProbe.exec.command", "required");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        path: /\n",
	    C0 "livenessProbe.httpGet.port", "required");
	REJECTED(HEAD "    livenessProbe:\n      tcpSocket: {}\n",
	    C0 "livenessProbe.tcpSocket.port", "required");
}

TEST(test_probe_grpc_fields)
{
	struct pod p;
	const struct probe *pr;

	parse_ok(HEAD "    livenessProbe:\n      grpc:\n        port: 9000\n"
	    "        service: health.v1\n", &p);
	pr = pod_probe(&p.containers[0], PROBE_LIVENESS);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->h.kind, HANDLER_GRPC);
	CHECK_EQ_INT(pr->h.grpc_port, 9000);
	CHECK_STR(pr->h.grpc_service, "health.v1");
	pod_free(&p);
	REJECTED(HEAD "    livenessProbe:\n      grpc:\n        service: x\n",
	    C0 "livenessProbe.grpc.port", "required");
	REJECTED(HEAD "    livenessProbe:\n      grpc:\n        port: http\n",
	    C0 "livenessProbe.grpc.port", "expected an integer");
	REJECTED(HEAD "    livenessProbe:\n      grpc:\n        port: 70000\n",
	    C0 "livenessProbe.grpc.port", "must be between 1 and 65535");
	REJECTED(HEAD "    livenessProbe:\n      grpc:\n        port: 1\n"
	    "        host: 1.2.3.4\n",
	    C0 "livenessProbe.grpc.host", "unknown field");
}

TEST(test_probe_thresholds)
{
	REJECTED(HEAD "    livenessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      successThreshold: 2\n",
	    C0 "livenessProbe.successThreshold",
	    "must be 1 for livenessProbes");
	REJECTED(HEAD "    startupProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      successThreshold: 3\n",
	    C0 "startupProbe.successThreshold", "must be 1 for startupProbes");
	REJECTED(HEAD "    readinessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      periodSeconds: -1\n",
	    C0 "readinessProbe.periodSeconds",
	    "must be greater than or equal to 0");
	REJECTED(HEAD "    readinessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      failureThreshold: 2147483648\n",
	    C0 "readinessProbe.failureThreshold", "must be between");
	REJECTED(HEAD "    readinessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n      timeoutSeconds: 1.5\n",
	    C0 "readinessProbe.timeoutSeconds", "fractional");
}

TEST(test_probe_grace_rules)
{
	REJECTED(HEAD "    readinessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n"
	    "      terminationGracePeriodSeconds: 5\n",
	    C0 "readinessProbe.terminationGracePeriodSeconds",
	    "must not be set for readinessProbes");
	REJECTED(HEAD "    livenessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n"
	    "      terminationGracePeriodSeconds: 0\n",
	    C0 "livenessProbe.terminationGracePeriodSeconds",
	    "must be greater than 0");
}

TEST(test_probe_ports)
{
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: metrics\n",
	    C0 "livenessProbe.httpGet.port", "names no port");
	REJECTED(HEAD "    livenessProbe:\n      tcpSocket:\n        port: 0\n",
	    C0 "livenessProbe.tcpSocket.port", "must be between 1 and 65535");
	REJECTED(HEAD "    livenessProbe:\n      tcpSocket:\n"
	    "        port: 65536\n",
	    C0 "livenessProbe.tcpSocket.port", "must be between 1 and 65535");
	REJECTED(HEAD "    livenessProbe:\n      tcpSocket:\n"
	    "        port: \"8080\"\n",
	    C0 "livenessProbe.tcpSocket.port", "invalid port name");
	REJECTED(HEAD "    livenessProbe:\n      tcpSocket:\n"
	    "        port: [80]\n",
	    C0 "livenessProbe.tcpSocket.port", "expected a port number");
}

TEST(test_probe_http_input)
{
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        host: example.com\n",
	    C0 "livenessProbe.httpGet.host", "must be an IP address");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        path: healthz\n",
	    C0 "livenessProbe.httpGet.path", "absolute path");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        path: \"/a b\"\n",
	    C0 "livenessProbe.httpGet.path", "must not contain spaces");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        scheme: FTP\n",
	    C0 "livenessProbe.httpGet.scheme", "must be HTTP or HTTPS");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        httpHeaders:\n        - name: \"Bad Name\"\n",
	    C0 "livenessProbe.httpGet.httpHeaders[0].name",
	    "invalid HTTP header name");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        httpHeaders:\n        - name: X\n"
	    "          value: \"a\\r\\nHost: evil\"\n",
	    C0 "livenessProbe.httpGet.httpHeaders[0].value",
	    "control characters");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        httpHeaders:\n        - value: x\n",
	    C0 "livenessProbe.httpGet.httpHeaders[0].name", "required");
	REJECTED(HEAD "    livenessProbe:\n      httpGet:\n        port: 80\n"
	    "        bogus: 1\n",
	    C0 "livenessProbe.httpGet.bogus", "unknown field");
}

TEST(test_probe_header_bound)
{
	char *text = NULL, *more;
	int i;

	for (i = 0; i <= POD_MAX_HTTP_HEADERS; i++) {
		if (asprintf(&more, "%s        - name: H%d\n", text ? text :
		    HEAD "    livenessProbe:\n      httpGet:\n"
		    "        port: 80\n        httpHeaders:\n", i) == -1)
			exit(2);
		free(text);
		text = more;
	}
	REJECTED(text, C0 "livenessProbe.httpGet.httpHeaders",
	    "too many httpHeaders");
	free(text);
}

/* what the watcher sends is what the executor gets */
TEST(test_probe_podwire_round_trip)
{
	struct pod p, q;
	struct ipc_msg m;
	const struct probe *pr;

	parse_ok(HEAD "    livenessProbe:\n      httpGet:\n        port: http\n"
	    "        path: /h\n        httpHeaders:\n        - name: A\n"
	    "          value: b\n      periodSeconds: 2\n"
	    "      terminationGracePeriodSeconds: 7\n"
	    "    startupProbe:\n      exec:\n        command: [sh, -c, x]\n",
	    &p);
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, &p) == 0);
	REQUIRE(podwire_get_pod(&m, &q) == 0);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	pr = pod_probe(&q.containers[0], PROBE_LIVENESS);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->h.kind, HANDLER_HTTP_GET);
	CHECK_STR(pr->h.http_port, "http");
	CHECK_STR(pr->h.http_path, "/h");
	CHECK_STR(pr->h.http_headers[0].value, "b");
	CHECK_EQ_INT(pr->period_s, 2);
	CHECK_EQ_INT(pr->termination_grace_s, 7);
	pr = pod_probe(&q.containers[0], PROBE_STARTUP);
	CHECK(pr != NULL);
	CHECK_EQ_INT(pr->h.exec_command.n, 3);
	CHECK(pod_probe(&q.containers[0], PROBE_READINESS) == NULL);
	ipc_msg_free(&m);
	pod_free(&p);
	pod_free(&q);
}
