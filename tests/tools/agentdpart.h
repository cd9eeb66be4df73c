/*
 * agentd's part of the API for the test tools that run the workers' real
 * API client (apiget.c, apisource_run.c): in a child over a socketpair,
 * MSG_API_CREDS first, then each MSG_API_CONNECT answered with a socket
 * connected to 127.0.0.1:PORT, or MSG_API_REFUSED.  The child is separate
 * so that the worker side may enter its sandbox.
 */
#ifndef AGENTD_TESTS_AGENTDPART_H
#define AGENTD_TESTS_AGENTDPART_H

#include <stddef.h>
#include <stdint.h>

struct agentd_part {
	const char	*host;		/* the credentials' server */
	int		 port;		/* and where the grants connect */
	const char	*server_name;	/* tls-server-name, "" none */
	uint32_t	 flags;		/* APICREDS_F_* */
	const char	*ca;		/* PEM, calen bytes */
	size_t		 calen;
	const char	*token;
	int		 refuse;	/* refuse every connection request */
};

/*
 * Fork agentd's part (p is kept); then, in the worker, make wenv->base and
 * wenv->parent, the worker's end of the channel with the API client's
 * rows.  A channel error in the worker ends the tool (exit 3).
 */
void	 agentd_part_start(const struct agentd_part *);

/* the whole file (exit 2 if it cannot be read) and its length */
char	*tool_slurp(const char *path, size_t *lenp);

#endif
