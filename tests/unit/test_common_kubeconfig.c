/*
 * kubeconfig.c: kubectl's own files (tests/fixtures/kubeconfig), the
 * clientcmd rules (relative files, -data against the file, cert and key
 * in pairs, insecure against a CA, an inline token over tokenFile), the
 * server URL forms, and each refusal naming its field.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "kubeconfig.h"
#include "tap.h"

#define ERRLEN		512
#define FIXTURES	"tests/fixtures/kubeconfig"

static char tmpdir[64];

static void
put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(text, f);
	REQUIRE(fclose(f) == 0);
}

static void
rmtmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s failed\n", cmd);
}

/* each test runs in its own child: its directory goes when it exits */
static void
mktmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kcXXXXXX");
	REQUIRE(mkdtemp(tmpdir) != NULL);
	REQUIRE(atexit(rmtmp) == 0);
}

/* a fixture copied into tmpdir, so that its relative files resolve there */
static void
put_fixture(const char *name, const char *as)
{
	char path[PATH_MAX], buf[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	REQUIRE((f = fopen(path, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	put(as, buf);
}

static int
load(struct kubeconfig *kc, const char *name, char *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	err[0] = '\0';
	return kubeconfig_load(kc, path, err, ERRLEN);
}

static int
parse(struct kubeconfig *kc, const char *yaml, char *err)
{
	err[0] = '\0';
	return kubeconfig_parse(kc, yaml, strlen(yaml), tmpdir, err, ERRLEN);
}

/* a whole kubeconfig around one cluster and one user body */
static const char *
doc(const char *cluster, const char *user)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
	    "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	    "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
	    "clusters:\n- name: k\n  cluster:\n%s"
	    "users:\n- name: u\n  user:\n%s", cluster, user);
	return buf;
}

#define SERVER	"    server: https://10.0.0.1:6443\n"
#define TOKEN	"    token: abc\n"

static void
check_error(const char *yaml, const char *want)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&kc, yaml, err), -1);
	CHECK_STR(err, want);
	CHECK(kc.token == NULL && kc.ca == NULL && kc.key == NULL);
}

TEST(kubectl_node_certificate_files)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	put_fixture("node-cert.yaml", "kubeconfig");
	put("ca.crt", "CA PEM\n");
	put("n1.crt", "CERT PEM\n");
	put("n1.key", "KEY PEM\n");
	REQUIRE(load(&kc, "kubeconfig", err) == 0);
	CHECK_STR(kc.context, "n1");
	CHECK_STR(kc.cluster, "local");
	CHECK_STR(kc.user, "system:node:n1");
	CHECK_STR(kc.host, "127.0.0.1");
	CHECK_EQ_INT(kc.port, 6443);
	CHECK_EQ_INT(kc.insecure_skip_verify, 0);
	CHECK_STR(kc.ca, "CA PEM\n");
	CHECK_EQ_INT(kc.ca_len, 7);
	CHECK_STR(kc.cert, "CERT PEM\n");
	CHECK_STR(kc.key, "KEY PEM\n");
	CHECK(kc.token == NULL);
	kubeconfig_free(&kc);
}

TEST(kubectl_token_ipv6_insecure)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	put_fixture("token-insecure.yaml", "kc");
	REQUIRE(load(&kc, "kc", err) == 0);
	CHECK_STR(kc.host, "::1");
	CHECK_EQ_INT(kc.port, 8443);
	CHECK_EQ_INT(kc.insecure_skip_verify, 1);
	CHECK_STR(kc.namespace, "kube-system");
	CHECK_STR(kc.token, "abc");
	CHECK(kc.ca == NULL && kc.cert == NULL);
	kubeconfig_free(&kc);
}

