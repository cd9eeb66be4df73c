/*
 * The node's facts for the Node object, gathered as the kubelet's
 * cadvisor and its nodestatus setters do (pkg/kubelet/nodestatus/
 * setters.go MachineInfo, VersionInfo): machine-id, product_uuid and
 * boot_id for nodeInfo, uname for kernelVersion and architecture,
 * os-release for osImage, the CPUs this process may run on, MemTotal, and
 * the size of the file system of rootDir for ephemeral-storage (cadvisor's
 * RootFsInfo of the kubelet's root directory).  Read once at start: a
 * change of any of these needs a reboot or a new agentd anyway.
 */
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostfacts.h"
#include "ipc.h"
#include "log.h"
#include "rt_private.h"

/* the GOARCH of each uname machine a node agent may run on */
static const struct {
	const char	*machine;
	const char	*goarch;
} goarch_names[] = {
	{ "x86_64", "amd64" },
	{ "aarch64", "arm64" },
	{ "arm64", "arm64" },
	{ "armv7l", "arm" },
	{ "armv6l", "arm" },
	{ "i686", "386" },
	{ "i386", "386" },
	{ "ppc64le", "ppc64le" },
	{ "s390x", "s390x" },
	{ "riscv64", "riscv64" },
	{ "loongarch64", "loong64" },
	{ "mips64", "mips64" },
};

const char *
hostfacts_goarch(const char *machine)
{
	size_t i;

	for (i = 0; i < nitems(goarch_names); i++)
		if (strcmp(goarch_names[i].machine, machine) == 0)
			return goarch_names[i].goarch;
	return machine;
}

/* one os-release value: quoted as the shell would, NUL-terminated in buf */
static int
unquote(const char *v, size_t vlen, char *buf, size_t len)
{
	size_t i, o = 0;
	char q = 0;

	for (i = 0; i < vlen; i++) {
		if (q == 0 && (v[i] == '"' || v[i] == '\'')) {
			q = v[i];
			continue;
		}
		if (q != 0 && v[i] == q) {
			q = 0;
			continue;
		}
		/* os-release(5): in double quotes \ escapes $ " \ ` */
		if (q == '"' && v[i] == '\\' && i + 1 < vlen &&
		    strchr("$\"\\`", v[i + 1]) != NULL)
			i++;
		if (o + 1 >= len)
			return -1;
		buf[o++] = v[i];
	}
	buf[o] = '\0';
	return q == 0 ? 0 : -1;
}

int
hostfacts_os_image(const char *text, char *buf, size_t len)
{
	static const char key[] = "PRETTY_NAME=";
	const char *line = text, *nl;
	size_t n;

	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (n > strlen(key) && strncmp(line, key, strlen(key)) == 0 &&
		    unquote(line + strlen(key), n - strlen(key), buf,
		    len) == 0 && buf[0] != '\0')
			return 0;
		if (nl == NULL)
			break;
	}
	buf[0] = '\0';
	return -1;
}

int
hostfacts_memtotal(const char *text, uint64_t *bytes)
{
	const char *p = text;
	unsigned long long kb;
	char unit[8];

	for (;;) {
		if (strncmp(p, "MemTotal:", 9) == 0) {
			/* the kernel's unit is kB, which is KiB */
			if (sscanf(p + 9, " %llu %7s", &kb, unit) != 2 ||
			    strcmp(unit, "kB") != 0 || kb == 0 ||
			    kb > UINT64_MAX / 1024)
				return -1;
			*bytes = (uint64_t)kb * 1024;
			return 0;
		}
		if ((p = strchr(p, '\n')) == NULL)
			return -1;
		p++;
	}
}

int
hostfacts_runtime_version(const char *name, const char *out, char *buf,
    size_t len)
{
	char word[32], ver[NODE_MAX_RUNTIME_VERSION + 1], fmt[32];
	size_t n = strcspn(out, "\n");
	char *line;
	int ok;

	if ((line = strndup(out, n)) == NULL)
		return -1;
	snprintf(fmt, sizeof(fmt), "%%31s version %%%zus",
	    sizeof(ver) - 1);
	ok = sscanf(line, fmt, word, ver) == 2 && strcmp(word, name) == 0;
	free(line);
	if (!ok || snprintf(buf, len, "%s://%s", name, ver) >= (int)len)
		return -1;
	return 0;
}

