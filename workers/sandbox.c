/*
 * Sandboxing for agentd's workers.
 *
 * The watcher and the reporter parse untrusted text, so they run as two
 * different unprivileged users (privsepUser, reporterUser: neither may
 * signal the other), chrooted to an empty root-owned directory, with
 * every capability set empty (including the bounding set), no_new_privs,
 * and a deny-by-default seccomp filter that kills on violation.
 *
 * The executor must stay root to drive the runtime; its filter is a
 * denylist of kernel-wide operations that neither it, runc/crun, conmon nor
 * any container ever needs.  Filters are inherited across fork/exec, so
 * that denylist also bounds every container the executor starts.  Its
 * filter is loaded without no_new_privs (sandbox_executor says why).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msgcat.h"
#include "config.h"
#include "proctab.h"
#include "sandbox.h"
#include "workerfd.h"

/* syscalls every sandboxed libevent worker needs, nothing more */
static const int worker_allow[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(close),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(mprotect),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(fcntl), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime), SCMP_SYS(eventfd2),
	SCMP_SYS(pipe2),
};

/*
 * What one role needs beyond worker_allow.  The watcher and the reporter
 * sort (glibc's qsort asks sysinfo(2) for the memory size of big sorts);
 * the test builds' no-op worker sorts nothing and gets nothing extra.
 */
static const int sorter_allow[] = {
	SCMP_SYS(sysinfo),
};

/*
 * Probed by libc, which falls back when told ENOSYS; file opens fail
 * softly (libc may look for /etc/localtime and the like, and the chroot is
 * empty anyway), everything else not listed kills the process.
 */
/*
 * TLS to the API server on a socket agentd connected: what the sorting
 * workers have, plus what the socket needs and no way to make another
 * (no socket, connect, bind or accept: a compromised TLS stack can talk
 * only to the one server agentd chose).
 */
static const int api_allow[] = {
	SCMP_SYS(sysinfo),
};

/*
 * agentd-probe (workers/probe/probe.c): the socket it was handed, made in
 * the pod's network namespace, connected to the address it was told, and
 * the bytes of one request and one response.  No socket(2): it cannot
 * make another socket, so it reaches nothing but that one address.
 */
static const int probe_allow[] = {
	SCMP_SYS(connect), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(shutdown), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(sysinfo),
};

static const int worker_enosys[] = {
	SCMP_SYS(clone3), SCMP_SYS(openat2), SCMP_SYS(statx),
	SCMP_SYS(rseq),
};
static const int worker_eacces[] = {
	SCMP_SYS(open), SCMP_SYS(openat),
};

/*
 * Kernel-wide operations no container manager or container may perform.
 * Never add unshare, setns, mount, umount2 or sethostname here: runc needs
 * them, and the executor itself pins each pod's namespaces with them
 * (executor/pinns.c: a child unshares and sets the hostname, the executor
 * bind-mounts /proc/<child>/ns/... and later unmounts the pins).
 */
static const int executor_deny[] = {
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
	SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime),
	SCMP_SYS(adjtimex), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(quotactl), SCMP_SYS(lookup_dcookie),
	SCMP_SYS(uselib), SCMP_SYS(syslog), SCMP_SYS(vhangup),
	SCMP_SYS(_sysctl), SCMP_SYS(ustat), SCMP_SYS(sysfs),
	SCMP_SYS(create_module), SCMP_SYS(get_kernel_syms),
	SCMP_SYS(query_module), SCMP_SYS(nfsservctl),
};

static void
add_rules(scmp_filter_ctx ctx, uint32_t action, const int *sys, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		/* a syscall this architecture lacks resolves negative */
		if (sys[i] < 0)
			continue;
		if ((r = seccomp_rule_add(ctx, action, sys[i], 0)) < 0)
			fatalx("seccomp_rule_add(%d): %s", sys[i], strerror(-r));
	}
}

