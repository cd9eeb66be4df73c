/*
 * agentd-probe's HTTP/1.1 pieces, apart from any socket so that they can
 * be tested: the request the kubelet's prober sends, and the reading of
 * the response's status line and head (never the body), bounded.
 */
#ifndef AGENTD_PROBEHTTP_H
#define AGENTD_PROBEHTTP_H

#include <stddef.h>

#define PROBE_HTTP_REQ_MAX	(16 * 1024)
#define PROBE_HTTP_HEAD_MAX	(16 * 1024)	/* status line and headers */
#define PROBE_HTTP_LOCATION_MAX	512
#define PROBE_USER_AGENT	"kube-probe/1.32"

struct probe_http_resp {
	int	 code;
	char	 location[PROBE_HTTP_LOCATION_MAX];	/* "" none */
};

/*
 * The request for path to addr:port: Host, User-Agent and Accept as the
 * kubelet sends them unless headers ("Name: value") give their own.
 * Its length, or -1 when it does not fit.
 */
int	probe_http_request(char *buf, size_t len, const char *path,
	    const char *addr, int port, char *const *headers, int nheaders);
/*
 * The response so far: 1 with resp filled when the head is complete,
 * 0 when more is needed (and can still fit), -1 when malformed (why).
 */
int	probe_http_parse(const char *buf, size_t len,
	    struct probe_http_resp *, const char **why);
/*
 * The kubelet's verdict on a response (prober/http): "success",
 * "warning" (a redirect, never followed) or "failure", with the text.
 */
const char *probe_http_verdict(const struct probe_http_resp *,
	    const char *addr, int port, char *msg, size_t len);

#endif
