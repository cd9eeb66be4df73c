/*
 * Container probes (probe.c): liveness, readiness and startup probes of
 * each running container, as jobs beside the pod's operations (a probe
 * never takes the pod's busy flag; at most one run of a probe is in
 * flight).  The lifecycle calls probe_pod_step at every step of a pod
 * and asks probe_ready/probe_started for the report; a failed liveness
 * or startup probe stops the container, which then restarts as any exit
 * does (restartPolicy, crash-loop backoff).
 */
#ifndef AGENTD_PROBE_H
#define AGENTD_PROBE_H

#include <stdint.h>

#include "pod.h"
#include "runtime.h"

/* what a probe's failure says in its event and audit record */
#define PROBE_MSG_MAX		512
/* agentd-probe's one line: "success|warning|failure <text>" */
#define PROBE_LINE_MAX		(PROBE_MSG_MAX + 16)

struct xpod;
struct xctr;

struct xprobe {
	int64_t		 next_ns;	/* the next run is due then */
	int		 in_flight;
	uint32_t	 successes;	/* consecutive */
	uint32_t	 failures;
	int		 ok;		/* the result the thresholds give */
};

/* a slot's probes; they belong to the container cid and no other */
struct xprobes {
	char		 cid[RT_ID_MAX];
	uint32_t	 gen;		/* a result of another run is dropped */
	struct xprobe	 p[PROBE_NTYPES];
	int		 started;	/* the startup probe passed, or none */
	int		 killing;	/* a probe failed: stopping it */
	int		 signal_sent;	/* killing: preStop over, signal sent */
	int64_t		 kill_deadline_ns;
	int		 kill_sig;
	char		 kill_why[1024];	/* the stop's audit details */
};

void	probe_pod_step(struct xpod *);
/* where a request to host goes (also a lifecycle hook's, hook.c) */
int	probe_target(const struct xpod *, const char *host, char *addr,
	    size_t, char *why, size_t);
int	probe_ready(const struct xpod *, const struct xctr *);
struct job_out;
struct rt_netprobe;
/* in a job's child (a probe's, an httpGet hook's): the prober's run */
void	probe_netprobe_job(const struct rt_netprobe *, struct job_out *);
int	probe_started(const struct xpod *, const struct xctr *);

/*
 * The prober's answer (agentd-probe's stdout, read by the executor from
 * the job's output): one line, a fixed word and printable ASCII.  0 when
 * well formed, with *ok (warning counts as success) and the text in msg.
 */
int	probe_parse_line(const char *out, int *ok, int *warning, char *msg,
	    size_t msglen);

#endif
