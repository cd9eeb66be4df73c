/*
 * The CRI log format conmon writes (one line per write, at most its 8 KiB
 * buffer of the container's output):
 *
 *	2016-10-06T00:17:09.669794202Z stdout P first part
 *	2016-10-06T00:17:09.669794203Z stdout F rest of the line
 *
 * Parsing (the kubelet's parseCRILog), the joining of partial (P) lines
 * with the full (F) line that ends them, the timestamps kubectl prints
 * (RFC3339NanoFixed) and `--since` durations.  Pure functions, no I/O:
 * tests/unit/test_agentctl_crilog.c.
 */
#ifndef AGENTD_CRILOG_H
#define AGENTD_CRILOG_H

#include <stddef.h>
#include <stdint.h>

#define CRI_TS_MAX	48	/* "2006-01-02T15:04:05.000000000+00:00" */
/* a message joined from P lines stops growing here and is let out */
#define CRI_MAX_JOINED	(16 * 1024 * 1024)

enum cri_stream { CRI_STDOUT = 0, CRI_STDERR = 1 };

struct cri_line {
	int64_t		 ts_ns;		/* since the epoch, UTC */
	int		 tz_off_s;	/* the offset the line was written in */
	int		 stream;	/* enum cri_stream */
	int		 partial;	/* P: continued by the next line */
	const char	*text;		/* after the tag; a P line's '\n' cut */
	size_t		 text_len;
};

/* a whole message: F text, or P texts joined with their F */
struct cri_msg {
	int64_t		 ts_ns;		/* of its first line */
	int		 tz_off_s;
	int		 stream;
	const char	*text;		/* ends with '\n' unless cut short */
	size_t		 text_len;
};

struct cri_part {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int64_t		 ts_ns;
	int		 tz_off_s;
	int		 active;
};

/* the P lines of each stream waiting for their F */
struct cri_join {
	struct cri_part	 part[2];
};

/* RFC 3339 with an optional fraction (1..9 digits), Z or +hh:mm; 0/-1 */
int	cri_parse_time(const char *s, size_t len, int64_t *ns, int *off_s);
/* kubectl --timestamps: 9 fraction digits, "Z" for a zero offset */
void	cri_format_time(int64_t ns, int off_s, char buf[CRI_TS_MAX]);
/* one line without its '\n' (or with it); 0, or -1: not a CRI line */
int	cri_parse_line(const char *line, size_t len, struct cri_line *);
/*
 * Feed one line; 1 when a message is complete (msg valid until the next
 * call), 0 when the line was a P kept for later.
 */
int	cri_join_feed(struct cri_join *, const struct cri_line *,
	    struct cri_msg *);
void	cri_join_free(struct cri_join *);
/* Go durations as kubectl --since takes them: "10s", "5m", "1h30m" */
int	cri_parse_duration(const char *s, int64_t *ns);

#endif
