/*
 * The CNI network configuration (common/cniconf.c: libcni's choice of
 * file, a .conf wrapped into a list, invalid files skipped) and the
 * result decoder of agentd-netparse (common/cniresult.c, ipc/netwire.c).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "cninet.h"
#include "ipc.h"
#include "msgschema.h"

static char dir[PATH_MAX];

static void
mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-cni-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

static void
put(const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static void
rm_tmp(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

#define LIST(n, t)	"{\"cniVersion\":\"1.0.0\",\"name\":\"" n "\"," \
			"\"plugins\":[{\"type\":\"" t "\"}," \
			"{\"type\":\"portmap\",\"capabilities\":" \
			"{\"portMappings\":true}}]}"

TEST(test_conf_first_in_lexical_order)
{
	struct cni_conf c;
	char why[128];

	mkdir_tmp();
	put("20-b.conflist", LIST("b", "bridge"));
	put("10-a.conflist", LIST("a", "ptp"));
	put("05-notes.txt", "not a network");
	CHECK_EQ_INT(cni_conf_load(dir, 1, &c, why, sizeof(why)), 0);
	CHECK_STR(c.name, "a");
	CHECK_EQ_INT(c.nplugins, 2);
	CHECK_STR(c.types[0], "ptp");
	CHECK_EQ_INT(c.portmap[0], 0);
	CHECK_EQ_INT(c.portmap[1], 1);
	CHECK(strstr(c.path, "/10-a.conflist") != NULL);
	cni_conf_free(&c);
	rm_tmp();
}

TEST(test_conf_single_plugin_is_wrapped)
{
	struct cni_conf c;
	char why[128];

	mkdir_tmp();
	put("50-z.conflist", LIST("z", "bridge"));
	put("10-one.conf", "{\"cniVersion\":\"0.4.0\",\"name\":\"one\","
	    "\"type\":\"bridge\",\"bridge\":\"cni0\"}");
	CHECK_EQ_INT(cni_conf_load(dir, 1, &c, why, sizeof(why)), 0);
	CHECK_STR(c.name, "one");
	CHECK_STR(c.version, "0.4.0");
	CHECK_EQ_INT(c.nplugins, 1);
	CHECK_STR(c.types[0], "bridge");
	cni_conf_free(&c);
	rm_tmp();
}

TEST(test_conf_invalid_files_are_skipped)
{
	struct cni_conf c;
	char why[128];

	mkdir_tmp();
	put("00-noname.conflist", "{\"cniVersion\":\"1.0.0\",\"plugins\":"
	    "[{\"type\":\"bridge\"}]}");
	put("01-noversion.json", "{\"name\":\"x\",\"type\":\"bridge\"}");
	put("02-noplugins.conflist", "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"x\",\"plugins\":[]}");
	put("03-garbage.conf", "{");
	put("04-slash.conflist", LIST("s", "../../bin/sh"));
	put("09-good.json", "{\"cniVersion\":\"1.0.0\",\"name\":\"good\","
	    "\"type\":\"ptp\"}");
	CHECK_EQ_INT(cni_conf_load(dir, 1, &c, why, sizeof(why)), 0);
	CHECK_STR(c.name, "good");
	cni_conf_free(&c);
	rm_tmp();
}

TEST(test_conf_none)
{
	struct cni_conf c;
	char why[128];

	mkdir_tmp();
	CHECK_EQ_INT(cni_conf_load(dir, 1, &c, why, sizeof(why)), -1);
	CHECK_STR(why, "");
	put("00-bad.conf", "{\"name\":\"x\"}");
	CHECK_EQ_INT(cni_conf_load(dir, 1, &c, why, sizeof(why)), -1);
	CHECK_STR(why, "no valid configuration");
	rm_tmp();
	CHECK_EQ_INT(cni_conf_load("/nonexistent/cni", 1, &c, why,
	    sizeof(why)), -1);
}

static const char RESULT[] =
	"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"cni0\"},"
	"{\"name\":\"eth0\",\"mac\":\"ce:58:f0:1e:6e:2f\","
	"\"sandbox\":\"/run/x/net\"}],\"ips\":[{\"interface\":1,"
	"\"address\":\"10.199.7.2/24\",\"gateway\":\"10.199.7.1\"},"
	"{\"address\":\"fd00::2/64\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\","
	"\"gw\":\"10.199.7.1\"}],\"dns\":{\"nameservers\":[\"10.0.0.10\"],"
	"\"search\":[\"svc.cluster.local\"]},\"extra\":[1,2,3]}";

TEST(test_result_decodes)
{
	struct cni_result r;
	char why[128];

	CHECK_EQ_INT(cni_result_parse(RESULT, strlen(RESULT), &r, why,
	    sizeof(why)), 0);
	CHECK_EQ_INT(r.is_error, 0);
	CHECK_EQ_INT(r.n_ifaces, 2);
	CHECK_STR(r.ifaces[1].sandbox, "/run/x/net");
	CHECK_EQ_INT(r.n_ips, 2);
	CHECK_STR(r.ips[0].address, "10.199.7.2/24");
	CHECK_STR(r.ips[0].gateway, "10.199.7.1");
	CHECK_EQ_INT(r.ips[0].iface, 1);
	CHECK_EQ_INT(r.ips[1].iface, -1);
	CHECK_EQ_INT(r.n_routes, 1);
	CHECK_EQ_INT(r.n_ns, 1);
	CHECK_STR(r.search[0], "svc.cluster.local");
}

TEST(test_result_error_object)
{
	const char *e = "{\"cniVersion\":\"1.0.0\",\"code\":11,"
	    "\"msg\":\"no IP addresses\\navailable\"}";
	struct cni_result r;
	char why[128];

	CHECK_EQ_INT(cni_result_parse(e, strlen(e), &r, why, sizeof(why)), 0);
	CHECK_EQ_INT(r.is_error, 1);
	CHECK_EQ_INT(r.err_code, 11);
	CHECK_STR(r.err_msg, "no IP addresses available");
}

TEST(test_result_refuses_malformed)
{
	static const char *const bad[] = {
		"", "[]", "{\"ips\":[{\"address\":\"10.0.0.1\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.1/33\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.1/24\",\"gateway\":\"x\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.1/24\",\"interface\":0}]}",
		"{\"ips\":[{\"address\":\"10.0.0.1/24\",\"interface\":-1}]}",
		"{\"interfaces\":[{\"name\":\"a\\u0001\"}]}",
		"{\"interfaces\":{}}",
		"{\"routes\":[{\"dst\":\"default\"}]}",
		"{\"dns\":{\"nameservers\":[\"8.8.8.8; rm\"]}}",
		"{\"ips\":[1,2,3,4,5,6,7,8,9]}",
		"{\"code\":\"x\"}",
	};
	struct cni_result r;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(cni_result_parse(bad[i], strlen(bad[i]), &r, why,
		    sizeof(why)), -1);
		CHECK(why[0] != '\0');
	}
}

TEST(test_result_wire_and_prevresult_roundtrip)
{
	struct cni_result r, w, back;
	struct ipc_msg m;
	char why[128], *text;
	cJSON *j;

	CHECK_EQ_INT(cni_result_parse(RESULT, strlen(RESULT), &r, why,
	    sizeof(why)), 0);
	ipc_msg_init(&m, MSG_NET_RESULT, 0);
	netwire_put_result(&m, &r);
	CHECK_EQ_INT(netwire_get_result(&m, &w), 0);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	CHECK(memcmp(&r, &w, sizeof(r)) == 0);
	ipc_msg_free(&m);
	/* the canonical JSON drops what no result type has ("extra") */
	CHECK((j = cni_result_json(&r)) != NULL);
	CHECK((text = cJSON_PrintUnformatted(j)) != NULL);
	CHECK(strstr(text, "extra") == NULL);
	CHECK(strstr(text, "\"address\":\"10.199.7.2/24\"") != NULL);
	CHECK_EQ_INT(cni_result_parse(text, strlen(text), &back, why,
	    sizeof(why)), 0);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0);
	free(text);
	cJSON_Delete(j);
}

TEST(test_wire_refuses_what_netparse_should_not_send)
{
	struct cni_result r;
	struct ipc_msg m;

	memset(&r, 0, sizeof(r));
	r.n_ips = 1;
	r.ips[0].iface = -1;
	snprintf(r.ips[0].address, sizeof(r.ips[0].address), "10.0.0.1");
	ipc_msg_init(&m, MSG_NET_RESULT, 0);
	netwire_put_result(&m, &r);
	CHECK_EQ_INT(netwire_get_result(&m, &r), -1);	/* no prefix */
	ipc_msg_free(&m);
}
