/*
 * What decides CHECK and GC (common/cniconf.c): libcni's version
 * comparison, disableCheck/disableGC, and the GC stdin with the
 * attachments the runtime still has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "cninet.h"

TEST(test_version_ge_as_libcni)
{
	CHECK(cni_version_ge("1.1.0", "1.1.0"));
	CHECK(cni_version_ge("1.2.0", "1.1.0"));
	CHECK(cni_version_ge("2.0.0", "1.1.0"));
	CHECK(!cni_version_ge("1.0.0", "1.1.0"));
	CHECK(cni_version_ge("0.4.0", "0.4.0"));
	CHECK(!cni_version_ge("0.3.1", "0.4.0"));
	CHECK(cni_version_ge("1.0.0", "0.4.0"));
	/* a missing part is 0; numbers, not strings: 0.10 > 0.4 */
	CHECK(cni_version_ge("1.1", "1.1.0"));
	CHECK(cni_version_ge("1", "0.4.0"));
	CHECK(cni_version_ge("0.10.0", "0.4.0"));
	/* "" is 0.1.0, as libcni's ParseVersion */
	CHECK(!cni_version_ge("", "0.4.0"));
	CHECK(cni_version_ge("", "0.1.0"));
	/* what cannot be parsed supports nothing */
	CHECK(!cni_version_ge("1.1.0.0", "0.4.0"));
	CHECK(!cni_version_ge("v1.1.0", "0.4.0"));
	CHECK(!cni_version_ge("1.x", "0.4.0"));
	CHECK(!cni_version_ge("1..0", "0.4.0"));
	CHECK(!cni_version_ge("1.1.", "0.4.0"));
	CHECK(!cni_version_ge("99999999.0.0", "0.4.0"));
}

static int
parse(const char *text, struct cni_conf *c)
{
	char why[128];

	return cni_conf_parse(text, strlen(text), 1, c, why, sizeof(why));
}

TEST(test_disable_check_and_gc_as_libcni_readbool)
{
	struct cni_conf c;

	CHECK_EQ_INT(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"plugins\":[{\"type\":\"a\"}]}", &c), 0);
	CHECK(!c.disable_check && !c.disable_gc);
	cni_conf_free(&c);
	CHECK_EQ_INT(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"disableCheck\":true,\"disableGC\":\"TRUE\","
	    "\"plugins\":[{\"type\":\"a\"}]}", &c), 0);
	CHECK(c.disable_check && c.disable_gc);
	cni_conf_free(&c);
	CHECK_EQ_INT(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"disableCheck\":\"false\",\"disableGC\":false,"
	    "\"plugins\":[{\"type\":\"a\"}]}", &c), 0);
	CHECK(!c.disable_check && !c.disable_gc);
	cni_conf_free(&c);
	/* anything else makes the file invalid, as there */
	CHECK_EQ_INT(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"disableGC\":\"yes\",\"plugins\":[{\"type\":\"a\"}]}", &c), -1);
	cni_conf_free(&c);
	CHECK_EQ_INT(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"disableCheck\":1,\"plugins\":[{\"type\":\"a\"}]}", &c), -1);
	cni_conf_free(&c);
}

TEST(test_gc_conf_carries_the_valid_attachments)
{
	struct cni_attachment v[2];
	cJSON *plugin, *o, *arr, *old;
	char *text;

	memset(v, 0, sizeof(v));
	snprintf(v[0].id, sizeof(v[0].id), "0123abcd");
	snprintf(v[0].ifname, sizeof(v[0].ifname), "eth0");
	snprintf(v[1].id, sizeof(v[1].id), "4567ef");
	snprintf(v[1].ifname, sizeof(v[1].ifname), "eth0");
	/* the plugin's own keys stay; the list's name and version win; a
	   plugin's own attachments key is never passed on */
	REQUIRE((plugin = cJSON_Parse("{\"type\":\"gcrec\",\"name\":\"x\","
	    "\"cniVersion\":\"0.1.0\",\"opt\":7,"
	    "\"cni.dev/valid-attachments\":[{\"containerID\":\"forged\"}]}"))
	    != NULL);
	REQUIRE((text = cni_gc_conf(plugin, "gcnet", "1.1.0", v, 2)) != NULL);
	REQUIRE((o = cJSON_Parse(text)) != NULL);
	CHECK_STR(cJSON_GetObjectItem(o, "type")->valuestring, "gcrec");
	CHECK_STR(cJSON_GetObjectItem(o, "name")->valuestring, "gcnet");
	CHECK_STR(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.1.0");
	CHECK_EQ_INT(cJSON_GetObjectItem(o, "opt")->valueint, 7);
	arr = cJSON_GetObjectItem(o, CNI_GC_VALID_KEY);
	CHECK_EQ_INT(cJSON_GetArraySize(arr), 2);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0),
	    "containerID")->valuestring, "0123abcd");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1),
	    "containerID")->valuestring, "4567ef");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1),
	    "ifname")->valuestring, "eth0");
	CHECK(strstr(text, "forged") == NULL);
	/* the older key libcni sends as well (containernetworking/cni#1101) */
	old = cJSON_GetObjectItem(o, CNI_GC_OLD_KEY);
	CHECK(cJSON_Compare(arr, old, 1));
	cJSON_Delete(o);
	free(text);
	/* no sandbox left: an empty list, which means "collect all" */
	REQUIRE((text = cni_gc_conf(plugin, "gcnet", "1.1.0", NULL, 0)) != NULL);
	CHECK(strstr(text, "\"cni.dev/valid-attachments\":[]") != NULL);
	free(text);
	cJSON_Delete(plugin);
}
