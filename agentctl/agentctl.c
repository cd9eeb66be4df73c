/*
 * agentctl: the operator's command line.  It talks to agentd over the
 * root-only control socket (found from the config, or -s), reads CRI log
 * files for `logs`, and verifies or shows the audit log offline.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit_cmd.h"
#include "config.h"
#include "crilog.h"
#include "ipc.h"
#include "log.h"
#include "logs.h"
#include "msgcat.h"
#include "msgschema.h"
#include "proctab.h"
#include "pod.h"

#define CTL_MAX_REPLY		(64 * 1024 * 1024)
#define CTL_TIMEOUT_MS		(300 * 1000)	/* an import may take a while */
#define EVENTS_WATCH_POLL_US	1000000	/* events -w asks once a second */

static const char	*conffile = CONFIG_DEFAULT_PATH;
static const char	*sockpath;
static struct agentd_config conf;
static int		 conf_loaded;
static int		 conf_given;	/* -f on the command line */
static int		 quiet_connect;	/* no agentd: a failed request */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: agentctl [-f config] [-s socket] command ...\n"
	    "  status [-o json]\n"
	    "  get pods [-o json|wide]\n"
	    "  get pod NAMESPACE/NAME [-o json]\n"
	    "  get node [NAME] [-o json]\n"
	    "  describe pod NAMESPACE/NAME\n"
	    "  events [-w] [--pod NAMESPACE/NAME] [-o json]\n"
	    "  logs NAMESPACE/POD [-c CONTAINER] [--previous] [-f] "
	    "[--tail N]\n"
	    "       [--since DURATION] [--timestamps]\n"
	    "  image import PATH[:TAG] NAME\n"
	    "  image ls\n"
	    "  audit verify [--key FILE] [--anchor FILE] [--mark] [FILE...]\n"
	    "  audit show [--pod NS/NAME] [--action A] [--since T] "
	    "[--until T] [-o json|wide] [FILE...]\n");
	exit(2);
}

static void
load_conf(void)
{
	char err[1024];

	if (conf_loaded)
		return;
	if (config_load(&conf, conffile, err, sizeof(err)) == -1)
		fatalx("%s", err);
	conf_loaded = 1;
}

static int
connect_agentd(void)
{
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path)];
	int s;

	if (sockpath == NULL) {
		load_conf();
		if (snprintf(path, sizeof(path), "%s/agentd.sock",
		    conf.run_dir) >= (int)sizeof(path))
			fatalx("socket path too long");
	} else
		snprintf(path, sizeof(path), "%s", sockpath);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (quiet_connect) {
			close(s);
			return -1;
		}
		fatal("cannot reach agentd at %s", path);
	}
	return s;
}

/*
 * Send a request, collect the reply text; a failed reply returns NULL
 * with agentd's reason in err.  Exits when agentd cannot be reached.
 */
static char *
request_try(struct ipc_msg *req, char *err, size_t errlen)
{
	struct ipc_msg m;
	char *out = NULL;
	size_t len = 0, n;
	const uint8_t *p;
	uint32_t status;
	int s = connect_agentd();

	if (s == -1) {
		snprintf(err, errlen, "agentd cannot be reached");
		return NULL;
	}
	if (ipc_write_msg(s, req) == -1)
		fatal("write to agentd");
	for (;;) {
		if (ipc_read_msg(s, &m, CTL_TIMEOUT_MS) == -1)
			fatal("reply from agentd");
		if (m.type == CTL_REPLY_END)
			break;
		if (m.type != CTL_REPLY_CHUNK ||
		    ipc_get_bytes_ref(&m, &p, MSGB_REPLY_CHUNK, &n) == -1 ||
		    ipc_get_end(&m) == -1 || len + n > CTL_MAX_REPLY)
			fatalx("malformed reply from agentd");
		if ((out = realloc(out, len + n + 1)) == NULL)
			fatal("realloc");
		memcpy(out + len, p, n);
		len += n;
		ipc_msg_free(&m);
	}
	if (ipc_get_u32(&m, &status) == -1 ||
	    ipc_get_str(&m, err, errlen) == -1 || ipc_get_end(&m) == -1)
		fatalx("malformed reply from agentd");
	ipc_msg_free(&m);
	close(s);
	if (status != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "request failed");
		free(out);
		return NULL;
	}
	if (out == NULL && (out = strdup("")) == NULL)
		fatal("strdup");
	out[len] = '\0';
	return out;
}