static void
load_filter(scmp_filter_ctx ctx)
{
	int r;

	if ((r = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
}

/*
 * glibc's raise() and abort() signal the caller with tgkill(getpid(),
 * gettid(), sig); that is the only signal a worker ever sends.  The first
 * argument must be our own pid (the workers are single-threaded and never
 * fork, so the pid at load time stays right): tgkill on any other process
 * -- the watcher stopping the reporter -- is not in the allowlist and
 * kills the caller like every other unlisted call.  kill(2), tkill(2),
 * rt_sigqueueinfo(2) and pidfd_send_signal(2) are not allowed at all;
 * libc never needs them.
 */
static void
allow_signal_self(scmp_filter_ctx ctx)
{
	/* SCMP_A0() leaves datum_b implicit, which clang's -Wextra rejects */
	const struct scmp_arg_cmp own_pid = { .arg = 0, .op = SCMP_CMP_EQ,
	    .datum_a = (scmp_datum_t)getpid(), .datum_b = 0 };
	int r;

	if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill),
	    1, &own_pid)) < 0)
		fatalx("seccomp_rule_add(tgkill): %s", strerror(-r));
}

#define LIST(a)	(a), sizeof(a) / sizeof((a)[0])

/* the seccomp profiles a process table row can name */
static const struct seccomp_profile {
	enum sandbox_profile	 id;
	const int		*extra;		/* beyond worker_allow */
	size_t			 nextra;
} seccomp_profiles[] = {
	{ SANDBOX_WATCHER,	LIST(sorter_allow) },
	{ SANDBOX_REPORTER,	LIST(sorter_allow) },
	{ SANDBOX_NOOP,		NULL, 0 },
	/* JSON in, IPC out: it sorts nothing, opens nothing */
	{ SANDBOX_NETPARSE,	NULL, 0 },
	{ SANDBOX_API,		LIST(api_allow) },
	{ SANDBOX_PROBE,	LIST(probe_allow) },
};

static const struct seccomp_profile *
seccomp_profile(enum sandbox_profile id)
{
	size_t i;

	for (i = 0; i < sizeof(seccomp_profiles) / sizeof(seccomp_profiles[0]);
	    i++)
		if (seccomp_profiles[i].id == id)
			return &seccomp_profiles[i];
	fatalx("no seccomp profile %d for a sandboxed worker", (int)id);
}

static void
seccomp_worker(enum sandbox_profile profile)
{
	const struct seccomp_profile *sp = seccomp_profile(profile);
	scmp_filter_ctx ctx;

	/* any syscall not listed: the whole process dies with SIGSYS */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init failed");
	/* a foreign architecture's syscall numbers are an attack, not a bug */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0)
		fatalx("seccomp_attr_set(BADARCH) failed");
	add_rules(ctx, SCMP_ACT_ALLOW, LIST(worker_allow));
	add_rules(ctx, SCMP_ACT_ALLOW, sp->extra, sp->nextra);
	add_rules(ctx, SCMP_ACT_ERRNO(ENOSYS), LIST(worker_enosys));
	add_rules(ctx, SCMP_ACT_ERRNO(EACCES), LIST(worker_eacces));
	/* what keeps two workers apart is their uids and this */
	allow_signal_self(ctx);
	load_filter(ctx);
}

#define CAP_SYS_ADMIN_BIT	21

/* is CAP_SYS_ADMIN in our effective set */
static int
have_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1)
		fatal("capget");
	return (data[0].effective >> CAP_SYS_ADMIN_BIT) & 1;
}

/*
 * executor: stays root; a denylist filter that its children inherit.
 *
 * Without no_new_privs: libseccomp sets it by default when it loads a
 * filter (SCMP_FLTATR_CTL_NNP), and no_new_privs is inherited by every
 * process the executor starts, so every container would run with it
 * whatever its allowPrivilegeEscalation says, and a setuid binary in an
 * image would not work.  The kernel loads a filter without no_new_privs
 * only for a caller with CAP_SYS_ADMIN; the executor needs it anyway
 * (mounts, namespaces), so refuse to run without it rather than give
 * every container a setting it did not ask for.  Containers get
 * no_new_privs from their own OCI process.noNewPrivileges.
 */
static void
sandbox_executor(void)
{
	scmp_filter_ctx ctx;

	if (!have_sys_admin())
		fatalx("the executor needs CAP_SYS_ADMIN: its seccomp filter "
		    "must load without no_new_privs, which every container "
		    "would inherit");
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		fatalx("seccomp_init failed");
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0)
		fatalx("seccomp_attr_set(BADARCH) failed");
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		fatalx("seccomp_attr_set(CTL_NNP) failed");
	add_rules(ctx, SCMP_ACT_ERRNO(EPERM), LIST(executor_deny));
	load_filter(ctx);
}

