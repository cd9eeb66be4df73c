/*
 * The local image store: reference normalization (pure), and import,
 * lookup, unpack and listing with the real skopeo and umoci, from the
 * busybox layout contrib/mkimage-busybox.sh builds (or $AGENTD_TEST_IMAGE).
 * Import and unpack need root (ownership is preserved); without it those
 * tests say so and pass.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "rt_fixture.h"

/* 1: the store's directories and the busybox layout to import are ready */
static int
fx_setup(void)
{
	if (!fx_setup_dirs(RUNTIME_RUNC))
		return 0;
	fx_build_image();
	return 1;
}

/* the digest the layout's index.json gives its one manifest */
static void
layout_digest(const char *layout, char *buf, size_t len)
{
	char path[PATH_MAX];
	cJSON *idx;
	const cJSON *m;

	snprintf(path, sizeof(path), "%s/index.json", layout);
	REQUIRE((idx = rt_json_load(path)) != NULL);
	m = cJSON_GetArrayItem(cJSON_GetObjectItem(idx, "manifests"), 0);
	REQUIRE(rt_json_str(m, "digest") != NULL);
	snprintf(buf, len, "%s", rt_json_str(m, "digest"));
	cJSON_Delete(idx);
}

static void
import_ok(const char *src, const char *name, char *digest, size_t len)
{
	struct rt_err err = { { "", 0 }, 0 };

	if (rt_image_import(src, name, digest, len, &err) == -1) {
		fprintf(stderr, "import %s as %s: %s\n", src, name,
		    rt_errmsg(&err));
		REQUIRE(0);
	}
}

/* ---- normalization ---- */

TEST(test_normalize_table)
{
	static const struct { const char *in, *out; } t[] = {
		{ "busybox", "docker.io/library/busybox:latest" },
		{ "busybox:1.36", "docker.io/library/busybox:1.36" },
		{ "library/busybox", "docker.io/library/busybox:latest" },
		{ "foo/bar", "docker.io/foo/bar:latest" },
		{ "foo/bar/baz:2", "docker.io/foo/bar/baz:2" },
		{ "docker.io/busybox", "docker.io/library/busybox:latest" },
		{ "index.docker.io/foo/bar", "docker.io/foo/bar:latest" },
		{ "quay.io/x/y:1", "quay.io/x/y:1" },
		{ "quay.io/x/y", "quay.io/x/y:latest" },
		{ "localhost/x", "localhost/x:latest" },
		{ "localhost:5000/x", "localhost:5000/x:latest" },
		{ "localhost:5000/x:3", "localhost:5000/x:3" },
		{ "Registry/x", "Registry/x:latest" },
		{ "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
		{ "q.io/a/b:t@sha256:00", "q.io/a/b:t@sha256:00" },
		{ "", "" },
		{ "@sha256:00", "" },
	};
	char out[POD_MAX_IMAGE];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rt_image_normalize(t[i].in, out, sizeof(out));
		CHECK_STR(out, t[i].out);
	}
}

TEST(test_normalize_never_truncates)
{
	char out[64];

	/* "docker.io/library/busybox:latest" is 32 bytes */
	memset(out, 'x', sizeof(out));
	rt_image_normalize("busybox", out, 32);
	CHECK_EQ_INT(out[0], '\0');
	rt_image_normalize("busybox", out, 33);
	CHECK_STR(out, "docker.io/library/busybox:latest");
}

/* ---- archives ---- */

TEST(test_tar_kind_refuses_non_archives)
{
	char path[] = "/tmp/agentd-tar-XXXXXX";
	static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0 };
	char junk[1024];
	struct rt_err err = { { "", 0 }, 0 };
	int fd;

	REQUIRE((fd = mkstemp(path)) != -1);
	memset(junk, 'x', sizeof(junk));
	REQUIRE(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	CHECK(img_tar_kind(path, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "not an oci-archive or docker-archive") !=
	    NULL);
	REQUIRE((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	REQUIRE(write(fd, gz, sizeof(gz)) == (ssize_t)sizeof(gz));
	REQUIRE(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	CHECK(img_tar_kind(path, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "compressed") != NULL);
	unlink(path);
}

/* ---- import and lookup ---- */

TEST(test_import_oci_layout_and_lookup)
{
	char digest[POD_MAX_ID], want[POD_MAX_ID], path[PATH_MAX];
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };
	struct stat st;

	if (!fx_setup())
		return;
	layout_digest(fx.image, want, sizeof(want));
	import_ok(fx.image, "busybox", digest, sizeof(digest));
	CHECK_STR(digest, want);	/* oci to oci keeps the manifest */
	REQUIRE(rt_image_lookup("docker.io/library/busybox", &img, &err) == 0);
	CHECK_STR(img.ref, "docker.io/library/busybox:latest");
	CHECK_STR(img.digest, want);
	CHECK_EQ_INT(img.cmd.n, 1);
	CHECK_STR(img.cmd.v[0], "sh");
	CHECK_EQ_INT(img.entrypoint.n, 0);
	CHECK_EQ_INT(img.env.n, 1);
	CHECK(strncmp(img.env.v[0], "PATH=", 5) == 0);
	CHECK_STR(img.working_dir, "/");
	CHECK_STR(img.user, "");
	snprintf(path, sizeof(path), "%s/bin/busybox", img.rootfs);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0111));
	snprintf(path, sizeof(path), "%s/../.complete", img.rootfs);
	CHECK(access(path, F_OK) == 0);
	rt_image_free(&img);
}