/* the same, but a failed reply ends agentctl with agentd's reason */
static char *
request(struct ipc_msg *req)
{
	char err[1024], *out;

	if ((out = request_try(req, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	return out;
}

enum output { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_WIDE };

/* -o json, or -o wide where the command has it (wide_ok) */
static enum output
output_format(int argc, char **argv, int wide_ok)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			if (strcmp(argv[i + 1], "json") == 0)
				return OUTPUT_JSON;
			if (wide_ok && strcmp(argv[i + 1], "wide") == 0)
				return OUTPUT_WIDE;
			fatalx("unknown output format %s", argv[i + 1]);
		}
	return OUTPUT_TABLE;
}

static int
want_json(int argc, char **argv)
{
	return output_format(argc, argv, 0) == OUTPUT_JSON;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

static void
print_network(const cJSON *n)
{
	if (!cJSON_IsObject(n))
		return;
	if (strcmp(json_str(n, "mode"), "cni") == 0)
		printf("network: %s (%s)\n", json_str(n, "name"),
		    json_str(n, "file"));
	else
		printf("network: loopback only (no CNI configuration in %s)\n",
		    json_str(n, "cniConfDir"));
}

/* "api: https://HOST:PORT (token), N grants" or "api: none (standalone)" */
static void
print_api(const cJSON *a)
{
	const char *cred;

	if (!cJSON_IsObject(a))
		return;
	if (strcmp(json_str(a, "mode"), "api") != 0) {
		printf("api: none (standalone)\n");
		return;
	}
	cred = json_str(a, "credentials");
	printf("api: %s (%s), %.0f grants\n", json_str(a, "server"),
	    strcmp(cred, "none") == 0 ? "no credentials" : cred,
	    cJSON_GetNumberValue(cJSON_GetObjectItem(a, "grants")));
}

static int
cmd_status(int argc, char **argv)
{
	struct ipc_msg m;
	cJSON *root, *procs, *p;
	char *text;

	ipc_msg_init(&m, CTL_STATUS, 0);
	text = request(&m);
	if (want_json(argc, argv)) {
		printf("%s\n", text);
		free(text);
		return 0;
	}
	/* agentd's own reply: trusted, produced by the parent itself */
	if ((root = cJSON_Parse(text)) == NULL)
		fatalx("agentd sent unreadable status");
	procs = cJSON_GetObjectItem(root, "processes");
	printf("%-10s %-8s %-6s %-9s %s\n", "ROLE", "PID", "UID", "RESTARTS",
	    "STATE");
	cJSON_ArrayForEach(p, procs)
		printf("%-10s %-8d %-6d %-9d %s\n",
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "role")),
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "pid")),
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "uid")),
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p,
		    "restarts")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "state")));
	p = cJSON_GetObjectItem(root, "storageDriver");
	if (cJSON_IsString(p) && p->valuestring[0] != '\0')
		printf("storage driver: %s\n", p->valuestring);
	print_network(cJSON_GetObjectItem(root, "network"));
	print_api(cJSON_GetObjectItem(root, "api"));
	cJSON_Delete(root);
	free(text);
	return 0;
}

/*
 * The table comes from the reporter, which is sandboxed because it is not
 * trusted: its rows are printed line by line with control bytes escaped,
 * so even a compromised reporter cannot drive the terminal.
 */
static void
print_table(const char *text)
{
	const char *nl;
	char *line, *esc;
	size_t n, elen;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		n = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if ((line = strndup(text, n)) == NULL)
			fatal("strndup");
		elen = str_escape_ctl(NULL, 0, line) + 1;
		if ((esc = malloc(elen)) == NULL)
			fatal("malloc");
		str_escape_ctl(esc, elen, line);
		printf("%s\n", esc);
		free(esc);
		free(line);
		text += n + (nl != NULL);
	}
}

static int
cmd_get(int argc, char **argv)
{
	static const uint32_t pods_kind[] = {
		[OUTPUT_TABLE] = QUERY_POD_TABLE,
		[OUTPUT_JSON] = QUERY_PODLIST_JSON,
		[OUTPUT_WIDE] = QUERY_POD_TABLE_WIDE,
	};
	struct ipc_msg m;
	char *text;
	enum output out;
	int json;

	if (argc < 2)
		usage();
	/* -o wide is a table of all pods; one pod is always its JSON */
	out = output_format(argc, argv, strcmp(argv[1], "pods") == 0);
	json = out == OUTPUT_JSON;
	ipc_msg_init(&m, CTL_GET_PODS, 0);
	/* kubectl's resource names: node, nodes, no; the node is this one */
	if (strcmp(argv[1], "node") == 0 || strcmp(argv[1], "nodes") == 0 ||
	    strcmp(argv[1], "no") == 0) {
		ipc_put_u32(&m, json ? QUERY_NODE_JSON : QUERY_NODE_TABLE);
		/* a name, as `kubectl get node NAME`: it must be this one */
		ipc_put_str(&m, argc >= 3 && strcmp(argv[2], "-o") != 0 ?
		    argv[2] : "");
	} else if (strcmp(argv[1], "pods") == 0) {
		ipc_put_u32(&m, pods_kind[out]);
		ipc_put_str(&m, "");
	} else if (strcmp(argv[1], "pod") == 0 && argc >= 3 &&
	    strchr(argv[2], '/') != NULL) {
		ipc_put_u32(&m, QUERY_POD_JSON);
		ipc_put_str(&m, argv[2]);
	} else
		usage();
	text = request(&m);
	if (json || strcmp(argv[1], "pod") == 0) {
		/* JSON: cJSON escapes control bytes in strings itself */
		fputs(text, stdout);
		putchar('\n');
	} else
		print_table(text);
	free(text);
	return 0;
}