TEST(missing_file_names_it)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	CHECK_EQ_INT(load(&kc, "absent", err), -1);
	CHECK(strstr(err, "/absent: No such file or directory") != NULL);
	put_fixture("node-cert.yaml", "kubeconfig");
	CHECK_EQ_INT(load(&kc, "kubeconfig", err), -1);
	CHECK(strstr(err, "clusters[0].cluster: certificate-authority: ") !=
	    NULL);
	CHECK(strstr(err, "/ca.crt: No such file or directory") != NULL);
	put("ca.crt", "CA PEM\n");
	CHECK_EQ_INT(load(&kc, "kubeconfig", err), -1);
	CHECK(strstr(err, "users[0].user: client-certificate: ") != NULL);
	CHECK(strstr(err, "/n1.crt: No such file or directory") != NULL);
}

TEST(data_fields_are_base64)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	/* "CA\n", "C\n", "K\n" */
	REQUIRE(parse(&kc, doc(SERVER
	    "    certificate-authority-data: Q0EK\n",
	    "    client-certificate-data: Qwo=\n"
	    "    client-key-data: Swo=\n"), err) == 0);
	CHECK_STR(kc.ca, "CA\n");
	CHECK_STR(kc.cert, "C\n");
	CHECK_STR(kc.key, "K\n");
	kubeconfig_free(&kc);
	check_error(doc(SERVER "    certificate-authority-data: '!!!'\n",
	    TOKEN), "clusters[0].cluster: certificate-authority-data: not "
	    "valid base64");
}

TEST(clientcmd_exclusions)
{
	mktmp();
	put("ca", "x");
	check_error(doc(SERVER "    certificate-authority: ca\n"
	    "    certificate-authority-data: Q0EK\n", TOKEN),
	    "clusters[0].cluster: certificate-authority and "
	    "certificate-authority-data are both given: give one");
	check_error(doc(SERVER "    certificate-authority: ca\n"
	    "    insecure-skip-tls-verify: true\n", TOKEN),
	    "clusters[0].cluster: insecure-skip-tls-verify: a certificate "
	    "authority and skipping verification exclude each other");
	check_error(doc(SERVER, "    client-certificate-data: Qwo=\n"),
	    "users[0].user: client-key: a client certificate needs its key "
	    "and a key its certificate");
	check_error(doc(SERVER, "    client-key-data: Qwo=\n"),
	    "users[0].user: client-certificate: a client certificate needs "
	    "its key and a key its certificate");
	check_error(doc(SERVER, "    extensions: []\n"),
	    "users[0].user: no credential: give a client certificate and "
	    "key, or a token");
}

TEST(token_file_and_inline_token)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	put("tok", "  secret-token\n");
	REQUIRE(parse(&kc, doc(SERVER, "    tokenFile: tok\n"), err) == 0);
	CHECK_STR(kc.token, "secret-token");
	kubeconfig_free(&kc);
	REQUIRE(parse(&kc, doc(SERVER, TOKEN "    tokenFile: tok\n"),
	    err) == 0);
	CHECK_STR(kc.token, "abc");
	kubeconfig_free(&kc);
	/* it would end up in an HTTP header */
	put("bad", "a\r\nX-Evil: 1\n");
	check_error(doc(SERVER, "    tokenFile: bad\n"), "users[0].user: "
	    "tokenFile: characters other than visible ASCII");
	put("empty", "\n");
	check_error(doc(SERVER, "    tokenFile: empty\n"),
	    "users[0].user: tokenFile: empty");
}

TEST(unsupported_authentication_is_refused)
{
	mktmp();
	check_error(doc(SERVER, "    exec:\n      command: gcloud\n"),
	    "users[0].user: exec: not supported by agentd");
	check_error(doc(SERVER, "    username: a\n    password: b\n"),
	    "users[0].user: username: not supported by agentd");
	check_error(doc(SERVER, TOKEN "    as: admin\n"),
	    "users[0].user: as: not supported by agentd");
	check_error(doc(SERVER "    proxy-url: http://p:3128\n", TOKEN),
	    "clusters[0].cluster: proxy-url: not supported by agentd");
}