TEST(test_import_layout_with_tag)
{
	char src[PATH_MAX + 16], digest[POD_MAX_ID], want[POD_MAX_ID];
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	layout_digest(fx.image, want, sizeof(want));
	snprintf(src, sizeof(src), "%s:latest", fx.image);
	import_ok(src, "quay.io/team/tool:v2", digest, sizeof(digest));
	CHECK_STR(digest, want);
	CHECK(rt_image_lookup("quay.io/team/tool:v2", &img, &err) == 0);
	rt_image_free(&img);
	snprintf(src, sizeof(src), "%s:nosuchtag", fx.image);
	CHECK(rt_image_import(src, "x", digest, sizeof(digest), &err) == -1);
	CHECK(rt_errmsg(&err)[0] != '\0');
}

TEST(test_import_archives_detected_by_content)
{
	char oci_tar[PATH_MAX], docker_tar[PATH_MAX], src[PATH_MAX + 16];
	char dst[PATH_MAX + 64], policy[PATH_MAX], digest[POD_MAX_ID];
	const char *copy[] = { "/usr/bin/skopeo", "--policy", policy, "copy",
		"--quiet", src, dst, NULL };
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	/* tar files with misleading names: content decides */
	snprintf(oci_tar, sizeof(oci_tar), "%s/image-a.bin", fx.base);
	snprintf(docker_tar, sizeof(docker_tar), "%s/image-b.bin", fx.base);
	snprintf(policy, sizeof(policy), "%s/root/images/policy.json", fx.base);
	snprintf(src, sizeof(src), "oci:%s", fx.image);
	snprintf(dst, sizeof(dst), "oci-archive:%s", oci_tar);
	run_ok(copy);
	snprintf(dst, sizeof(dst), "docker-archive:%s:busybox:saved", docker_tar);
	run_ok(copy);
	CHECK_EQ_INT(img_tar_kind(oci_tar, &err), IMG_TAR_OCI);
	CHECK_EQ_INT(img_tar_kind(docker_tar, &err), IMG_TAR_DOCKER);
	import_ok(oci_tar, "example.com/a:1", digest, sizeof(digest));
	import_ok(docker_tar, "example.com/b:1", digest, sizeof(digest));
	REQUIRE(rt_image_lookup("example.com/b:1", &img, &err) == 0);
	CHECK_STR(img.digest, digest);
	CHECK_EQ_INT(img.cmd.n, 1);	/* the config survives the conversion */
	rt_image_free(&img);
	REQUIRE(rt_image_lookup("example.com/a:1", &img, &err) == 0);
	rt_image_free(&img);
}

TEST(test_lookup_missing_image_names_it)
{
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	CHECK(rt_image_lookup("nginx", &img, &err) == -1);
	CHECK_STR(rt_errmsg(&err),
	    "image \"docker.io/library/nginx:latest\" not present");
}

TEST(test_lookup_by_digest)
{
	char digest[POD_MAX_ID], ref[POD_MAX_IMAGE];
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	import_ok(fx.image, "busybox:1.36", digest, sizeof(digest));
	snprintf(ref, sizeof(ref), "busybox@%s", digest);
	REQUIRE(rt_image_lookup(ref, &img, &err) == 0);
	CHECK_STR(img.digest, digest);
	rt_image_free(&img);
	/* same digest, another repository: not this image */
	snprintf(ref, sizeof(ref), "other/busybox@%s", digest);
	CHECK(rt_image_lookup(ref, &img, &err) == -1);
	CHECK(rt_image_lookup("busybox@sha256:000000000000000000000000000000"
	    "0000000000000000000000000000000000", &img, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "not present") != NULL);
}

TEST(test_reimport_moves_the_name)
{
	char other[PATH_MAX], d1[POD_MAX_ID], d2[POD_MAX_ID];
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	import_ok(fx.image, "app", d1, sizeof(d1));
	/* a second image: same layers, another Cmd */
	snprintf(other, sizeof(other), "%s/other-oci", fx.base);
	{
		const char *cp[] = { "/bin/cp", "-a", fx.image, other, NULL };
		char img_arg[PATH_MAX + 16];
		const char *cfg[] = { "/usr/bin/umoci", "config", "--image",
			img_arg, "--config.cmd", "echo", "--config.cmd", "hi",
			"--config.user", "1000:1000", NULL };

		snprintf(img_arg, sizeof(img_arg), "%s:latest", other);
		run_ok(cp);
		run_ok(cfg);
	}
	import_ok(other, "app", d2, sizeof(d2));
	CHECK(strcmp(d1, d2) != 0);
	REQUIRE(rt_image_lookup("app", &img, &err) == 0);
	CHECK_STR(img.digest, d2);
	CHECK_EQ_INT(img.cmd.n, 2);
	CHECK_STR(img.user, "1000:1000");
	rt_image_free(&img);
}