void
hostfacts_read_line(const char *path, char *buf, size_t len)
{
	char *text = NULL;
	size_t n;

	buf[0] = '\0';
	if (rt_read_file(path, len, &text, NULL) == -1)
		return;
	n = strcspn(text, "\n");
	if (n < len && (text[n] == '\0' || text[n + 1] == '\0')) {
		memcpy(buf, text, n);
		buf[n] = '\0';
	}
	free(text);
}

static void
gather_os(struct node_facts *f)
{
	struct utsname u;
	const char *arch;
	char *text = NULL;

	snprintf(f->operating_system, sizeof(f->operating_system), "linux");
	if (uname(&u) == -1)
		log_warn("uname");
	else {
		snprintf(f->kernel_version, sizeof(f->kernel_version), "%s",
		    u.release);
		arch = hostfacts_goarch(u.machine);
		if (strlen(arch) < sizeof(f->architecture))
			memcpy(f->architecture, arch, strlen(arch) + 1);
	}
	/* os-release(5): /etc first, then /usr/lib */
	if (rt_read_file("/etc/os-release", HOSTFACTS_FILE_MAX, &text,
	    NULL) == -1)
		rt_read_file("/usr/lib/os-release", HOSTFACTS_FILE_MAX,
		    &text, NULL);
	if (text == NULL || hostfacts_os_image(text, f->os_image,
	    sizeof(f->os_image)) == -1)
		snprintf(f->os_image, sizeof(f->os_image), "Linux");
	free(text);
}

static void
gather_machine(struct node_facts *f, const char *root_dir)
{
	struct statvfs sv;
	cpu_set_t set;
	char *text = NULL;
	long n;

	/* what nproc(1) counts; the kubelet's cadvisor counts online CPUs,
	   the same on a node that is not itself confined to some */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		f->cpus = (uint32_t)CPU_COUNT(&set);
	else if ((n = sysconf(_SC_NPROCESSORS_ONLN)) > 0)
		f->cpus = (uint32_t)n;
	if (f->cpus == 0)
		f->cpus = 1;
	if (rt_read_file("/proc/meminfo", HOSTFACTS_FILE_MAX, &text,
	    NULL) == -1 || hostfacts_memtotal(text, &f->memory_bytes) == -1) {
		log_warnx("no MemTotal in /proc/meminfo; memory from sysconf");
		f->memory_bytes = (uint64_t)sysconf(_SC_PHYS_PAGES) *
		    (uint64_t)sysconf(_SC_PAGESIZE);
	}
	free(text);
	if (statvfs(root_dir, &sv) == -1)
		log_warn("statvfs %s: no ephemeral-storage capacity",
		    root_dir);
	else
		f->ephemeral_bytes = (uint64_t)sv.f_blocks * sv.f_frsize;
}

static void
gather_runtime(struct node_facts *f, const char *name, const char *path)
{
	const char *argv[] = { path, "--version", NULL };
	struct rt_run r = { .argv = argv, .timeout_ms = 10 * 1000 };
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_run_ok(&r, &err) == -1)
		log_warnx("runtime version: %s", rt_errmsg(&err));
	else if (hostfacts_runtime_version(name, r.out, f->runtime_version,
	    sizeof(f->runtime_version)) == -1)
		log_warnx("runtime version: %s --version does not say "
		    "\"%s version X\"", path, name);
	rt_run_free(&r);
}

void
hostfacts_gather(struct node_facts *f, const char *runtime_name,
    const char *runtime_path, const char *root_dir)
{
	memset(f, 0, sizeof(*f));
	hostfacts_read_line("/etc/machine-id", f->machine_id,
	    sizeof(f->machine_id));
	/* absent without DMI (VMs without it, most ARM boards), and root
	   only: the kubelet reports "" then too */
	hostfacts_read_line("/sys/class/dmi/id/product_uuid", f->system_uuid,
	    sizeof(f->system_uuid));
	hostfacts_read_line("/proc/sys/kernel/random/boot_id", f->boot_id,
	    sizeof(f->boot_id));
	gather_os(f);
	gather_machine(f, root_dir);
	gather_runtime(f, runtime_name, runtime_path);
	f->gathered_ns = rt_now_ns();
}