TEST(server_forms)
{
	struct kubeconfig kc;
	char err[ERRLEN];

	mktmp();
	REQUIRE(parse(&kc, doc("    server: https://api.example.test/\n",
	    TOKEN), err) == 0);
	CHECK_STR(kc.host, "api.example.test");
	CHECK_EQ_INT(kc.port, 443);
	kubeconfig_free(&kc);
	check_error(doc("    server: http://10.0.0.1:8080\n", TOKEN),
	    "clusters[0].cluster: server: \"http://10.0.0.1:8080\": only "
	    "https:// is supported");
	check_error(doc("    server: https://10.0.0.1:0\n", TOKEN),
	    "clusters[0].cluster: server: bad port");
	check_error(doc("    server: https://10.0.0.1:70000\n", TOKEN),
	    "clusters[0].cluster: server: bad port");
	check_error(doc("    server: https://[::1\n", TOKEN),
	    "clusters[0].cluster: server: unclosed [");
	check_error(doc("    server: https://[zz]:1\n", TOKEN),
	    "clusters[0].cluster: server: bad IPv6 address");
	check_error(doc("    server: https://a_b:1\n", TOKEN),
	    "clusters[0].cluster: server: bad host name");
	check_error(doc("    server: https://h/prefix\n", TOKEN),
	    "clusters[0].cluster: server: \"/prefix\": a path, query or "
	    "fragment is not supported");
	check_error(doc("    insecure-skip-tls-verify: true\n", TOKEN),
	    "clusters[0].cluster: server: required");
}

TEST(context_resolution)
{
	mktmp();
	check_error("kind: Config\n", "kubeconfig: current-context: "
	    "required");
	check_error("kind: Pod\ncurrent-context: c\n", "kind: \"Pod\": "
	    "expected Config");
	check_error("current-context: c\ncontexts: []\n",
	    "contexts: no item named \"c\"");
	check_error("current-context: c\ncontexts:\n- name: c\n"
	    "  context: {user: u}\n", "contexts[0].context: cluster: "
	    "required");
	check_error("current-context: c\ncontexts:\n- name: c\n"
	    "  context: {cluster: k, user: u}\nclusters: {}\n",
	    "clusters: expected a list");
	check_error("- a\n- b\n", "kubeconfig: expected a map");
	check_error("a: [\n", "kubeconfig: line 2: did not find expected "
	    "node content");
}

TEST(file_references_need_a_directory)
{
	struct kubeconfig kc;
	const char *y = doc(SERVER, "    tokenFile: /etc/hostname\n");
	char err[ERRLEN];

	CHECK_EQ_INT(kubeconfig_parse(&kc, y, strlen(y), NULL, err, ERRLEN),
	    -1);
	CHECK_STR(err, "users[0].user: tokenFile: file references are not "
	    "allowed here");
}

TEST(size_bounds)
{
	struct kubeconfig kc;
	char err[ERRLEN], *big;

	REQUIRE((big = calloc(1, KUBECONFIG_MAX_BYTES + 2)) != NULL);
	memset(big, ' ', KUBECONFIG_MAX_BYTES + 1);
	CHECK_EQ_INT(kubeconfig_parse(&kc, big, KUBECONFIG_MAX_BYTES + 1,
	    NULL, err, ERRLEN), -1);
	CHECK_STR(err, "kubeconfig: larger than 1048576 bytes");
	free(big);
	mktmp();
	REQUIRE((big = malloc(KUBECONFIG_MAX_TOKEN + 2)) != NULL);
	memset(big, 'a', KUBECONFIG_MAX_TOKEN + 1);
	big[KUBECONFIG_MAX_TOKEN + 1] = '\0';
	put("bigtok", big);
	free(big);
	CHECK_EQ_INT(parse(&kc, doc(SERVER, "    tokenFile: bigtok\n"), err),
	    -1);
	CHECK(strstr(err, "/bigtok: larger than 8192 bytes") != NULL);
}
