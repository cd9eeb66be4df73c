/*
 * Growing strings (common/strbuf.c): appends, the printf bound, and the
 * empty result.
 */
#include "strbuf.h"
#include "tap.h"

TEST(test_appends_grow_past_the_first_allocation)
{
	struct strbuf b = { 0 };
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		strbuf_str(&b, "abcd");
	strbuf_add(&b, "xyz", 2);
	REQUIRE((s = strbuf_finish(&b)) != NULL);
	CHECK_EQ_INT(strlen(s), 4002);
	CHECK(strncmp(s, "abcdabcd", 8) == 0);
	CHECK_STR(s + 4000, "xy");
	free(s);
}

TEST(test_printf_cuts_one_call_at_its_bound)
{
	struct strbuf b = { 0 };
	char big[STRBUF_LINE_MAX + 100], *s;

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_printf(&b, "%d-", 42);
	strbuf_printf(&b, "%s", big);
	REQUIRE((s = strbuf_finish(&b)) != NULL);
	CHECK_EQ_INT(strlen(s), 3 + STRBUF_LINE_MAX - 1);
	CHECK(strncmp(s, "42-qq", 5) == 0);
	free(s);
}

TEST(test_nothing_added_is_an_empty_string)
{
	struct strbuf b = { 0 };
	char *s;

	REQUIRE((s = strbuf_finish(&b)) != NULL);
	CHECK_STR(s, "");
	free(s);
}

TEST(test_out_of_memory_is_sticky)
{
	struct strbuf b = { 0 };

	strbuf_str(&b, "a");
	b.oom = 1;
	strbuf_str(&b, "b");
	CHECK_EQ_INT(b.len, 1);
	CHECK(strbuf_finish(&b) == NULL);
}
