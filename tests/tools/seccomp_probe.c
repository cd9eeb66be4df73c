/*
 * seccomp_probe: run inside a container by tests/system/test_seccomp.py.
 * Static, so it runs in any image.  Prints one line per call,
 * "<call> ok" or "<call> <errno name>", and exits 0.
 */
#include <sys/personality.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup	425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter	426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register	427
#endif

static void
report(const char *what, long rc)
{
	const char *name = errno == EPERM ? "EPERM" : errno == ENOSYS ?
	    "ENOSYS" : strerror(errno);

	printf("%s %s\n", what, rc == -1 ? name : "ok");
}

int
main(void)
{
	unsigned char params[120];	/* struct io_uring_params */
	long rc;

	memset(params, 0, sizeof(params));
	errno = 0;
	rc = syscall(__NR_io_uring_setup, 1, params);
	report("io_uring_setup", rc);
	if (rc >= 0)
		close((int)rc);
	errno = 0;
	report("io_uring_enter", syscall(__NR_io_uring_enter, -1, 0, 0, 0,
	    NULL, 0));
	errno = 0;
	report("io_uring_register", syscall(__NR_io_uring_register, -1, 0,
	    NULL, 0));
	/* the query and the safe values stay allowed */
	errno = 0;
	report("personality(query)", personality(0xffffffff));
	errno = 0;
	report("personality(READ_IMPLIES_EXEC)", personality(READ_IMPLIES_EXEC));
	errno = 0;
	report("personality(ADDR_NO_RANDOMIZE)", personality(ADDR_NO_RANDOMIZE));
	errno = 0;
	report("personality(PER_LINUX32)", personality(PER_LINUX32));
	errno = 0;
	report("personality(PER_LINUX)", personality(PER_LINUX));
	return 0;
}