static int
cmd_image(int argc, char **argv)
{
	char src[PATH_MAX], path[PATH_MAX], *colon;
	struct ipc_msg m;
	char *text;

	if (argc >= 2 && strcmp(argv[1], "ls") == 0) {
		ipc_msg_init(&m, CTL_IMAGE_LIST, 0);
	} else if (argc == 4 && strcmp(argv[1], "import") == 0) {
		/* "dir:tag" names a tag inside an OCI layout */
		snprintf(src, sizeof(src), "%s", argv[2]);
		colon = strrchr(src, ':');
		if (colon != NULL && access(src, F_OK) == -1)
			*colon = '\0';
		if (realpath(src, path) == NULL)
			fatal("%s", src);
		if (colon != NULL && access(argv[2], F_OK) == -1) {
			size_t n = strlen(path);
			snprintf(path + n, sizeof(path) - n, ":%s", colon + 1);
		}
		ipc_msg_init(&m, CTL_IMAGE_IMPORT, 0);
		ipc_put_str(&m, path);
		ipc_put_str(&m, argv[3]);
	} else
		usage();
	text = request(&m);
	fputs(text, stdout);
	free(text);
	return 0;
}

/* ---- events and describe: rendered (and escaped) by the reporter ---- */

static char *
query(uint32_t kind, const char *filter)
{
	struct ipc_msg m;

	ipc_msg_init(&m, CTL_GET_PODS, 0);
	ipc_put_u32(&m, kind);
	ipc_put_str(&m, filter);
	return request(&m);
}

static int
cmd_describe(int argc, char **argv)
{
	char *text;

	if (argc != 3 || strcmp(argv[1], "pod") != 0 ||
	    strchr(argv[2], '/') == NULL)
		usage();
	text = query(QUERY_POD_DESCRIBE, argv[2]);
	fputs(text, stdout);
	free(text);
	return 0;
}

/*
 * -w: each answer starts with the reporter's clock, the next "since".  A
 * reporter being restarted is waited for; it then resends everything, so
 * the events are printed once more.
 */
static void
events_watch(const char *pod)
{
	char filter[64 + 2 * POD_MAX_NAME], err[1024], *text, *rows;
	long long since = 0;
	struct ipc_msg m;

	for (;;) {
		snprintf(filter, sizeof(filter), "%lld%s%s", since,
		    pod ? " " : "", pod ? pod : "");
		ipc_msg_init(&m, CTL_GET_PODS, 0);
		ipc_put_u32(&m, QUERY_EVENTS_WATCH);
		ipc_put_str(&m, filter);
		if ((text = request_try(&m, err, sizeof(err))) == NULL) {
			log_warnx("%s", err);
			usleep(EVENTS_WATCH_POLL_US);
			continue;
		}
		since = strtoll(text, &rows, 10);
		if (*rows == '\n')
			rows++;
		fputs(rows, stdout);
		fflush(stdout);
		free(text);
		usleep(EVENTS_WATCH_POLL_US);
	}
}

static int
cmd_events(int argc, char **argv)
{
	const char *pod = NULL;
	int i, watch = 0, json = want_json(argc, argv);
	char *text;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 ||
		    strcmp(argv[i], "--watch") == 0)
			watch = 1;
		else if (strcmp(argv[i], "--pod") == 0 && i + 1 < argc &&
		    strchr(argv[i + 1], '/') != NULL &&
		    strlen(argv[i + 1]) < 2 * POD_MAX_NAME + 2)
			pod = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			i++;
		else
			usage();
	}
	if (watch && json)
		fatalx("-w prints the table only");
	if (watch)
		events_watch(pod);
	text = query(json ? QUERY_EVENTS_JSON : QUERY_EVENTS_TABLE,
	    pod ? pod : "");
	fputs(text, stdout);
	if (json)
		putchar('\n');
	free(text);
	return 0;
}

/* ---- logs (logs.c): podLogsDir/<ns>_<pod>_<uid>/<container>/N.log ---- */

/*
 * The pod's JSON for `logs` (its uid, lastState, phase); NULL when agentd
 * is not there (logs are files: they are read without it) or knows no
 * such pod (*gone).
 */
