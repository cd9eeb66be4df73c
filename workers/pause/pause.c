/*
 * agentd-pause: the infra process of a pod sandbox.  It only has to exist:
 * the pod's network, IPC and UTS namespaces live as long as it does.  It
 * sleeps in pause(), reaps any child that ends up with it (it may be pid 1
 * of its namespace), and exits 0 on SIGTERM or SIGINT so that a sandbox
 * stop is an orderly exit, not a kill.  Linked statically: its rootfs holds
 * nothing else.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t	pause_stop;

static void
pause_on_stop(int sig)
{
	(void)sig;
	pause_stop = 1;
}

static void
pause_on_child(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int
pause_handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = sig == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : 0;
	return sigaction(sig, &sa, NULL);
}

int
main(int argc, char *argv[])
{
	(void)argv;
	if (argc > 1) {
		static const char usage[] = "usage: agentd-pause\n";

		(void)write(2, usage, sizeof(usage) - 1);
		return 2;
	}
	if (pause_handle(SIGTERM, pause_on_stop) == -1 ||
	    pause_handle(SIGINT, pause_on_stop) == -1 ||
	    pause_handle(SIGCHLD, pause_on_child) == -1)
		return 1;
	while (!pause_stop)
		pause();
	return 0;
}
