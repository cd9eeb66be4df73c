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
#include "ipc.h"
#include "log.h"
#include "msgcat.h"
#include "msgschema.h"
#include "proctab.h"
#include "pod.h"

#define CTL_MAX_REPLY		(64 * 1024 * 1024)
#define CTL_TIMEOUT_MS		(300 * 1000)	/* an import may take a while */
#define LOGS_FOLLOW_POLL_US	200000
#define EVENTS_WATCH_POLL_US	1000000	/* events -w asks once a second */

static const char	*conffile = CONFIG_DEFAULT_PATH;
static const char	*sockpath;
static struct agentd_config conf;
static int		 conf_loaded;
static int		 conf_given;	/* -f on the command line */

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
	    "  logs NAMESPACE/POD [-c CONTAINER] [--previous] [-f]\n"
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
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("cannot reach agentd at %s", path);
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

/* ---- logs: podLogsDir/<ns>_<pod>_<uid>/<container>/<restart>.log ---- */

static int
newest_pod_dir(const char *ns, const char *pod, char *out, size_t len)
{
	char prefix[2 * POD_MAX_NAME + 3];
	struct dirent *de;
	struct stat st;
	time_t best = 0;
	char path[PATH_MAX];
	DIR *d;
	int found = 0;

	snprintf(prefix, sizeof(prefix), "%s_%s_", ns, pod);
	if ((d = opendir(conf.pod_logs_dir)) == NULL)
		fatal("%s", conf.pod_logs_dir);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    strchr(de->d_name + strlen(prefix), '_') != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", conf.pod_logs_dir,
		    de->d_name);
		if (stat(path, &st) == 0 && (!found || st.st_mtime >= best)) {
			best = st.st_mtime;
			snprintf(out, len, "%s", path);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

static int
only_container(const char *poddir, char *out, size_t len)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(poddir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			if (snprintf(out, len, "%s", de->d_name) >= (int)len)
				n++;	/* not a container name of ours */
			n++;
		}
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* the highest (or second highest for --previous) restart number */
static int
pick_log(const char *cdir, int previous)
{
	struct dirent *de;
	int first = -1, second = -1, n;
	DIR *d;

	if ((d = opendir(cdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "%d.log", &n) != 1 || n < 0)
			continue;
		if (n > first) {
			second = first;
			first = n;
		} else if (n > second)
			second = n;
	}
	closedir(d);
	return previous ? second : first;
}

/* CRI lines: "<time> <stream> <F|P> <text>"; P lines join the next one */
static void
print_cri(const char *line)
{
	const char *p = line;
	int i, partial;

	for (i = 0; i < 2 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || (p[0] != 'F' && p[0] != 'P') || p[1] != ' ') {
		fputs(line, stdout);
		return;
	}
	partial = p[0] == 'P';
	p += 2;
	if (partial) {
		size_t n = strlen(p);
		fwrite(p, 1, n && p[n - 1] == '\n' ? n - 1 : n, stdout);
	} else
		fputs(p, stdout);
}

static void
dump_log(const char *path, int follow)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		fatal("%s", path);
	for (;;) {
		while (getline(&line, &cap, f) != -1)
			print_cri(line);
		if (!follow)
			break;
		fflush(stdout);
		clearerr(f);
		usleep(LOGS_FOLLOW_POLL_US);
	}
	free(line);
	fclose(f);
}

/* no log directory: say whether the pod exists at all, as kubectl does */
static void
no_logs(const char *nsname)
{
	struct ipc_msg m;
	char err[1024], *text;

	ipc_msg_init(&m, CTL_GET_PODS, 0);
	ipc_put_u32(&m, QUERY_POD_JSON);
	ipc_put_str(&m, nsname);
	if ((text = request_try(&m, err, sizeof(err))) == NULL) {
		if (strstr(err, "not found") != NULL)
			fatalx("no such pod %s", nsname);
		fatalx("no logs for pod %s, and agentd cannot say whether it "
		    "exists: %s", nsname, err);
	}
	free(text);
	fatalx("pod %s has no logs yet", nsname);
}

static int
cmd_logs(int argc, char **argv)
{
	char ns[POD_MAX_NAME + 1], *pod, poddir[PATH_MAX], path[PATH_MAX];
	char container[POD_MAX_LABEL + 1] = "";
	int i, previous = 0, follow = 0, n;

	if (argc < 2 || strchr(argv[1], '/') == NULL)
		usage();
	snprintf(ns, sizeof(ns), "%s", argv[1]);
	pod = strchr(ns, '/');
	*pod++ = '\0';
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			snprintf(container, sizeof(container), "%s",
			    argv[++i]);
		else if (strcmp(argv[i], "--previous") == 0 ||
		    strcmp(argv[i], "-p") == 0)
			previous = 1;
		else if (strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--follow") == 0)
			follow = 1;
		else
			usage();
	}
	load_conf();
	if (newest_pod_dir(ns, pod, poddir, sizeof(poddir)) == -1)
		no_logs(argv[1]);
	if (container[0] == '\0' && only_container(poddir, container,
	    sizeof(container)) == -1)
		fatalx("pod %s/%s has several containers: choose one with -c",
		    ns, pod);
	if (snprintf(path, sizeof(path), "%s/%s", poddir, container) >=
	    (int)sizeof(path))
		fatalx("log path too long");
	if ((n = pick_log(path, previous)) < 0)
		fatalx(previous ? "container %s has no previous run" :
		    "no logs for container %s", container);
	if (snprintf(path, sizeof(path), "%s/%s/%d.log", poddir, container,
	    n) >= (int)sizeof(path))
		fatalx("log path too long");
	dump_log(path, follow);
	return 0;
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