static cJSON *
logs_pod_status(const char *nsname, int *gone)
{
	struct ipc_msg m;
	char err[1024], *text;
	cJSON *pod;

	*gone = 0;
	quiet_connect = 1;
	ipc_msg_init(&m, CTL_GET_PODS, 0);
	ipc_put_u32(&m, QUERY_POD_JSON);
	ipc_put_str(&m, nsname);
	text = request_try(&m, err, sizeof(err));
	quiet_connect = 0;
	if (text == NULL) {
		*gone = strstr(err, "not found") != NULL;
		return NULL;
	}
	pod = cJSON_Parse(text);
	free(text);
	return pod;
}

static int
cmd_logs(int argc, char **argv)
{
	struct logs_opts o;
	const char *slash = NULL, *name = NULL;
	char *end;
	int64_t d;
	int i;

	memset(&o, 0, sizeof(o));
	o.tail = -1;
	/* options before or after NAMESPACE/POD, as kubectl takes them */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			snprintf(o.container, sizeof(o.container), "%s",
			    argv[++i]);
		else if (strcmp(argv[i], "--previous") == 0 ||
		    strcmp(argv[i], "-p") == 0)
			o.previous = 1;
		else if (strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--follow") == 0)
			o.follow = 1;
		else if (strcmp(argv[i], "--timestamps") == 0)
			o.timestamps = 1;
		else if (strcmp(argv[i], "--tail") == 0 && i + 1 < argc) {
			errno = 0;
			o.tail = strtoll(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] ||
			    o.tail < -1)
				fatalx("--tail %s: must be a number of lines "
				    "(-1: all)", argv[i]);
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (cri_parse_duration(argv[++i], &d) == -1)
				fatalx("--since %s: must be a duration such as "
				    "10s, 5m or 1h", argv[i]);
			o.since_ns = pod_now_ns() - d;
		} else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else
			usage();
	}
	if (name == NULL || (slash = strchr(name, '/')) == NULL ||
	    (size_t)(slash - name) >= sizeof(o.ns) ||
	    strlen(slash + 1) >= sizeof(o.pod))
		usage();
	memcpy(o.ns, name, (size_t)(slash - name));
	snprintf(o.pod, sizeof(o.pod), "%s", slash + 1);
	load_conf();
	o.pod_logs_dir = conf.pod_logs_dir;
	o.pod_status = logs_pod_status;
	return logs_run(&o);
}

/* the global -f names the config whose auditLog the audit commands read */
static int
cmd_audit(int argc, char **argv)
{
	char **av;
	int i, n = 0, rv;

	if (!conf_given || argc < 2)
		return audit_cmd_main(argc, argv);
	if ((av = calloc((size_t)argc + 3, sizeof(*av))) == NULL)
		fatal("calloc");
	av[n++] = argv[0];
	av[n++] = argv[1];
	av[n++] = "-f";
	av[n++] = (char *)conffile;
	for (i = 2; i < argc; i++)
		av[n++] = argv[i];
	rv = audit_cmd_main(n, av);
	free(av);
	return rv;
}

#ifdef AGENTD_TEST_HOOKS
static int
cmd_test_hook(int argc, char **argv)
{
	const struct proc_desc *p;
	struct ipc_msg m;
	int i;

	if (argc < 3 || argc > 3 + TEST_HOOK_MAX_ARGS)
		usage();
	if ((p = proc_by_name(argv[1])) == NULL)
		usage();
	ipc_msg_init(&m, CTL_TEST_HOOK, 0);
	ipc_put_u32(&m, p->role);
	ipc_put_u32(&m, (uint32_t)atoi(argv[2]));
	ipc_put_u32(&m, (uint32_t)(argc - 3));
	for (i = 3; i < argc; i++)
		ipc_put_u32(&m, (uint32_t)strtoul(argv[i], NULL, 0));
	free(request(&m));
	return 0;
}
#endif

int
main(int argc, char *argv[])
{
	int ch;

	log_init("agentctl", LOG_LVL_WARN, 0);
	while ((ch = getopt(argc, argv, "+f:s:h")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			conf_given = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(argc, argv);
	if (strcmp(argv[0], "get") == 0)
		return cmd_get(argc, argv);
	if (strcmp(argv[0], "image") == 0)
		return cmd_image(argc, argv);
	if (strcmp(argv[0], "logs") == 0)
		return cmd_logs(argc, argv);
	if (strcmp(argv[0], "events") == 0)
		return cmd_events(argc, argv);
	if (strcmp(argv[0], "describe") == 0)
		return cmd_describe(argc, argv);
	if (strcmp(argv[0], "audit") == 0)
		return cmd_audit(argc, argv);
#ifdef AGENTD_TEST_HOOKS
	if (strcmp(argv[0], "test-hook") == 0)
		return cmd_test_hook(argc, argv);
#endif
	usage();
	return 2;
}
