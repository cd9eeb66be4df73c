/*
 * workers/executor/logrotate.c: which rotated files are ours, and the
 * kubelet's decisions (unused files, the oldest beyond
 * containerLogMaxFiles, what to compress) on lists of names.
 */
#include <string.h>
#include <time.h>

#include "../../workers/executor/logrotate.h"
#include "tap.h"

TEST(test_rotated_names_are_ours_only)
{
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000"), LR_PLAIN);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.gz"), LR_GZ);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.tmp"),
	    LR_TMP);
	/* conmon's own temporary, other runs, anything else: not ours */
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.tmp"), LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log"), LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "10.log.20240101-120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("1.log", "10.log.20240101-120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.2024010-1120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.gz.tmp"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-12000x"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "../0.log.20240101-120000"),
	    LR_NOT_OURS);
}

TEST(test_plan_keeps_max_files_minus_two_rotated)
{
	const char *names[] = {
		"0.log.20240101-120003.gz",
		"0.log.20240101-120001.gz",
		"0.log.20240101-120004",
		"0.log.20240101-120002.gz",
		"other",
	};
	enum lr_action a[5];

	/* 5 files: the current, the one rotated now and 3 older */
	lr_plan("0.log", names, 5, 5, a);
	CHECK_EQ_INT(a[0], LR_KEEP);
	CHECK_EQ_INT(a[1], LR_REMOVE);		/* the oldest */
	CHECK_EQ_INT(a[2], LR_COMPRESS);
	CHECK_EQ_INT(a[3], LR_KEEP);
	CHECK_EQ_INT(a[4], LR_IGNORE);
	/* 2 files: no rotated one is kept, the current is renamed */
	lr_plan("0.log", names, 5, 2, a);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_REMOVE);
	CHECK_EQ_INT(a[2], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_REMOVE);
	CHECK_EQ_INT(a[4], LR_IGNORE);
	/* 3 files: the newest rotated one stays, compressed */
	lr_plan("0.log", names, 5, 3, a);
	CHECK_EQ_INT(a[2], LR_COMPRESS);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_REMOVE);
}

/* a compression cut short leaves NAME.tmp, or NAME beside NAME.gz */
TEST(test_plan_removes_unused)
{
	const char *names[] = {
		"0.log.20240101-120001",
		"0.log.20240101-120001.gz",
		"0.log.20240101-120002.tmp",
		"0.log.20240101-120002",
		"0.log.tmp",
	};
	enum lr_action a[5];

	lr_plan("0.log", names, 5, 5, a);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_KEEP);
	CHECK_EQ_INT(a[2], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_COMPRESS);
	CHECK_EQ_INT(a[4], LR_IGNORE);		/* conmon's */
}

TEST(test_plan_of_nothing)
{
	enum lr_action a[1];

	lr_plan("0.log", NULL, 0, 5, a);
	CHECK(1);
}

TEST(test_timestamp_sorts_as_time)
{
	char a[LR_TS_LEN + 1], b[LR_TS_LEN + 1];

	lr_timestamp(0, a);
	CHECK_STR(a, "19700101-000000");
	lr_timestamp(1704110400, a);	/* 2024-01-01 12:00:00 UTC */
	CHECK_STR(a, "20240101-120000");
	lr_timestamp(1704110399, b);
	CHECK(strcmp(b, a) < 0);
	CHECK_EQ_INT(lr_name_kind("3.log", "3.log.20240101-120000"), LR_PLAIN);
}