/* the chroot must be root-owned, unwritable by others, and empty */
static void
check_chroot_dir(const char *dir)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (stat(dir, &st) == -1)
		fatal("privsepChroot %s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		fatalx("privsepChroot %s must be a directory owned by root "
		    "and not writable by group or others", dir);
	if ((d = opendir(dir)) == NULL)
		fatal("opendir %s", dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fatalx("privsepChroot %s is not empty (%s)", dir,
			    de->d_name);
	closedir(d);
}

static void
drop_bounding_set(void)
{
	int cap;

	/* needs CAP_SETPCAP, so it happens while we are still root */
	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			fatal("PR_CAPBSET_DROP %d", cap);
}

static void
clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		fatal("PR_CAP_AMBIENT_CLEAR_ALL");
}

/*
 * A worker that parses untrusted input is the first thing the OOM killer
 * should take: agentd restarts it, and it must not inherit agentd's
 * protection (e.g. OOMScoreAdjust=-999 from the unit).
 */
static void
raise_oom_score(void)
{
	int fd;

	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) ==
	    -1)
		fatal("open /proc/self/oom_score_adj");
	if (write(fd, SANDBOX_OOM_SCORE_ADJ, strlen(SANDBOX_OOM_SCORE_ADJ)) ==
	    -1)
		fatal("write oom_score_adj");
	close(fd);
}

void
worker_die_with_parent(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fatal("PR_SET_PDEATHSIG");
	/* agentd may already be gone: then we were reparented */
	if (getppid() == 1)
		fatalx("agentd went away during start-up");
}

void
sandbox_enter(const char *user, const char *chroot_dir,
    enum sandbox_profile profile)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	/* resolve everything needed before the filesystem disappears */
	if ((pw = getpwnam(user)) == NULL)
		fatalx("privsep user \"%s\" does not exist (create it: "
		    "useradd -r -s /usr/sbin/nologin -d /nonexistent %s)",
		    user, user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		fatalx("privsep user \"%s\" must not be uid 0", user);
	raise_oom_score();
	check_chroot_dir(chroot_dir);
	if (chroot(chroot_dir) == -1)
		fatal("chroot %s", chroot_dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	drop_bounding_set();
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	clear_capabilities();
	/* the credential change cleared it: die with agentd, even stopped */
	worker_die_with_parent();
	/* paranoia: the way back to root must be closed */
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("could regain root after dropping privileges");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	seccomp_worker(profile);
}

void
sandbox_check_started_by_agentd(const char *role)
{
	const char *magic = getenv(WORKER_ENV_MAGIC);
	struct stat st;

	if (magic == NULL || strcmp(magic, role) != 0 ||
	    fstat(WORKER_PARENT_FD, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    fstat(WORKER_CONFIG_FD, &st) == -1)
		fatalx("agentd-%s is started by agentd, not by hand", role);
}

/* a row's profile; the API workers' own one when API mode is on */
static enum sandbox_profile
worker_profile(const struct agentd_config *conf, const struct proc_desc *p)
{
	if ((p->flags & PROC_F_API) && conf->kubeconfig[0] != '\0')
		return SANDBOX_API;
	return p->seccomp;
}

void
worker_sandbox(const struct agentd_config *conf, enum proc_role role)
{
	const struct proc_desc *p = proc_get(role);

	if (p == NULL)
		fatalx("role %d has no row in the process table", (int)role);
	switch (p->user) {
	case PROC_USER_ROOT:
		if (p->seccomp != SANDBOX_EXECUTOR)
			fatalx("%s: a root worker takes the executor's "
			    "profile", p->name);
		sandbox_executor();
		break;
	case PROC_USER_PRIVSEP:
		sandbox_enter(conf->privsep_user, conf->privsep_chroot,
		    worker_profile(conf, p));
		break;
	case PROC_USER_REPORTER:
		/* its own uid: the watcher cannot signal, trace or stop it */
		sandbox_enter(conf->reporter_user, conf->privsep_chroot,
		    worker_profile(conf, p));
		break;
	}
}
