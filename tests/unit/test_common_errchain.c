/*
 * Error chains (common/errchain.c): a root cause with its errno, contexts
 * prepended by each caller, and the ERRCHAIN_MAX bound, at which the root
 * cause is what survives.
 */
#include <errno.h>

#include "tap.h"
#include "errchain.h"

static size_t
count_of(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

TEST(test_set_without_errno_is_the_text)
{
	struct errchain e;

	CHECK_EQ_INT(err_set(&e, 0, "sandbox %s not found", "abc"), -1);
	CHECK_STR(err_msg(&e), "sandbox abc not found");
	CHECK_EQ_INT(err_errno(&e), 0);
}

TEST(test_set_with_errno_appends_strerror)
{
	struct errchain e;

	err_set(&e, EINVAL, "mounting %s", "/x");
	CHECK_STR(err_msg(&e), "mounting /x: Invalid argument");
	CHECK_EQ_INT(err_errno(&e), EINVAL);
}

TEST(test_set_replaces_an_earlier_error)
{
	struct errchain e;

	err_set(&e, ENOENT, "first");
	err_wrap(&e, "outer");
	err_set(&e, 0, "second");
	CHECK_STR(err_msg(&e), "second");
	CHECK_EQ_INT(err_errno(&e), 0);
}

TEST(test_wrap_several_levels_reads_outermost_first)
{
	struct errchain e;

	err_set(&e, EINVAL, "mounting %s", "/x");
	CHECK_EQ_INT(err_wrap(&e, "pinning namespaces"), -1);
	err_wrap(&e, "creating sandbox for %s/%s", "default", "web");
	CHECK_STR(err_msg(&e), "creating sandbox for default/web: pinning "
	    "namespaces: mounting /x: Invalid argument");
	CHECK_EQ_INT(err_errno(&e), EINVAL);
}

TEST(test_wrap_of_an_empty_chain_is_the_context)
{
	struct errchain e;

	err_clear(&e);
	err_wrap(&e, "removing %s", "abc");
	CHECK_STR(err_msg(&e), "removing abc");
	CHECK_EQ_INT(err_errno(&e), 0);
}

TEST(test_clear_empties_message_and_errno)
{
	struct errchain e;

	err_set(&e, EPERM, "x");
	err_clear(&e);
	CHECK_STR(err_msg(&e), "");
	CHECK_EQ_INT(err_errno(&e), 0);
}

TEST(test_wrap_at_exactly_the_bound_is_whole)
{
	struct errchain e;
	char ctx[ERRCHAIN_MAX];

	err_set(&e, 0, "cause");
	/* ctx + ": " + "cause" + NUL == ERRCHAIN_MAX */
	memset(ctx, 'c', sizeof(ctx));
	ctx[ERRCHAIN_MAX - 1 - 2 - 5] = '\0';
	err_wrap(&e, "%s", ctx);
	CHECK_EQ_INT(strlen(err_msg(&e)), ERRCHAIN_MAX - 1);
	CHECK(strstr(err_msg(&e), ": cause") != NULL);
	CHECK(strstr(err_msg(&e), "...") == NULL);
}

TEST(test_wrap_beyond_the_bound_keeps_the_root_cause)
{
	struct errchain e;
	char ctx[ERRCHAIN_MAX];
	int i;

	err_set(&e, EINVAL, "mounting /x");
	memset(ctx, 'c', sizeof(ctx));
	ctx[ERRCHAIN_MAX - 1 - 2 - strlen(err_msg(&e)) + 1] = '\0';
	err_wrap(&e, "%s", ctx);		/* one byte too many */
	CHECK_EQ_INT(strlen(err_msg(&e)), ERRCHAIN_MAX - 1);
	CHECK(strstr(err_msg(&e), "mounting /x: Invalid argument") != NULL);
	/* many more levels: bounded, and the cause is still the end */
	for (i = 0; i < 50; i++)
		err_wrap(&e, "level %d", i);
	CHECK(strlen(err_msg(&e)) < ERRCHAIN_MAX);
	CHECK(strncmp(err_msg(&e), "level 49: ", 10) == 0);
	CHECK(strstr(err_msg(&e), ": Invalid argument") != NULL);
	CHECK_EQ_INT(err_errno(&e), EINVAL);
}

TEST(test_long_context_is_cut_and_cause_kept)
{
	struct errchain e;
	char big[2 * ERRCHAIN_MAX];

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	err_set(&e, 0, "%s", big);		/* text cut at the bound */
	CHECK_EQ_INT(strlen(err_msg(&e)), ERRCHAIN_MAX - 1);
	err_set(&e, ENOENT, "%s", big);		/* strerror kept whole */
	CHECK_EQ_INT(strlen(err_msg(&e)), ERRCHAIN_MAX - 1);
	CHECK(strstr(err_msg(&e), ": No such file or directory") != NULL);
	err_wrap(&e, "%s", big);		/* both long: half each */
	CHECK(strlen(err_msg(&e)) < ERRCHAIN_MAX);
	CHECK_EQ_INT(count_of(err_msg(&e), "..."), 1);
	CHECK(strstr(err_msg(&e), ": No such file or directory") != NULL);
}

TEST(test_cut_never_splits_a_utf8_character)
{
	struct errchain e;
	char cause[ERRCHAIN_MAX];
	size_t i;

	/* "é" is two bytes: a cut at any byte may land inside one */
	for (i = 0; i + 2 < sizeof(cause); i += 2)
		memcpy(cause + i, "\xc3\xa9", 2);
	cause[i] = '\0';
	err_set(&e, 0, "%s", cause);
	err_wrap(&e, "ctx");
	err_wrap(&e, "x");
	for (i = 0; err_msg(&e)[i] != '\0'; i++)
		if ((unsigned char)err_msg(&e)[i] == 0xc3)
			CHECK((unsigned char)err_msg(&e)[i + 1] == 0xa9);
		else if ((unsigned char)err_msg(&e)[i] == 0xa9)
			CHECK(i > 0 &&
			    (unsigned char)err_msg(&e)[i - 1] == 0xc3);
}