TEST(test_unpack_is_all_or_nothing)
{
	char digest[POD_MAX_ID], path[PATH_MAX], rootfs[PATH_MAX];
	struct rt_image img;
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	import_ok(fx.image, "busybox", digest, sizeof(digest));
	/* debris of a crash mid-unpack: a directory without the marker */
	snprintf(path, sizeof(path), "%s/root/images/rootfs/%s/rootfs/half",
	    fx.base, digest + 7);
	REQUIRE(rt_mkdir_p(path, 0755) == 0);
	REQUIRE(rt_image_lookup("busybox", &img, &err) == 0);
	CHECK(access(path, F_OK) == -1);	/* replaced, not reused */
	snprintf(rootfs, sizeof(rootfs), "%s", img.rootfs);
	rt_image_free(&img);

	/* a complete one is kept as it is */
	REQUIRE(rt_path(path, sizeof(path), "%s/kept", rootfs) == 0);
	REQUIRE(rt_write_file(path, "x", 1, 0644) == 0);
	REQUIRE(rt_image_lookup("busybox", &img, &err) == 0);
	CHECK(access(path, F_OK) == 0);
	rt_image_free(&img);
}

TEST(test_import_rejects_bad_names_and_sources)
{
	char digest[POD_MAX_ID], path[PATH_MAX];
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	CHECK(rt_image_import(fx.image, "", digest, sizeof(digest), &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "image name") != NULL);
	CHECK(rt_image_import(fx.image, "busybox@sha256:00", digest,
	    sizeof(digest), &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "digest") != NULL);
	snprintf(path, sizeof(path), "%s/nothing-here", fx.base);
	CHECK(rt_image_import(path, "busybox", digest, sizeof(digest),
	    &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "no such") != NULL);
	snprintf(path, sizeof(path), "%s/root", fx.base);	/* a plain dir */
	CHECK(rt_image_import(path, "busybox", digest, sizeof(digest),
	    &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "oci-layout") != NULL);
}

static void
fake_refs(int n)
{
	char path[PATH_MAX], name[64];
	cJSON *refs = cJSON_CreateObject(), *e;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "docker.io/library/fake%d:latest", i);
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "digest", "sha256:"
		    "00000000000000000000000000000000"
		    "00000000000000000000000000000000");
		cJSON_AddStringToObject(e, "tag", "img-none");
		cJSON_AddItemToObject(refs, name, e);
	}
	snprintf(path, sizeof(path), "%s/root/images/refs.json", fx.base);
	REQUIRE(rt_json_save(path, refs) == 0);
	cJSON_Delete(refs);
}

TEST(test_store_holds_at_most_max_images)
{
	char digest[POD_MAX_ID];
	struct rt_err err = { { "", 0 }, 0 };

	if (!fx_setup())
		return;
	fake_refs(RT_MAX_IMAGES - 1);
	import_ok(fx.image, "busybox", digest, sizeof(digest));	/* = max */
	import_ok(fx.image, "busybox", digest, sizeof(digest));	/* replace */
	CHECK(rt_image_import(fx.image, "one-more", digest, sizeof(digest),
	    &err) == -1);					/* max + 1 */
	CHECK(strstr(rt_errmsg(&err), "full") != NULL);
}

TEST(test_image_list_format)
{
	char d1[POD_MAX_ID], d2[POD_MAX_ID], line[512];
	struct rt_err err = { { "", 0 }, 0 };
	char *text;

	if (!fx_setup())
		return;
	text = rt_image_list(&err);
	REQUIRE(text != NULL);
	CHECK_STR(text, "");
	free(text);
	import_ok(fx.image, "busybox", d1, sizeof(d1));
	import_ok(fx.image, "quay.io/x/y:1", d2, sizeof(d2));
	REQUIRE((text = rt_image_list(&err)) != NULL);
	snprintf(line, sizeof(line), "docker.io/library/busybox:latest %s ", d1);
	CHECK(strstr(text, line) != NULL);
	snprintf(line, sizeof(line), "quay.io/x/y:1 %s ", d2);
	CHECK(strstr(text, line) != NULL);
	{
		/* SIZE: manifest config + layers, more than busybox alone */
		const char *p = strstr(text, line);

		CHECK(p != NULL && strtoull(p + strlen(line), NULL, 10) > 500000);
	}
	free(text);
}
