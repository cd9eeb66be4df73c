/*
 * suid_probe: installed setuid root in a test image by
 * tests/system/test_escalation.py.  Static, so it runs in any image.
 * Prints "uid <real> euid <effective>": a setuid binary that worked shows
 * euid 0 for a non-root caller; under no_new_privs the kernel ignores the
 * setuid bit and euid stays the caller's.
 */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	printf("uid %u euid %u\n", (unsigned)getuid(), (unsigned)geteuid());
	return 0;
}
